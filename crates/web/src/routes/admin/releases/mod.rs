//! `/admin/releases/…`: the release list, the editor, workflow actions, history and preview links.

pub mod editor;
pub mod files;
pub mod history;
pub mod links;
pub mod list;
pub mod page;
pub mod paste;
pub mod workflow;

use actix_web::web;

use crate::extract::{Staff, State};
use crate::routes::forms::CsrfForm;
use crate::usecases::Caller;
use crate::usecases::input::{RELEASE_FORM_LIMIT, ReleaseForm};

/// The release editor's form, with room for a body at its length limit.
pub(crate) type ReleaseFormBody = CsrfForm<ReleaseForm, RELEASE_FORM_LIMIT>;

/// What an action on one release takes from a request: the state, the signed-in person (for
/// the page shown back), the same person as the use cases' [`Caller`], and the release's id
/// from the address.
pub(crate) type OnRelease = (State, Staff, Caller, web::Path<String>);
