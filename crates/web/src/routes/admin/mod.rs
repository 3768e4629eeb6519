//! The newsroom: the dashboard, releases, organizations and taxonomies, people, settings and
//! the audit log.

pub mod audit;
pub mod dashboard;
pub mod organizations;
pub mod releases;
pub mod settings;
pub mod taxonomy;
pub mod users;

use crate::routes::Routes;

pub fn add(r: &mut Routes) {
    r.add("admin.dashboard", dashboard::show);
    releases::add(r);
    r.add("admin.organizations", organizations::list);
    r.add("admin.organization_new", organizations::new_form);
    r.add("admin.organization_create", organizations::create);
    r.add("admin.organization_edit", organizations::edit);
    r.add("admin.organization_save", organizations::save);
    r.add("admin.organization_delete", organizations::delete);
    r.add("admin.taxonomy", taxonomy::list);
    r.add("admin.taxon_create", taxonomy::create);
    r.add("admin.taxon_edit", taxonomy::edit);
    r.add("admin.taxon_save", taxonomy::save);
    r.add("admin.taxon_delete", taxonomy::delete);
    r.add("admin.settings", settings::show);
    r.add("admin.settings_save", settings::save);
    r.add("admin.users", users::list);
    r.add("admin.user_create", users::create);
    r.add("admin.user_invite", users::invite);
    r.add("admin.user_edit", users::edit);
    r.add("admin.user_save", users::save);
    r.add("admin.user_reset_link", users::reset_link);
    r.add("admin.user_sessions_revoke", users::revoke_sessions);
    r.add("admin.tokens", users::all_tokens);
    r.add("admin.token_revoke", users::revoke_any_token);
    r.add("admin.audit", audit::list);
}
