//! `/admin/releases/…`: the release list, the editor, workflow actions, history and preview links.

pub mod editor;
pub mod history;
pub mod links;
pub mod list;
pub mod page;
pub mod workflow;

use crate::editorial::input::{RELEASE_FORM_LIMIT, ReleaseForm};
use crate::routes::Routes;
use crate::routes::forms::CsrfForm;

/// The release editor's form, with room for a body at its length limit.
pub(crate) type ReleaseFormBody = CsrfForm<ReleaseForm, RELEASE_FORM_LIMIT>;

pub fn add(r: &mut Routes) {
    r.add("admin.releases", list::list);
    r.add("admin.release_new", editor::new_form);
    r.add("admin.release_create", editor::create);
    r.add("admin.release_edit", editor::edit);
    r.add("admin.release_save", editor::save);
    r.add("admin.release_autosave", editor::autosave);
    r.add("admin.release_render", editor::render_preview);
    r.add("admin.release_preview", editor::preview);
    r.add("admin.release_history", history::history);
    r.add("admin.release_revision", history::revision);
    r.add("admin.release_compare", history::compare);
    r.add("admin.release_restore", history::restore);
    r.add("admin.release_submit", workflow::submit);
    r.add("admin.release_approve", workflow::approve);
    r.add("admin.release_publish", workflow::publish);
    r.add("admin.release_send_back", workflow::send_back);
    r.add("admin.release_withdraw", workflow::withdraw);
    r.add("admin.release_reinstate", workflow::reinstate);
    r.add("admin.release_correct_form", workflow::correct_form);
    r.add("admin.release_correct", workflow::correct);
    r.add("admin.release_slug", workflow::change_slug);
    r.add("admin.release_links", links::list);
    r.add("admin.release_link_create", links::create);
    r.add("admin.preview_link_revoke", links::revoke);
}
