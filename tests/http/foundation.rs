//! The foundation: health checks, errors, headers, static files, the home and release pages,
//! and first-run setup.

use chrono::{Duration, Utc};
use dateline_core::workflow::Transition;
use dateline_core::{Contact, Dateline, ReleaseContent, Role, SourceLine};
use dateline_storage::repo::audit::Actor;
use dateline_storage::repo::organizations::{self, OrganizationInput};
use dateline_storage::repo::pipeline::{self, Change, Request};
use dateline_storage::repo::releases::{self, NewRelease};
use dateline_storage::repo::taxonomy::{self, TaxonInput};

use crate::http_tests;
use crate::support::TestApp;

/// A published release with every part of its anatomy filled in.
pub fn published_release(app: &TestApp, headline: &str) -> dateline_core::Release {
    let mut conn = app.conn();
    let org = match organizations::get_by_slug(&mut conn, "northwind-grid") {
        Ok(o) => o,
        Err(_) => organizations::create(
            &mut conn,
            &OrganizationInput {
                name: "Northwind Grid".into(),
                website: "https://northwind.example.com".into(),
                boilerplate:
                    "Northwind Grid runs the regional power network.\n\nIt was founded in 1998."
                        .into(),
                contacts: vec![Contact {
                    name: "Ana Ribeiro".into(),
                    title: "Press officer".into(),
                    email: "press@northwind.example.com".into(),
                    phone: "+1 555-0142".into(),
                }],
                ..Default::default()
            },
        )
        .unwrap(),
    };
    let cat = taxonomy::category_by_slug(&mut conn, "energy")
        .or_else(|_| taxonomy::create_category(&mut conn, &TaxonInput::named("Energy")))
        .unwrap();
    let content = ReleaseContent {
        headline: headline.into(),
        subheadline: "The first of its kind in the region".into(),
        dateline: Dateline {
            city: "Xiamen".into(),
            region: "China".into(),
            date: chrono::NaiveDate::from_ymd_opt(2022, 9, 2),
            distributor: "PRNewswire".into(),
        },
        source: SourceLine {
            label: "A news report from example.com".into(),
            url: "https://example.com/news/1".into(),
        },
        summary: "A grid battery went live.".into(),
        body: "The battery stores **400 MWh**.\n\nIt opened today.".into(),
        language: "en".into(),
        organization_id: Some(org.id),
        contacts: org.contacts.clone(),
        category_ids: vec![cat.id],
        region_ids: vec![],
        tags: vec!["storage".into()],
    };
    let r = releases::create(
        &mut conn,
        &NewRelease {
            content,
            author_id: None,
        },
    )
    .unwrap();
    pipeline::apply(
        &mut conn,
        &Request {
            release_id: r.id,
            expected_revision: None,
            change: Change::Publish {
                at: Some(Utc::now() - Duration::minutes(5)),
            },
            actor: Actor::system("test"),
            now: Utc::now(),
        },
    )
    .unwrap()
    .release
}

pub fn draft_release(app: &TestApp, headline: &str, author: Option<i64>) -> dateline_core::Release {
    let content = ReleaseContent {
        headline: headline.into(),
        language: "en".into(),
        body: "Secret body.".into(),
        ..Default::default()
    };
    releases::create(
        &mut app.conn(),
        &NewRelease {
            content,
            author_id: author,
        },
    )
    .unwrap()
}

