//! The one permission matrix: what each role may do, and the inventory of every route with the
//! permission it requires. `dateline-web` registers handlers only through this table, and a test
//! compares the router with it, so no route can exist without a declared permission.
//!
//! Object-level rules (a contributor may only touch their own drafts) are checked by handlers on
//! top of this: the matrix says whether a role may attempt an action at all.

use dateline_core::Role;
use dateline_core::workflow::Transition;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Anyone, signed in or not. Content still passes the visibility rule.
    Public,
    /// Password accepted, second factor still to give. Only the second-factor page.
    SecondFactor,
    /// Any active account: dashboard, own profile, password, tokens, sessions.
    SignedIn,
    /// Create releases; edit and submit one's own drafts. Every role.
    Draft,
    /// Edit any release; approve, publish, send back, withdraw, correct, restore; preview links.
    Review,
    /// Organizations, categories, regions and tags.
    Taxonomy,
    /// People, their roles, sessions and tokens.
    Users,
    /// Newsroom settings.
    Settings,
    /// Reading the audit log.
    Audit,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Public => "public",
            Permission::SecondFactor => "second_factor",
            Permission::SignedIn => "signed_in",
            Permission::Draft => "draft",
            Permission::Review => "review",
            Permission::Taxonomy => "taxonomy",
            Permission::Users => "users",
            Permission::Settings => "settings",
            Permission::Audit => "audit",
        }
    }

    /// Whether a signed-in person with `role` holds this permission.
    pub fn granted_to(self, role: Role) -> bool {
        match self {
            Permission::Public
            | Permission::SecondFactor
            | Permission::SignedIn
            | Permission::Draft => true,
            Permission::Review | Permission::Taxonomy => role >= Role::Editor,
            Permission::Users | Permission::Settings | Permission::Audit => role >= Role::Admin,
        }
    }
}

/// The permission a workflow move needs. Submitting is an author's act; every other move is an
/// editor's.
pub fn for_transition(t: Transition) -> Permission {
    match t {
        Transition::Submit => Permission::Draft,
        _ => Permission::Review,
    }
}

/// Whether `actor` may give `target_role` to someone: only admins assign roles, and an admin may
/// assign any role. Editors cannot promote anyone, not even to their own role (`docs/security.md` Z3).
pub fn may_assign_role(actor: Role, _target_role: Role) -> bool {
    actor == Role::Admin
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// One route: a stable name handlers are registered under, its method and path pattern (actix
/// syntax), and the permission checked before the handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteDef {
    pub name: &'static str,
    pub method: Method,
    pub path: &'static str,
    pub permission: Permission,
}

const fn r(
    name: &'static str,
    method: Method,
    path: &'static str,
    permission: Permission,
) -> RouteDef {
    RouteDef {
        name,
        method,
        path,
        permission,
    }
}

use Method::{Delete, Get, Post, Put};
use Permission::*;

