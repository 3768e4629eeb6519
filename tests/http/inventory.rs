//! Guards over the whole application: every route declared in the permission table and nowhere
//! else (`docs/security.md` Z1), the role × route matrix over HTTP, nothing private in what a
//! contributor can read (Z9), nothing printed raw but sanitised HTML (X1), and no SQL built
//! from strings (Z8).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dateline_auth::permissions::{Method, Permission, ROUTES};
use dateline_core::Role;
use serde_json::json;

use crate::http_tests;
use crate::support::Client;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p, ext));
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
    out
}

#[test]
fn every_route_is_in_the_permission_table() {
    let (registered, unknown) = dateline_web::routes::all().inventory();
    assert!(
        unknown.is_empty(),
        "handlers for routes missing from the table: {unknown:?}"
    );
    let registered: BTreeSet<(Method, &str)> = registered.into_iter().collect();
    let declared: BTreeSet<(Method, &str)> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
    let missing: Vec<_> = declared.difference(&registered).collect();
    let extra: Vec<_> = registered.difference(&declared).collect();
    assert!(missing.is_empty(), "declared but not served: {missing:?}");
    assert!(extra.is_empty(), "served but not declared: {extra:?}");
}

#[test]
fn handlers_are_registered_only_through_the_table() {
    for file in files(&root().join("crates/web/src"), "rs") {
        if file.ends_with("routes/mod.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for banned in [
            "web::resource(",
            "web::scope(",
            "#[get(",
            "#[post(",
            "#[put(",
            "#[delete(",
            ".service(",
            ".route(",
        ] {
            assert!(
                !text.contains(banned),
                "{} registers a route directly ({banned}); use Routes::add",
                file.display()
            );
        }
    }
}

#[test]
fn only_sanitised_html_is_printed_raw() {
    for file in files(&root().join("web/templates"), "html") {
        let text = std::fs::read_to_string(&file).unwrap();
        for banned in ["|safe", "| safe", "escape = \"none\"", "escape(\"none\")"] {
            assert!(
                !text.contains(banned),
                "{} prints something unescaped ({banned})",
                file.display()
            );
        }
    }
    let mut raw_types = Vec::new();
    for file in files(&root().join("crates"), "rs") {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().filter(|l| l.contains("HtmlSafe for ")) {
            raw_types.push(
                line.split("HtmlSafe for ")
                    .nth(1)
                    .unwrap()
                    .trim_end_matches(" {}")
                    .trim()
                    .to_owned(),
            );
        }
    }
    raw_types.sort();
    assert_eq!(
        raw_types,
        ["BodyHtml", "JsonLd"],
        "only these two types may skip escaping"
    );
}

