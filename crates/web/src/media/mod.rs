//! Media: turning uploads into stored originals and renditions, and the views pages use to show
//! them. The rules about what may be uploaded live in `dateline_core::media`; storage in
//! `dateline_storage::repo::media`.

pub mod process;
