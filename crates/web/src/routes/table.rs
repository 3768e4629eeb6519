//! Which handler answers each route: every name in `dateline_auth::ROUTES` bound to its handler,
//! in this one file (one function per area), so the permission table and this file read side by side. The method, path and
//! permission come from the table through [`Routes::add`]; a test checks that the two match.

use super::{Routes, account, admin, api, auth, health, public, statics};

/// Every route of the application.
pub fn all() -> Routes {
    let mut r = Routes::default();
    infrastructure(&mut r);
    reader(&mut r);
    sign_in_and_account(&mut r);
    newsroom(&mut r);
    catalogue_and_people(&mut r);
    json_api(&mut r);
    r
}

/// Health checks and static files.
fn infrastructure(r: &mut Routes) {
    r.add("health.live", health::live);
    r.add("health.ready", health::ready);
    r.add("metrics", health::metrics);
    r.add("static.file", statics::file);
    r.add("robots", statics::robots);
    r.add("public.media", public::media::file);
}

/// What readers see.
fn reader(r: &mut Routes) {
    r.add("public.home", public::home::home);
    r.add("public.release", public::release::release);
    r.add("public.release_by_id", public::release::by_id);
    r.add("public.press_kit", public::press_kit::download);
    r.add(
        "public.organizations",
        public::listings::organizations_index,
    );
    r.add("public.organization", public::listings::organization_page);
    r.add(
        "public.organization_feed",
        public::listings::organization_feed,
    );
    r.add("public.categories", public::listings::categories_index);
    r.add("public.category", public::listings::category_page);
    r.add("public.category_feed", public::listings::category_feed);
    r.add("public.regions", public::listings::regions_index);
    r.add("public.region", public::listings::region_page);
    r.add("public.region_feed", public::listings::region_feed);
    r.add("public.tag", public::listings::tag_page);
    r.add("public.tag_feed", public::listings::tag_feed);
    r.add("public.archive", public::listings::archive_page);
    r.add("public.search", public::search::search_page);
    r.add("public.feed", public::listings::site_feed);
    r.add("public.sitemap", public::sitemaps::index);
    r.add("public.sitemap_page", public::sitemaps::page);
    r.add("public.news_sitemap", public::sitemaps::news);
    r.add("public.preview_link", public::preview::open);
    r.add("public.preview_media", public::preview::media);
}

/// Signing in and out, setup, invitations and resets, and a person's own account.
fn sign_in_and_account(r: &mut Routes) {
    r.add("auth.setup_form", auth::setup::form);
    r.add("auth.setup", auth::setup::submit);
    r.add("auth.login_form", auth::login::form);
    r.add("auth.login", auth::login::submit);
    r.add("auth.second_factor_form", auth::two_factor::form);
    r.add("auth.second_factor", auth::two_factor::submit);
    r.add("auth.logout_page", auth::login::logout_page);
    r.add("auth.logout", auth::login::logout);
    r.add("auth.invite_form", auth::links::invite_form);
    r.add("auth.invite", auth::links::invite);
    r.add("auth.reset_form", auth::links::reset_form);
    r.add("auth.reset", auth::links::reset);
    r.add("account.show", account::profile::show);
    r.add("account.profile", account::profile::save_profile);
    r.add("account.password", account::profile::change_password);
    r.add(
        "account.sessions_revoke",
        account::profile::revoke_other_sessions,
    );
    r.add("account.two_factor_form", account::two_factor::form);
    r.add("account.two_factor_enable", account::two_factor::enable);
    r.add("account.two_factor_disable", account::two_factor::disable);
    r.add("account.tokens", account::tokens::list::<false>);
    r.add("account.token_create", account::tokens::create);
    r.add("account.token_revoke", account::tokens::revoke::<false>);
}

