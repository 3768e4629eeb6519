//! `/admin/releases/…`: the release list, the editor, workflow actions, history and preview links.

pub mod editor;
pub mod history;
pub mod links;
pub mod list;
pub mod page;
pub mod workflow;

use crate::editorial::input::{RELEASE_FORM_LIMIT, ReleaseForm};
use crate::routes::forms::CsrfForm;

/// The release editor's form, with room for a body at its length limit.
pub(crate) type ReleaseFormBody = CsrfForm<ReleaseForm, RELEASE_FORM_LIMIT>;
