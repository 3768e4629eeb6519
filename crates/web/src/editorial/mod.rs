//! The editorial rules shared by the newsroom pages and the JSON API: who may read and edit which
//! release, and how a request becomes a change through the publish pipeline. Both front ends call
//! these, so a permission is enforced the same way whichever door is used.

pub mod access;
pub mod actions;
pub mod input;