/// The newsroom: releases and their workflow, history and preview links.
fn newsroom(r: &mut Routes) {
    r.add("admin.dashboard", admin::dashboard::show);
    r.add("admin.releases", admin::releases::list::list);
    r.add("admin.release_new", admin::releases::editor::new_form);
    r.add("admin.release_paste_form", admin::releases::paste::form);
    r.add("admin.release_paste", admin::releases::paste::submit);
    r.add("admin.release_create", admin::releases::editor::create);
    r.add("admin.release_edit", admin::releases::editor::edit);
    r.add("admin.release_save", admin::releases::editor::save);
    r.add("admin.release_autosave", admin::releases::editor::autosave);
    r.add(
        "admin.release_render",
        admin::releases::editor::render_preview,
    );
    r.add("admin.release_preview", admin::releases::editor::preview);
    r.add("admin.release_history", admin::releases::history::history);
    r.add("admin.release_revision", admin::releases::history::revision);
    r.add("admin.release_compare", admin::releases::history::compare);
    r.add("admin.release_restore", admin::releases::history::restore);
    r.add("admin.release_submit", admin::releases::workflow::submit);
    r.add("admin.release_approve", admin::releases::workflow::approve);
    r.add("admin.release_publish", admin::releases::workflow::publish);
    r.add(
        "admin.release_send_back",
        admin::releases::workflow::send_back,
    );
    r.add(
        "admin.release_withdraw",
        admin::releases::workflow::withdraw,
    );
    r.add(
        "admin.release_reinstate",
        admin::releases::workflow::reinstate,
    );
    r.add(
        "admin.release_correct_form",
        admin::releases::workflow::correct_form,
    );
    r.add("admin.release_correct", admin::releases::workflow::correct);
    r.add("admin.release_slug", admin::releases::workflow::change_slug);
    r.add("admin.release_links", admin::releases::links::list);
    r.add("admin.release_link_create", admin::releases::links::create);
    r.add("admin.release_media_upload", admin::releases::files::upload);
    r.add("admin.release_media_delete", admin::releases::files::remove);
    r.add("admin.preview_link_revoke", admin::releases::links::revoke);
}

/// Organizations, categories, regions and tags; settings, webhooks, accounts, tokens and the
/// audit log.
fn catalogue_and_people(r: &mut Routes) {
    r.add("admin.media", admin::media::library);
    r.add("admin.media_replace", admin::media::replace);
    r.add("admin.media_delete", admin::media::delete);
    r.add("admin.organizations", admin::organizations::list);
    r.add("admin.organization_new", admin::organizations::new_form);
    r.add("admin.organization_create", admin::organizations::create);
    r.add("admin.organization_edit", admin::organizations::edit);
    r.add("admin.organization_save", admin::organizations::save);
    r.add("admin.organization_logo", admin::organization_logo::upload);
    r.add(
        "admin.organization_logo_delete",
        admin::organization_logo::remove,
    );
    r.add("admin.organization_delete", admin::organizations::delete);
    r.add("admin.taxonomy", admin::taxonomy::list);
    r.add("admin.taxon_create", admin::taxonomy::create);
    r.add("admin.taxon_edit", admin::taxonomy::edit);
    r.add("admin.taxon_save", admin::taxonomy::save);
    r.add("admin.taxon_delete", admin::taxonomy::delete);
    r.add("admin.settings", admin::settings::show);
    r.add("admin.settings_save", admin::settings::save);
    r.add("admin.webhooks", admin::webhooks::list);
    r.add("admin.webhook_create", admin::webhooks::create);
    r.add("admin.webhook", admin::webhooks::show);
    r.add("admin.webhook_save", admin::webhooks::save);
    r.add("admin.webhook_secret", admin::webhooks::rotate_secret);
    r.add("admin.webhook_delete", admin::webhooks::delete);
    r.add("admin.webhook_resend", admin::webhooks::resend);
    r.add("admin.users", admin::users::list);
    r.add("admin.user_create", admin::users::create);
    r.add("admin.user_invite", admin::users::invite);
    r.add("admin.user_edit", admin::users::edit);
    r.add("admin.user_save", admin::users::save);
    r.add("admin.user_reset_link", admin::users::reset_link);
    r.add("admin.user_sessions_revoke", admin::users::revoke_sessions);
    r.add("admin.tokens", account::tokens::list::<true>);
    r.add("admin.token_revoke", account::tokens::revoke::<true>);
    r.add("admin.audit", admin::audit::list);
}

/// The JSON API.
fn json_api(r: &mut Routes) {
    r.add("api.openapi", api::openapi::openapi);
    r.add("api.releases", api::releases::list);
    r.add("api.release_create", api::releases::create);
    r.add("api.media_create", api::media::create);
    r.add("api.release", api::releases::get);
    r.add("api.release_update", api::releases::update);
    r.add("api.release_submit", api::workflow::submit);
    r.add("api.release_approve", api::workflow::approve);
    r.add("api.release_publish", api::workflow::publish);
    r.add("api.release_send_back", api::workflow::send_back);
    r.add("api.release_withdraw", api::workflow::withdraw);
    r.add("api.release_reinstate", api::workflow::reinstate);
    r.add("api.release_correct", api::workflow::correct);
    r.add("api.release_revisions", api::revisions::list);
    r.add("api.release_revision", api::revisions::get);
    r.add("api.release_restore", api::revisions::restore);
    r.add("api.preview_link_create", api::previews::create);
    r.add("api.preview_link_revoke", api::previews::revoke);
    r.add("api.search", api::search::search);
    r.add("api.taxa", api::taxa::list);
    r.add("api.taxon_create", api::taxa::create);
    r.add("api.taxon", api::taxa::get);
    r.add("api.taxon_update", api::taxa::update);
    r.add("api.taxon_delete", api::taxa::delete);
}