http_tests! {
    async fn health_checks_answer(app) {
        let c = app.client();
        c.get("/healthz/live").await.assert_status(200);
        let ready = c.get("/healthz/ready").await;
        ready.assert_status(200);
        assert_eq!(ready.body.trim(), "ready");
        // Until the database is known to be up, readiness and pages say 503 with Retry-After.
        app.state.ready.store(false, std::sync::atomic::Ordering::Release);
        let not_ready = c.get("/healthz/ready").await;
        not_ready.assert_status(503);
        assert_eq!(not_ready.header("retry-after").as_deref(), Some("5"));
        let page = c.get("/").await;
        page.assert_status(503);
        assert!(page.header("retry-after").is_some());
        c.get("/healthz/live").await.assert_status(200);
    }

    async fn errors_are_pages_or_problem_json(app) {
        let c = app.client();
        let html = c.get("/no/such/page").await;
        html.assert_status(404);
        assert!(html.header("content-type").unwrap().starts_with("text/html; charset=utf-8"));
        assert!(html.body.contains("Page not found"));
        let id = html.header("x-request-id").expect("a request id");
        assert!(html.body.contains(&id), "the page shows the request id");
        // Bytes that are not UTF-8, in a path or a query, are a plain answer, never a 500.
        for path in ["/releases/%FF%FE", "/organizations/%C3%28"] {
            c.get(path).await.assert_status(404);
        }
        c.get("/?after=%C0%80").await.assert_status(400);
        let search = c.get("/search?q=%FF%FE").await;
        search.assert_status(200);
        assert!(search.text().contains("No releases match"), "{}", search.text());

        let api = c.get("/api/v1/nothing-here/really/not").await;
        api.assert_status(404);
        assert_eq!(api.header("content-type").as_deref(), Some("application/problem+json"));
        let p = api.json();
        assert_eq!(p["status"], 404);
        assert_eq!(p["title"], "Page not found");
        assert_eq!(p["request_id"], api.header("x-request-id").unwrap().as_str());

        let json = c.request("GET", "/nope", None, "").await;
        assert_eq!(json.status, 404);
        let wants_json = crate::support::Client::new(&app.base);
        wants_json.with_header("Accept", "application/json");
        assert_eq!(wants_json.get("/nope").await.header("content-type").as_deref(), Some("application/problem+json"));
    }

    // C3 and L3 when something breaks inside: a 500 keeps every security header and tells the
    // reader nothing about why, only the request id to quote.
    async fn a_server_error_is_generic_and_keeps_its_headers(app) {
        use diesel::RunQueryDsl;
        diesel::sql_query("DROP TABLE release_search").execute(&mut app.conn()).unwrap();
        for (path, accept) in [("/search?q=harbour", "text/html"), ("/api/v1/search?q=harbour", "application/json")] {
            let c = app.client();
            c.with_header("Accept", accept);
            let r = c.get(path).await;
            assert_eq!(r.status, 500, "{path}");
            assert!(r.header("content-security-policy").is_some() && r.header("x-content-type-options").as_deref() == Some("nosniff"), "{path}");
            let id = r.header("x-request-id").unwrap();
            assert!(r.body.contains(&id), "{path}: the reference to quote");
            let lower = r.body.to_lowercase();
            assert!(!lower.contains("release_search") && !lower.contains("table") && !lower.contains("sql"), "{path}: {}", r.body);
        }
    }

    async fn every_response_carries_security_headers(app) {
        let c = app.client();
        let css = dateline_web::assets::url("app.css");
        for path in ["/", "/nope", css.as_str(), "/healthz/live", "/login"] {
            let r = c.get(path).await;
            let csp = r.header("content-security-policy").unwrap_or_else(|| panic!("no CSP on {path}"));
            assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
            assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"), "{path}");
            assert_eq!(r.header("referrer-policy").as_deref(), Some("strict-origin-when-cross-origin"), "{path}");
            assert!(r.header("strict-transport-security").is_none(), "no HSTS over plain HTTP: {path}");
            assert!(r.header("x-request-id").is_some(), "{path}");
        }
        // Staff addresses name drafts; links followed from there tell other sites nothing.
        for path in ["/admin", "/account/tokens", "/api/v1/releases"] {
            assert_eq!(c.get(path).await.header("referrer-policy").as_deref(), Some("same-origin"), "{path}");
        }
    }

    async fn the_stylesheet_is_embedded_and_cached_by_content(app) {
        let c = app.client();
        let url = dateline_web::assets::url("app.css");
        assert!(url.starts_with("/static/app.") && url.ends_with(".css") && url != "/static/app.css", "{url}");
        let css = c.get(&url).await;
        css.assert_status(200);
        assert_eq!(css.header("content-type").as_deref(), Some("text/css; charset=utf-8"));
        assert!(css.header("cache-control").unwrap().contains("immutable"));
        assert!(css.body.contains(".release-body"));
        let home = c.get("/").await;
        assert!(home.body.contains(&url), "pages link the versioned stylesheet");
        c.get("/static/../Cargo.toml").await.assert_status(404);
        c.get("/static/%2e%2e%2fCargo.toml").await.assert_status(404);
        c.get("/static/nope.css").await.assert_status(404);
    }

    async fn home_lists_published_releases_only(app) {
        let live = published_release(&app, "Grid battery switched on");
        draft_release(&app, "Unannounced merger", None);
        let home = app.client().get("/").await;
        home.assert_status(200);
        assert!(home.body.contains("Grid battery switched on"));
        assert!(home.body.contains("XIAMEN, China, Sept. 2, 2022 /PRNewswire/"), "the dateline in wire style");
        assert!(home.body.contains("Northwind Grid"));
        assert!(home.body.contains(&format!("/releases/{}/{}", live.public_id, live.slug)));
        assert!(!home.body.contains("Unannounced merger"));
    }

    async fn the_release_page_prints_its_anatomy(app) {
        let r = published_release(&app, "Grid battery switched on");
        let c = app.client();
        let page = c.get(&format!("/releases/{}/{}", r.public_id, r.slug)).await;
        page.assert_status(200);
        // The summary describes the page to search engines; the footer still describes the newsroom.
        assert!(page.body.contains("<meta name=\"description\" content=\"A grid battery went live.\">"));
        let footer = page.body.split("<footer").nth(1).unwrap();
        assert!(footer.contains("Press releases, as they are issued.") && !footer.contains("A grid battery went live."), "{footer}");
        for part in [
            "Grid battery switched on",
            "The first of its kind in the region",
            "XIAMEN, China, Sept. 2, 2022 /PRNewswire/ —",
            "A news report from example.com",
            "href=\"https://example.com/news/1\"",
            "<strong>400 MWh</strong>",
            "About Northwind Grid",
            "It was founded in 1998.",
            "Ana Ribeiro",
            "mailto:press@northwind.example.com",
            "News provided by",
            "/categories/energy",
            "<time datetime=",
        ] {
            assert!(page.body.contains(part), "missing {part:?}");
        }
        // The id decides: a wrong slug or the id alone redirect permanently to the real address.
        let moved = c.get(&format!("/releases/{}/old-headline", r.public_id)).await;
        moved.assert_status(301);
        assert_eq!(moved.location(), format!("/releases/{}/{}", r.public_id, r.slug));
        let by_id = c.get(&format!("/releases/{}", r.public_id)).await;
        by_id.assert_status(301);
        assert_eq!(by_id.location(), format!("/releases/{}/{}", r.public_id, r.slug));
        c.get("/releases/0000000000/x").await.assert_status(404);
        c.get("/releases/not-an-id/x").await.assert_status(404);
    }

    async fn drafts_are_not_found_and_withdrawn_releases_are_gone(app) {
        let d = draft_release(&app, "Unannounced merger", None);
        let c = app.client();
        let hidden = c.get(&format!("/releases/{}/{}", d.public_id, d.slug)).await;
        hidden.assert_status(404);
        assert!(!hidden.body.contains("Unannounced merger"));
        let r = published_release(&app, "Recalled figures");
        pipeline::apply(&mut app.conn(), &Request { release_id: r.id, expected_revision: None, change: Change::Move { transition: Transition::Withdraw, note: "Issued in error.".into() }, actor: Actor::system("t"), now: Utc::now() }).unwrap();
        let gone = c.get(&format!("/releases/{}/{}", r.public_id, r.slug)).await;
        gone.assert_status(410);
        assert!(gone.body.contains("Issued in error."));
        assert!(!gone.body.contains("400 MWh"), "the withdrawn text itself is not shown");
    }

    async fn first_run_setup_creates_the_admin_once(app) {
        let c = app.client();
        // There is never a default account.
        for (email, pw) in [("admin", "admin"), ("admin@example.com", "password"), ("admin", "password")] {
            assert_eq!(c.login(email, pw).await.status, 401);
        }
        let link = dateline_web::startup::setup_link_if_needed(&mut app.conn(), &app.state.config, Utc::now()).unwrap().expect("a setup link while no account exists");
        let path = link.trim_start_matches(&app.base).to_owned();
        assert!(path.starts_with("/setup/"));
        c.get("/setup/not-the-token").await.assert_status(404);
        let form = c.get(&path).await;
        form.assert_status(200);
        assert_eq!(form.header("referrer-policy").as_deref(), Some("same-origin"));
        // A weak password is refused and the typed fields come back.
        let weak = c.submit(&path, &path, &[("email", "ana@example.com"), ("name", "Ana"), ("password", "password1234"), ("confirm", "password1234")]).await;
        weak.assert_status(422);
        assert!(weak.body.contains("ana@example.com") && weak.body.contains("attackers try first"));
        let done = c.submit(&path, &path, &[("email", "Ana@Example.com"), ("name", "Ana Ribeiro"), ("password", crate::support::PASSWORD), ("confirm", crate::support::PASSWORD)]).await;
        done.assert_status(303);
        assert_eq!(done.location(), "/admin");
        let admin = dateline_storage::repo::users::find_by_email(&mut app.conn(), "ana@example.com").unwrap().unwrap();
        assert_eq!(admin.role, Role::Admin);
        // The page stops existing.
        app.client().get(&path).await.assert_status(404);
        assert!(dateline_web::startup::setup_link_if_needed(&mut app.conn(), &app.state.config, Utc::now()).unwrap().is_none());
    }

    async fn demo_content_fills_the_home_page(app) {
        let loaded = dateline_web::demo::load(&mut app.conn(), Utc::now()).unwrap();
        assert!(loaded.published >= 30, "{loaded:?}");
        assert!(matches!(dateline_web::demo::load(&mut app.conn(), Utc::now()), Err(dateline_web::demo::DemoError::AlreadyLoaded(_))));
        let home = app.client().get("/").await;
        assert_eq!(home.body.matches("class=\"card\"").count(), 20);
        let next = home.body.split("href=\"/?after=").nth(1).and_then(|s| s.split('"').next()).expect("a next page");
        let second = app.client().get(&format!("/?after={next}")).await;
        second.assert_status(200);
        assert!(second.body.matches("class=\"card\"").count() >= 10);
        app.client().get("/?after=garbage!").await.assert_status(400);
    }
}

#[actix_web::test]
async fn an_unreachable_database_is_a_quick_503() {
    let db = dateline_storage::testdb::TestDatabase::sqlite().unwrap();
    let app = TestApp::start(db, &[]).await;
    // Swap in a pool that points nowhere, as if the database went away.
    let url = dateline_storage::DatabaseUrl::parse("postgres://nobody@127.0.0.1:1/gone").unwrap();
    let mut state = app.state.clone();
    state.pool =
        dateline_storage::connection::connect_lazy(&url, &dateline_storage::PoolOptions::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    actix_web::rt::spawn(dateline_web::app::http_server(state, listener, 1).unwrap());
    let c = crate::support::Client::new(&base);
    // The pool gives up after its checkout timeout; a hang would fail on the client's timeout.
    let page = c.get("/").await;
    page.assert_status(503);
    assert!(page.header("retry-after").is_some());
    assert!(
        page.body.contains("database cannot be used right now"),
        "{}",
        page.body
    );
    c.get("/healthz/ready").await.assert_status(503);
    c.get("/healthz/live").await.assert_status(200);
}