/// Every route Dateline serves.
#[rustfmt::skip]
pub const ROUTES: &[RouteDef] = &[
    // Operations.
    r("health.live",                Get,    "/healthz/live",                                      Public),
    r("health.ready",               Get,    "/healthz/ready",                                     Public),
    r("metrics",                    Get,    "/metrics",                                           Public),
    r("static.file",                Get,    "/static/{file}",                                     Public),
    r("robots",                     Get,    "/robots.txt",                                        Public),
    r("public.media",               Get,    "/media/{file}",                                      Public),
    // Public site.
    r("public.home",                Get,    "/",                                                  Public),
    r("public.release",             Get,    "/releases/{id}/{slug}",                              Public),
    r("public.release_by_id",       Get,    "/releases/{id}",                                     Public),
    r("public.press_kit",           Get,    "/press-kit/{id}",                                    Public),
    r("public.organizations",       Get,    "/organizations",                                     Public),
    r("public.organization",        Get,    "/organizations/{slug}",                              Public),
    r("public.organization_feed",   Get,    "/organizations/{slug}/feed.{format}",                Public),
    r("public.categories",          Get,    "/categories",                                        Public),
    r("public.category",            Get,    "/categories/{slug}",                                 Public),
    r("public.category_feed",       Get,    "/categories/{slug}/feed.{format}",                   Public),
    r("public.regions",             Get,    "/regions",                                           Public),
    r("public.region",              Get,    "/regions/{slug}",                                    Public),
    r("public.region_feed",         Get,    "/regions/{slug}/feed.{format}",                      Public),
    r("public.tag",                 Get,    "/tags/{slug}",                                       Public),
    r("public.tag_feed",            Get,    "/tags/{slug}/feed.{format}",                         Public),
    r("public.archive",             Get,    "/archive/{year}/{month}",                            Public),
    r("public.search",              Get,    "/search",                                            Public),
    r("public.feed",                Get,    "/feed.{format}",                                     Public),
    r("public.sitemap",             Get,    "/sitemap.xml",                                       Public),
    r("public.sitemap_page",        Get,    "/sitemaps/releases-{page}.xml",                      Public),
    r("public.news_sitemap",        Get,    "/news-sitemap.xml",                                  Public),
    r("public.preview_link",        Get,    "/preview/{token}",                                   Public),
    r("public.preview_media",       Get,    "/preview/{token}/media/{file}",                      Public),
    // Signing in.
    r("auth.setup_form",            Get,    "/setup/{token}",                                     Public),
    r("auth.setup",                 Post,   "/setup/{token}",                                     Public),
    r("auth.login_form",            Get,    "/login",                                             Public),
    r("auth.login",                 Post,   "/login",                                             Public),
    r("auth.second_factor_form",    Get,    "/login/two-factor",                                  SecondFactor),
    r("auth.second_factor",         Post,   "/login/two-factor",                                  SecondFactor),
    r("auth.logout_page",           Get,    "/logout",                                            Public),
    r("auth.logout",                Post,   "/logout",                                            SignedIn),
    r("auth.invite_form",           Get,    "/invite/{token}",                                    Public),
    r("auth.invite",                Post,   "/invite/{token}",                                    Public),
    r("auth.reset_form",            Get,    "/reset/{token}",                                     Public),
    r("auth.reset",                 Post,   "/reset/{token}",                                     Public),
    // Own account.
    r("account.show",               Get,    "/account",                                           SignedIn),
    r("account.profile",            Post,   "/account/profile",                                   SignedIn),
    r("account.password",           Post,   "/account/password",                                  SignedIn),
    r("account.sessions_revoke",    Post,   "/account/sessions/revoke-others",                    SignedIn),
    r("account.two_factor_form",    Get,    "/account/two-factor",                                SignedIn),
    r("account.two_factor_enable",  Post,   "/account/two-factor",                                SignedIn),
    r("account.two_factor_disable", Post,   "/account/two-factor/disable",                        SignedIn),
    r("account.tokens",             Get,    "/account/tokens",                                    SignedIn),
    r("account.token_create",       Post,   "/account/tokens",                                    SignedIn),
    r("account.token_revoke",       Post,   "/account/tokens/{id}/revoke",                        SignedIn),
    // Newsroom: releases.
    r("admin.dashboard",            Get,    "/admin",                                             SignedIn),
    r("admin.releases",             Get,    "/admin/releases",                                    SignedIn),
    r("admin.release_new",          Get,    "/admin/releases/new",                                Draft),
    r("admin.release_paste_form",   Get,    "/admin/releases/paste",                              Draft),
    r("admin.release_paste",        Post,   "/admin/releases/paste",                              Draft),
    r("admin.release_create",       Post,   "/admin/releases",                                    Draft),
    r("admin.release_edit",         Get,    "/admin/releases/{id}",                               Draft),
    r("admin.release_save",         Post,   "/admin/releases/{id}",                               Draft),
    r("admin.release_autosave",     Post,   "/admin/releases/{id}/autosave",                      Draft),
    r("admin.release_render",       Post,   "/admin/releases/{id}/render",                        Draft),
    r("admin.release_preview",      Get,    "/admin/releases/{id}/preview",                       Draft),
    r("admin.release_history",      Get,    "/admin/releases/{id}/history",                       Draft),
    r("admin.release_revision",     Get,    "/admin/releases/{id}/revisions/{revision}",          Draft),
    r("admin.release_compare",      Get,    "/admin/releases/{id}/compare",                       Draft),
    r("admin.release_restore",      Post,   "/admin/releases/{id}/revisions/{revision}/restore",  Draft),
    r("admin.release_submit",       Post,   "/admin/releases/{id}/submit",                        Draft),
    r("admin.release_approve",      Post,   "/admin/releases/{id}/approve",                       Review),
    r("admin.release_publish",      Post,   "/admin/releases/{id}/publish",                       Review),
    r("admin.release_send_back",    Post,   "/admin/releases/{id}/send-back",                     Review),
    r("admin.release_withdraw",     Post,   "/admin/releases/{id}/withdraw",                      Review),
    r("admin.release_reinstate",    Post,   "/admin/releases/{id}/reinstate",                     Review),
    r("admin.release_correct_form", Get,    "/admin/releases/{id}/correct",                       Review),
    r("admin.release_correct",      Post,   "/admin/releases/{id}/correct",                       Review),
    r("admin.release_slug",         Post,   "/admin/releases/{id}/slug",                          Review),
    r("admin.release_links",        Get,    "/admin/releases/{id}/links",                         Review),
    r("admin.release_link_create",  Post,   "/admin/releases/{id}/links",                         Review),
    r("admin.release_media_upload", Post,   "/admin/releases/{id}/media",                         Draft),
    r("admin.release_media_delete", Post,   "/admin/releases/{id}/media/{media}/delete",          Draft),
    r("admin.preview_link_revoke",  Post,   "/admin/preview-links/{id}/revoke",                   Review),
    // Newsroom: organizations and taxonomies.
    r("admin.media",                Get,    "/admin/media",                                       Review),
    r("admin.media_replace",        Post,   "/admin/media/{id}/replace",                          Review),
    r("admin.media_delete",         Post,   "/admin/media/{id}/delete",                           Review),
    r("admin.organizations",        Get,    "/admin/organizations",                               Taxonomy),
    r("admin.organization_new",     Get,    "/admin/organizations/new",                           Taxonomy),
    r("admin.organization_create",  Post,   "/admin/organizations",                               Taxonomy),
    r("admin.organization_edit",    Get,    "/admin/organizations/{id}",                          Taxonomy),
    r("admin.organization_save",    Post,   "/admin/organizations/{id}",                          Taxonomy),
    r("admin.organization_logo",    Post,   "/admin/organizations/{id}/logo",                     Taxonomy),
    r("admin.organization_logo_delete", Post, "/admin/organizations/{id}/logo/{media}/delete",  Taxonomy),
    r("admin.organization_delete",  Post,   "/admin/organizations/{id}/delete",                   Taxonomy),
    r("admin.taxonomy",             Get,    "/admin/taxonomy/{kind}",                             Taxonomy),
    r("admin.taxon_create",         Post,   "/admin/taxonomy/{kind}",                             Taxonomy),
    r("admin.taxon_edit",           Get,    "/admin/taxonomy/{kind}/{id}",                        Taxonomy),
    r("admin.taxon_save",           Post,   "/admin/taxonomy/{kind}/{id}",                        Taxonomy),
    r("admin.taxon_delete",         Post,   "/admin/taxonomy/{kind}/{id}/delete",                 Taxonomy),
    // Administration.
    r("admin.settings",             Get,    "/admin/settings",                                    Settings),
    r("admin.settings_save",        Post,   "/admin/settings",                                    Settings),
    r("admin.webhooks",             Get,    "/admin/webhooks",                                    Settings),
    r("admin.webhook_create",       Post,   "/admin/webhooks",                                    Settings),
    r("admin.webhook",              Get,    "/admin/webhooks/{id}",                               Settings),
    r("admin.webhook_save",         Post,   "/admin/webhooks/{id}",                               Settings),
    r("admin.webhook_secret",       Post,   "/admin/webhooks/{id}/secret",                        Settings),
    r("admin.webhook_delete",       Post,   "/admin/webhooks/{id}/delete",                        Settings),
    r("admin.webhook_resend",       Post,   "/admin/webhooks/{id}/deliveries/{delivery}/resend",  Settings),
    r("admin.users",                Get,    "/admin/users",                                       Users),
    r("admin.user_create",          Post,   "/admin/users",                                       Users),
    r("admin.user_invite",          Post,   "/admin/users/invite",                                Users),
    r("admin.user_edit",            Get,    "/admin/users/{id}",                                  Users),
    r("admin.user_save",            Post,   "/admin/users/{id}",                                  Users),
    r("admin.user_reset_link",      Post,   "/admin/users/{id}/reset-link",                       Users),
    r("admin.user_sessions_revoke", Post,   "/admin/users/{id}/sessions/revoke",                  Users),
    r("admin.tokens",               Get,    "/admin/tokens",                                      Users),
    r("admin.token_revoke",         Post,   "/admin/tokens/{id}/revoke",                          Users),
    r("admin.audit",                Get,    "/admin/audit",                                       Audit),
    // JSON API.
    r("api.openapi",                Get,    "/api/v1/openapi.json",                               Public),
    r("api.releases",               Get,    "/api/v1/releases",                                   Public),
    r("api.release_create",         Post,   "/api/v1/releases",                                   Draft),
    r("api.media_create",           Post,   "/api/v1/media",                                      Draft),
    r("api.release",                Get,    "/api/v1/releases/{id}",                              Public),
    r("api.release_update",         Put,    "/api/v1/releases/{id}",                              Draft),
    r("api.release_submit",         Post,   "/api/v1/releases/{id}/submit",                       Draft),
    r("api.release_approve",        Post,   "/api/v1/releases/{id}/approve",                      Review),
    r("api.release_publish",        Post,   "/api/v1/releases/{id}/publish",                      Review),
    r("api.release_send_back",      Post,   "/api/v1/releases/{id}/send-back",                    Review),
    r("api.release_withdraw",       Post,   "/api/v1/releases/{id}/withdraw",                     Review),
    r("api.release_reinstate",      Post,   "/api/v1/releases/{id}/reinstate",                    Review),
    r("api.release_correct",        Post,   "/api/v1/releases/{id}/corrections",                  Review),
    r("api.release_revisions",      Get,    "/api/v1/releases/{id}/revisions",                    Draft),
    r("api.release_revision",       Get,    "/api/v1/releases/{id}/revisions/{revision}",         Draft),
    r("api.release_restore",        Post,   "/api/v1/releases/{id}/revisions/{revision}/restore", Draft),
    r("api.preview_link_create",    Post,   "/api/v1/releases/{id}/preview-links",                Review),
    r("api.preview_link_revoke",    Delete, "/api/v1/preview-links/{id}",                         Review),
    r("api.search",                 Get,    "/api/v1/search",                                     Public),
    r("api.taxa",                   Get,    "/api/v1/{kind}",                                     Public),
    r("api.taxon_create",           Post,   "/api/v1/{kind}",                                     Taxonomy),
    r("api.taxon",                  Get,    "/api/v1/{kind}/{id}",                                Public),
    r("api.taxon_update",           Put,    "/api/v1/{kind}/{id}",                                Taxonomy),
    r("api.taxon_delete",           Delete, "/api/v1/{kind}/{id}",                                Taxonomy),
];