#[test]
fn sql_is_never_built_from_strings() {
    for file in files(&root().join("crates"), "rs") {
        if file.ends_with("testdb.rs") {
            // Creates and drops uniquely named test databases; no input reaches it.
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .unwrap()
            .replace(char::is_whitespace, "");
        assert!(
            !text.contains("sql_query(format!") && !text.contains("sql_query(&format!"),
            "{} builds SQL from a string",
            file.display()
        );
    }
}

#[test]
fn use_cases_know_nothing_of_http() {
    for file in files(&root().join("crates/web/src/usecases"), "rs") {
        let text = std::fs::read_to_string(&file).unwrap();
        for banned in [
            "actix",
            "crate::routes",
            "crate::extract",
            "crate::middleware",
            "crate::views",
            "HttpRequest",
            "HttpResponse",
        ] {
            assert!(
                !text.contains(banned),
                "{} mentions {banned}: a use case takes a Caller and plain values",
                file.display()
            );
        }
    }
}

/// Fails when a storage write named in `writes` is called outside `crates/web/src/usecases`
/// (and the demo seeder, which loads fixtures without a caller), so a second path to the same
/// change, one that could skip a rule or an audit row, cannot grow back. A call to the use case
/// of the same name (`usecases::releases::create(`) is not a storage call.
pub(crate) fn only_use_cases_call(writes: &[&str]) {
    for file in files(&root().join("crates/web/src"), "rs") {
        let path = file.to_string_lossy().replace('\\', "/");
        if path.contains("/usecases/") || path.contains("/demo/") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for write in writes {
            let call = format!("{write}(");
            assert!(
                !text
                    .replace(&format!("usecases::{call}"), "")
                    .contains(&call),
                "{path} calls {write} directly; call the use case in crates/web/src/usecases",
            );
        }
    }
}

#[test]
fn account_writes_go_through_use_cases() {
    only_use_cases_call(&[
        "users::create",
        "users::set_password_hash",
        "tokens::create_api_token",
    ]);
}

#[test]
fn release_writes_go_through_use_cases() {
    only_use_cases_call(&[
        "releases::create",
        "releases::update_content",
        "pipeline::apply",
        "jobs::schedule_publish",
        "jobs::cancel_for_release",
        "bulk::insert_published",
    ]);
}

/// A concrete path for a route pattern, using fixtures that exist.
pub(crate) fn concrete(pattern: &str, f: &Fixtures) -> String {
    let mut p = pattern.to_owned();
    let subs: [(&str, String); 11] = [
        (
            "{id}",
            if pattern.contains("/releases/") {
                f.release.clone()
            } else {
                f.numeric_id(pattern)
            },
        ),
        (
            "{slug}",
            if pattern.starts_with("/organizations") {
                "oresund-windshare".into()
            } else if pattern.starts_with("/regions") {
                "europe".into()
            } else if pattern.starts_with("/tags") {
                f.tag.clone()
            } else {
                "energy".into()
            },
        ),
        ("{kind}", "categories".into()),
        ("{format}", "rss".into()),
        ("{file}", "app.css".into()),
        ("{year}", "2026".into()),
        ("{month}", "11".into()),
        ("{page}", "1".into()),
        ("{revision}", "1".into()),
        (
            "{token}",
            "not-a-real-token-000000000000000000000000000".into(),
        ),
        ("{slug}", "x".into()),
    ];
    for (k, v) in subs {
        p = p.replace(k, &v);
    }
    p
}

pub(crate) struct Fixtures {
    pub release: String,
    pub tag: String,
    pub user: i64,
    pub token: i64,
    pub link: i64,
    pub organization: i64,
    pub category: i64,
}

impl Fixtures {
    fn numeric_id(&self, pattern: &str) -> String {
        let id = if pattern.contains("/users/") {
            self.user
        } else if pattern.contains("/tokens/") {
            self.token
        } else if pattern.contains("preview-links") {
            self.link
        } else if pattern.contains("/organizations/") {
            self.organization
        } else {
            self.category
        };
        id.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    As(Role),
}

/// What a request as `who` must not get: for routes the role lacks, anything but a refusal.
async fn check(
    who: Who,
    pages: &Client,
    api: &Client,
    route: &dateline_auth::RouteDef,
    path: &str,
    f: &Fixtures,
) {
    let c = if path.starts_with("/api/") {
        api
    } else {
        pages
    };
    let res = match route.method {
        Method::Get => c.get(path).await,
        Method::Post => c.json("POST", path, &json!({})).await,
        Method::Put => c.json("PUT", path, &json!({})).await,
        Method::Delete => c.request("DELETE", path, None, "").await,
    };
    assert!(
        res.status < 500,
        "{who:?} {} {path}: {}",
        route.method.as_str(),
        res.status
    );
    let label = format!(
        "{who:?} {} {path} ({})",
        route.method.as_str(),
        route.permission.as_str()
    );
    // The matrix's own refusal (object-level refusals, such as a contributor changing a live
    // release, say something else).
    let refused_for_role = res.status == 403 && res.body.contains("cannot do this");
    match (who, route.permission) {
        (_, Permission::Public | Permission::SecondFactor) => {}
        (Who::Anonymous, _) => {
            let sent_to_login = res.status == 303 && res.location().starts_with("/login");
            assert!(
                res.status == 401 || sent_to_login,
                "{label}: got {}",
                res.status
            );
        }
        (Who::As(role), needed) => {
            if needed.granted_to(role) {
                assert!(
                    res.status != 401 && !refused_for_role,
                    "{label}: refused a permitted role ({})",
                    res.status
                );
            } else {
                assert!(
                    refused_for_role,
                    "{label}: got {} instead of a refusal",
                    res.status
                );
            }
        }
    }
    // Z9: nothing secret in anything anyone can read.
    if res.status < 300 && route.method == Method::Get {
        for secret in ["$argon2", "token_hash", "password_hash", "totp_secret"] {
            assert!(!res.body.contains(secret), "{label} shows {secret}");
        }
        if who == Who::As(Role::Contributor) {
            assert!(
                !res.body.contains(&format!("admin{}@example.com", f.user))
                    && !res.body.contains("ed-matrix@example.com"),
                "{label} shows another person's email"
            );
        }
    }
}

http_tests! {
    async fn the_role_matrix_over_http(app) {
        dateline_web::demo::load(&mut app.conn(), app.state.clock.now()).unwrap();
        let (contrib_api, contributor) = app.api_user("co-matrix@example.com", Role::Contributor);
        let (editor_api, _) = app.api_user("ed-matrix@example.com", Role::Editor);
        let admin = app.user("admin-matrix@example.com", Role::Admin);
        let admin_api = app.api(&app.token(&admin, "write"));
        let release = contrib_api.json("POST", "/api/v1/releases", &json!({"headline": "Mine", "tags": ["matrix"]})).await.json()["id"].as_str().unwrap().to_owned();
        editor_api.json("POST", &format!("/api/v1/releases/{release}/publish"), &json!({})).await.assert_status(200);
        let link = editor_api.json("POST", &format!("/api/v1/releases/{release}/preview-links"), &json!({})).await.json()["id"].as_i64().unwrap();
        let fixtures = Fixtures {
            release,
            tag: "matrix".into(),
            user: contributor.id,
            token: dateline_storage::repo::tokens::list_api_tokens(&mut app.conn(), Some(contributor.id)).unwrap()[0].id,
            link,
            organization: dateline_storage::repo::organizations::get_by_slug(&mut app.conn(), "oresund-windshare").unwrap().id,
            category: dateline_storage::repo::taxonomy::category_by_slug(&mut app.conn(), "energy").unwrap().id,
        };
        let anonymous = app.client();
        anonymous.with_header("Accept", "application/json");
        let sessions = [
            (Who::Anonymous, anonymous.clone(), Client::new(&app.base)),
            (Who::As(Role::Contributor), app.signed_in("co-pages@example.com", Role::Contributor).await.0, contrib_api),
            (Who::As(Role::Editor), app.signed_in("ed-pages@example.com", Role::Editor).await.0, editor_api),
            (Who::As(Role::Admin), app.signed_in("admin-pages@example.com", Role::Admin).await.0, admin_api),
        ];
        for (who, pages, api) in &sessions {
            pages.with_header("Accept", "application/json");
            for route in ROUTES {
                // Signing out would end the session the rest of the walk uses.
                if route.name == "auth.logout" {
                    continue;
                }
                let path = concrete(route.path, &fixtures);
                check(*who, pages, api, route, &path, &fixtures).await;
            }
        }
    }
}
