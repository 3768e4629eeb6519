//! Real-browser tests in Debian's Chromium, driven through chromedriver: signing in and out, the
//! workflow up to an automatic embargo lift, the theme at phone and desktop widths, and an
//! automated accessibility check (axe-core) with no serious violations.
//!
//! Without Chromium, chromedriver or axe-core these tests say they were skipped, unless
//! `DATELINE_TEST_BROWSER=required` (CI sets it), in which case a missing piece fails them.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use dateline_core::Role;
use fantoccini::{Client as Wd, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::http_tests;
use crate::support::process::free_port;
use crate::support::{PASSWORD, TestApp};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub struct Browser {
    pub wd: Wd,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// chromedriver runs in its own process group with the Chromium it starts, so the whole
    /// group goes: killing chromedriver alone leaves Chromium running, orphaned, using CPU.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// chromedriver's endpoint for the browser console (`goog:loggingPrefs`).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// What of the browser toolchain is missing, if anything. A half-installed toolchain (Chromium
/// without axe-core, say) is treated like a missing one, so a fresh clone's tests skip instead
/// of failing halfway through a page.
fn missing_toolchain() -> Option<String> {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        return Some(format!(
            "{CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
        ));
    }
    let axe = axe_script();
    if !axe.exists() {
        return Some(format!(
            "{} is missing (npm ci --prefix tests/browser)",
            axe.display()
        ));
    }
    None
}

fn axe_script() -> PathBuf {
    root().join("tests/browser/node_modules/axe-core/axe.min.js")
}

impl Browser {
    /// Starts Chromium, or returns `None` (with a note) when it is not installed and not required.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let required = std::env::var("DATELINE_TEST_BROWSER").is_ok_and(|v| v == "required");
        if let Some(missing) = missing_toolchain() {
            assert!(!required, "DATELINE_TEST_BROWSER=required, but {missing}");
            eprintln!("skipped: {missing}; the browser tests need all of it");
            return None;
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        });
        let mut caps = caps.as_object().unwrap().clone();
        // Headless Chrome will not make a window narrower than 500 px; a phone is emulated.
        if width < 500 {
            caps["goog:chromeOptions"]["mobileEmulation"] = json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true}});
        }
        let mut last_error = String::new();
        for _ in 0..50 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(wd) => {
                    return Some(Browser {
                        wd,
                        driver,
                        _profile: profile,
                    });
                }
                Err(e) => {
                    last_error = e.to_string();
                    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("chromedriver did not start a session: {last_error}");
    }

    /// Console messages at error level, CSP violations included, since the last call.
    pub async fn console_errors(&self) -> Vec<String> {
        let logs = self.wd.issue_cmd(BrowserLog).await.unwrap_or(Value::Null);
        logs.as_array()
            .map(|a| {
                a.iter()
                    .filter(|e| {
                        e["level"] == "SEVERE"
                            || e["message"]
                                .as_str()
                                .is_some_and(|m| m.contains("Content Security Policy"))
                    })
                    .filter_map(|e| e["message"].as_str().map(str::to_owned))
                    // A missing favicon is the browser's own guess, not our page.
                    .filter(|m| !m.contains("favicon.ico"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Fails on anything the console logged as an error, CSP violations included.
    pub async fn assert_no_console_errors(&self) {
        let errors = self.console_errors().await;
        assert!(
            errors.is_empty(),
            "console errors or CSP violations: {errors:?}"
        );
    }

    /// Saves a screenshot under `target/screenshots/<backend>/`.
    pub async fn screenshot(&self, app: &TestApp, name: &str) {
        let png = self.wd.screenshot().await.unwrap();
        let backend = match app.db.url {
            dateline_storage::DatabaseUrl::Sqlite(_) => "sqlite",
            dateline_storage::DatabaseUrl::Postgres(_) => "postgres",
        };
        let dir = root().join("target/screenshots").join(backend);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// The page's visible text; empty while a new page is still replacing the old one.
    pub async fn text(&self) -> String {
        match self.wd.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self
            .wd
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.wd
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    pub async fn sign_in(&self, base: &str, email: &str) {
        self.wd.goto(&format!("{base}/login")).await.unwrap();
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_for_path("signing in", |path| path != "/login")
            .await;
    }

    pub async fn sign_out(&self) {
        self.click(".account-menu form[action='/logout'] button")
            .await;
        self.wait_for_path("signing out", |path| path.starts_with("/login"))
            .await;
    }

    pub async fn assert_on_login(&self) {
        let url = self.wd.current_url().await.unwrap();
        assert!(url.path().starts_with("/login"), "{url}");
    }

    /// Waits for a navigation started by a click to land, so the next `goto` cannot cut it off.
    async fn wait_for_path(&self, what: &str, arrived: impl Fn(&str) -> bool) {
        for _ in 0..50 {
            if let Ok(url) = self.wd.current_url().await
                && arrived(url.path())
                && !self.text().await.is_empty()
            {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{what} never finished:\n{}", self.text().await);
    }

    /// Runs axe-core on the current page; returns serious and critical violations.
    pub async fn accessibility_problems(&self) -> Vec<String> {
        let axe = axe_script();
        let source = std::fs::read_to_string(&axe).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run npm ci --prefix tests/browser",
                axe.display()
            )
        });
        self.wd.execute(&source, vec![]).await.unwrap();
        let result = self
            .wd
            .execute_async("const done = arguments[arguments.length - 1]; axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations)).catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));", vec![])
            .await
            .unwrap();
        result
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                format!(
                    "{} ({}): {} — {}",
                    v["id"],
                    v["impact"],
                    v["help"],
                    v["nodes"]
                        .as_array()
                        .map(|n| n
                            .iter()
                            .take(3)
                            .map(|x| x["html"]
                                .as_str()
                                .unwrap_or("")
                                .chars()
                                .take(120)
                                .collect::<String>())
                            .collect::<Vec<_>>()
                            .join(" | "))
                        .unwrap_or_default()
                )
            })
            .collect()
    }
}

/// Waits for the page now loading to show `needle`.
async fn expect_text(b: &Browser, needle: &str) {
    for _ in 0..50 {
        if b.text().await.contains(needle) {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {needle:?}:\n{}", b.text().await);
}

async fn wait_for_text(b: &Browser, url: &str, needle: &str) {
    for _ in 0..100 {
        b.wd.goto(url).await.unwrap();
        if b.text().await.contains(needle) {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    }
    panic!("{url} never showed {needle:?}");
}

/// Loads the demo newsroom and returns its newest release.
/// A webhook endpoint that is owed a delivery about `r`, so its page shows a log.
fn endpoint_with_a_delivery(app: &TestApp, r: &dateline_core::ReleaseSummary) -> i64 {
    use dateline_storage::repo::{releases, webhooks};
    let mut conn = app.conn();
    let now = app.state.clock.now();
    let sealed = dateline_web::webhooks::secrets::seal(&app.state.key, "whsec_test").unwrap();
    let settings = webhooks::Settings {
        url: "https://hooks.example.invalid/dateline".into(),
        description: "The wire desk".into(),
        events: dateline_core::webhook::Event::ALL.to_vec(),
        allow_private: false,
        active: true,
    };
    let hook = webhooks::create(&mut conn, &settings, &sealed, None, now).unwrap();
    let release = releases::get_by_public_id(&mut conn, &r.public_id).unwrap();
    let event = dateline_core::webhook::Event::Published;
    webhooks::enqueue(&mut conn, event, &release, "", now).unwrap();
    hook.id
}

fn demo_newsroom(app: &TestApp) -> dateline_core::ReleaseSummary {
    dateline_web::demo::load(&mut app.conn(), app.state.clock.now()).unwrap();
    dateline_storage::repo::releases::list_public(
        &mut app.conn(),
        app.state.clock.now(),
        &Default::default(),
        &dateline_storage::PageRequest::first(1),
    )
    .unwrap()
    .items
    .remove(0)
}

// Each runs on SQLite and, when DATELINE_TEST_POSTGRES is set, on PostgreSQL too.
http_tests! {
async fn sign_in_out_and_back_shows_nothing_private(app) {
    let Some(b) = Browser::start(1280, 900).await else {
        return;
    };
    app.user("ana@example.com", Role::Editor);
    let draft = crate::foundation::draft_release(&app, "Private merger plan", Some(1));
    let _ = draft;
    b.sign_in(&app.base, "ana@example.com").await;
    let url = b.wd.current_url().await.unwrap();
    assert!(url.path().starts_with("/admin"), "{url}");
    b.wd.goto(&format!("{}/admin/releases", app.base))
        .await
        .unwrap();
    assert!(b.text().await.contains("Private merger plan"));
    b.screenshot(&app, "dashboard-releases").await;
    // C1: a page elsewhere that posts a form at us on load changes nothing.
    let attack = format!(
        "data:text/html,<form method='post' action='{}/account/profile'><input name='display_name' value='Hacked'><input name='time_zone' value=''><input name='revision' value='1'></form><script>document.forms[0].submit()</script>",
        app.base
    );
    b.wd.goto(&attack).await.unwrap();
    for _ in 0..50 {
        if b.wd.current_url().await.is_ok_and(|u| u.scheme() == "http") {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let ana = dateline_storage::repo::users::find_by_email(&mut app.conn(), "ana@example.com")
        .unwrap()
        .unwrap();
    assert_ne!(ana.display_name, "Hacked", "a cross-site form changed the profile");
    assert!(!b.text().await.contains("Saved"), "{}", b.text().await);
    // The refusal is the only thing the console saw (reading the log empties it).
    let refused = b.console_errors().await;
    assert!(
        refused.iter().all(|e| e.contains("/account/profile")
            && (e.contains("401") || e.contains("403"))),
        "{refused:?}"
    );
    b.wd.goto(&format!("{}/admin", app.base)).await.unwrap();
    b.sign_out().await;
    b.assert_on_login().await;
    b.wd.back().await.unwrap();
    let after = b.text().await;
    assert!(
        !after.contains("Private merger plan"),
        "Back after signing out showed private data:\n{after}"
    );
    b.assert_no_console_errors().await;
}

// The very first visit: the one-time setup link makes the first admin, in a real browser, whose
// form posts carry whatever `Origin` the page's referrer policy lets through.
async fn first_run_setup_and_the_editor_preview(app) {
    let Some(b) = Browser::start(1280, 900).await else {
        return;
    };
    let link = dateline_web::startup::setup_link_if_needed(
        &mut app.conn(),
        &app.state.config,
        chrono::Utc::now(),
    )
    .unwrap()
    .expect("a setup link while no account exists");
    b.wd.goto(&link).await.unwrap();
    b.fill("#email", "ana@example.com").await;
    b.fill("#name", "Ana Ribeiro").await;
    b.fill("#password", PASSWORD).await;
    b.fill("#confirm", PASSWORD).await;
    b.click("form button[type=submit].primary").await;
    expect_text(&b, "Ana Ribeiro").await;
    let url = b.wd.current_url().await.unwrap();
    assert_eq!(url.path(), "/admin", "{}", b.text().await);

    // The admin previews a draft as readers will see it, then signs out from that page.
    let draft = crate::foundation::draft_release(&app, "Harbour crane arrives", None);
    b.wd.goto(&format!(
        "{}/admin/releases/{}/preview",
        app.base, draft.public_id
    ))
    .await
    .unwrap();
    expect_text(&b, "Harbour crane arrives").await;
    b.sign_out().await;
    expect_text(&b, "Sign in").await;
    b.assert_on_login().await;
    b.assert_no_console_errors().await;
}

async fn draft_to_automatic_publication(app) {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    app.user("co@example.com", Role::Contributor);
    app.user("ed@example.com", Role::Editor);
    // A contributor drafts and submits.
    b.sign_in(&app.base, "co@example.com").await;
    b.wd.goto(&format!("{}/admin/releases/new", app.base))
        .await
        .unwrap();
    b.fill("#headline", "Tidal pool opens to the public").await;
    b.fill("#dateline_city", "Lisbon").await;
    b.fill("#summary", "The city's first tidal pool opens on Saturday.")
        .await;
    b.fill(
        "#body",
        "The pool holds **2,000 cubic metres** of sea water.",
    )
    .await;
    b.click("#release-form button[type=submit].primary").await;
    expect_text(&b, "Created.").await;
    let edit = b.wd.current_url().await.unwrap();
    b.click("button[formaction$='/submit']").await;
    expect_text(&b, "Submitted for review.").await;
    b.sign_out().await;
    // An editor approves it for a few seconds from now.
    b.sign_in(&app.base, "ed@example.com").await;
    b.wd.goto(edit.as_str()).await.unwrap();
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(4))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    b.wd.execute("document.getElementById('embargo_local').value = arguments[0]; document.getElementById('embargo_zone').value = 'UTC';", vec![json!(soon)]).await.unwrap();
    b.screenshot(&app, "editor-approve").await;
    b.click("button[formaction$='/approve']").await;
    expect_text(&b, "Approved and scheduled.").await;
    // Nobody visits; the scheduler publishes it.
    let id = edit
        .path()
        .trim_start_matches("/admin/releases/")
        .to_owned();
    wait_for_text(
        &b,
        &format!("{}/releases/{id}", app.base),
        "2,000 cubic metres",
    )
    .await;
    b.screenshot(&app, "published-release").await;
    b.assert_no_console_errors().await;
}

async fn an_editor_uploads_a_photo_and_readers_see_it(app) {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let (api, _) = app.api_user("api@example.com", Role::Editor);
    let made = api.json("POST", "/api/v1/releases", &json!({"headline": "Harbour bridge opens", "body": "The bridge opens on Saturday."})).await;
    made.assert_status(201);
    let id = made.json()["id"].as_str().unwrap().to_owned();
    app.user("ed@example.com", Role::Editor);
    b.sign_in(&app.base, "ed@example.com").await;
    b.wd.goto(&format!("{}/admin/releases/{id}", app.base)).await.unwrap();

    // A real file chosen in the file field, as a person would.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bridge.jpg");
    let img = image::ImageBuffer::from_fn(1200, 800, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    image::DynamicImage::ImageRgb8(img).save(&path).unwrap();
    b.wd.find(Locator::Css("#media-file")).await.unwrap().send_keys(path.to_str().unwrap()).await.unwrap();
    b.fill("#media-alt", "The bridge at dusk").await;
    b.fill("#media-caption", "Opening night").await;
    b.click("form[action$='/media'] button[type=submit]").await;
    expect_text(&b, "The file was added.").await;
    expect_text(&b, "JPEG, 1200×800").await;
    let problems = b.accessibility_problems().await;
    assert!(problems.is_empty(), "editor with a file:\n{}", problems.join("\n"));

    // Published, the reader's browser picks the WebP rendition and it loads.
    api.json("POST", &format!("/api/v1/releases/{id}/publish"), &json!({})).await.assert_status(200);
    b.sign_out().await;
    b.wd.goto(&format!("{}/releases/{id}", app.base)).await.unwrap();
    expect_text(&b, "Opening night").await;
    let mut loaded = json!(false);
    for _ in 0..50 {
        loaded = b.wd.execute("const i = document.querySelector('.lead-image img'); return i.complete && i.naturalWidth > 0 ? i.currentSrc : false;", vec![]).await.unwrap();
        if loaded != json!(false) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let src = loaded.as_str().unwrap_or_else(|| panic!("the lead picture never loaded: {loaded}"));
    assert!(src.contains("/media/") && src.ends_with(".webp"), "{src}");
    b.screenshot(&app, "release-with-photo").await;
    let problems = b.accessibility_problems().await;
    assert!(problems.is_empty(), "release with a photo:\n{}", problems.join("\n"));
    b.assert_no_console_errors().await;
}

async fn the_theme_is_accessible_at_phone_and_desktop_widths(app) {
    let r = demo_newsroom(&app);
    for (width, label) in [(360, "phone"), (1280, "desktop")] {
        let Some(b) = Browser::start(width, 900).await else {
            return;
        };
        // The checker itself must see a known problem, or its silence means nothing.
        b.wd.goto("data:text/html,<html><body><img src='x.png'><a href='/'></a></body></html>")
            .await
            .unwrap();
        assert!(
            !b.accessibility_problems().await.is_empty(),
            "axe found nothing on a page with known violations"
        );
        let pages = [
            ("home", "/".to_owned()),
            ("release", format!("/releases/{}/{}", r.public_id, r.slug)),
            ("listing", "/organizations/oresund-windshare".to_owned()),
            ("categories", "/categories".to_owned()),
            ("search", "/search?q=energy".to_owned()),
        ];
        for (name, path) in pages {
            b.wd.goto(&format!("{}{path}", app.base)).await.unwrap();
            b.screenshot(&app, &format!("{name}-{label}")).await;
            let problems = b.accessibility_problems().await;
            assert!(
                problems.is_empty(),
                "{name} at {width}px:\n{}",
                problems.join("\n")
            );
            // Nothing wider than the screen.
            let overflow =
                b.wd.execute(
                    "return document.documentElement.scrollWidth > window.innerWidth + 1;",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(
                overflow,
                json!(false),
                "{name} scrolls sideways at {width}px"
            );
        }
        b.assert_no_console_errors().await;
    }
}

async fn the_newsroom_pages_are_accessible(app) {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let r = demo_newsroom(&app);
    let hook = endpoint_with_a_delivery(&app, &r);
    app.user("admin@example.com", Role::Admin);
    b.sign_in(&app.base, "admin@example.com").await;
    for (name, path) in [
        ("admin-dashboard", "/admin".to_owned()),
        ("admin-releases", "/admin/releases".to_owned()),
        ("admin-editor", format!("/admin/releases/{}", r.public_id)),
        ("admin-new", "/admin/releases/new".to_owned()),
        ("admin-paste", "/admin/releases/paste".to_owned()),
        (
            "admin-history",
            format!("/admin/releases/{}/history", r.public_id),
        ),
        ("admin-users", "/admin/users".to_owned()),
        ("admin-audit", "/admin/audit".to_owned()),
        ("admin-settings", "/admin/settings".to_owned()),
        ("admin-webhooks", "/admin/webhooks".to_owned()),
        ("admin-webhook", format!("/admin/webhooks/{hook}")),
        ("admin-media", "/admin/media".to_owned()),
        ("account", "/account".to_owned()),
        ("two-factor", "/account/two-factor".to_owned()),
    ] {
        b.wd.goto(&format!("{}{path}", app.base)).await.unwrap();
        b.screenshot(&app, name).await;
        let problems = b.accessibility_problems().await;
        assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
    }
    b.assert_no_console_errors().await;
}
}