pub fn route(name: &str) -> Option<&'static RouteDef> {
    ROUTES.iter().find(|r| r.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix() {
        use Role::*;
        let expect = [
            (Public, [true, true, true]),
            (SignedIn, [true, true, true]),
            (Draft, [true, true, true]),
            (Review, [false, true, true]),
            (Taxonomy, [false, true, true]),
            (Users, [false, false, true]),
            (Settings, [false, false, true]),
            (Audit, [false, false, true]),
        ];
        for (perm, granted) in expect {
            for (role, want) in [Contributor, Editor, Admin].into_iter().zip(granted) {
                assert_eq!(perm.granted_to(role), want, "{perm:?} for {role:?}");
            }
        }
        assert_eq!(for_transition(Transition::Submit), Draft);
        assert_eq!(for_transition(Transition::Publish), Review);
        assert!(may_assign_role(Admin, Admin));
        assert!(!may_assign_role(Editor, Contributor));
    }

    #[test]
    fn names_and_routes_are_unique() {
        let mut names: Vec<_> = ROUTES.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ROUTES.len());
        let mut keys: Vec<_> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), ROUTES.len());
    }

    #[test]
    fn admin_and_account_routes_are_never_public() {
        for r in ROUTES {
            if r.path.starts_with("/admin") || r.path.starts_with("/account") {
                assert_ne!(r.permission, Public, "{}", r.name);
            }
            if r.method != Get && r.path.starts_with("/api/") {
                assert_ne!(r.permission, Public, "{}", r.name);
            }
        }
    }
}
