//! The page cache: anonymous readers get kept pages, and never one that a publication,
//! correction, withdrawal, restore or slug change has made stale; embargoed content and pages
//! for signed-in people are never kept or shared.

use chrono::Duration;
use dateline_core::Role;
use serde_json::json;

use crate::http_tests;
use crate::support::client::field_value;
use crate::support::{Client, TestApp};

const CACHE: &str = "x-dateline-cache";

/// Reads `path` twice as an anonymous reader: the second answer must come from the cache and
/// be the same page. Returns its body.
async fn cached(app: &TestApp, path: &str) -> String {
    let c = app.client();
    let first = c.get(path).await;
    first.assert_status(200);
    let again = c.get(path).await;
    again.assert_status(200);
    assert_eq!(
        again.header(CACHE).as_deref(),
        Some("hit"),
        "{path} is kept"
    );
    assert_eq!(
        first.body, again.body,
        "{path} is the same page from the cache"
    );
    again.body
}

/// A response's headers, sorted, without those that differ between any two answers.
fn lasting(headers: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut kept: Vec<_> = headers
        .filter(|(k, _)| k != "date" && k != "x-request-id")
        .collect();
    kept.sort();
    kept
}

/// The head of the answer to a GET that declares an empty body, read on a connection left open.
fn head_keeping_connection(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap() == 1 {
        got.push(byte[0]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// [`lasting`] for a response the client read.
fn lasting_of(res: &crate::support::client::Response) -> Vec<(String, String)> {
    lasting(
        res.headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned())),
    )
}

async fn publish(editor: &Client, headline: &str, body: &str) -> String {
    editor
        .publish_release(&json!({"headline": headline, "body": body}))
        .await
}

/// Reads `path` as an anonymous reader until it shows `text`, for changes the background
/// scheduler makes (up to 15 s).
async fn until_page_shows(app: &TestApp, path: &str, text: &str) {
    let c = app.client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::time::Instant::now() < deadline {
        if c.get(path).await.body.contains(text) {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} never showed {text:?}");
}

http_tests! {
    async fn no_change_leaves_a_stale_page_behind(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = publish(&editor, "Harbour opens", "The harbour opens on Monday.").await;
        let page = app.page_of(&id);
        assert!(cached(&app, "/").await.contains("Harbour opens"));
        assert!(cached(&app, &page).await.contains("opens on Monday"));
        assert!(cached(&app, "/feed.atom").await.contains("Harbour opens"));

        // Another release is published: the home page and the feed show it at once.
        publish(&editor, "Ferry timetable changes", "Ferries run hourly.").await;
        assert!(cached(&app, "/").await.contains("Ferry timetable changes"));
        assert!(cached(&app, "/feed.atom").await.contains("Ferry timetable changes"));

        // A correction.
        editor.json("POST", &format!("/api/v1/releases/{id}/corrections"), &json!({"body": "The harbour opens on Tuesday.", "note": "The day was wrong."})).await.assert_status(200);
        let corrected = cached(&app, &page).await;
        assert!(corrected.contains("opens on Tuesday") && corrected.contains("The day was wrong."));

        // A restore of the first text, as a correction.
        editor.json("POST", &format!("/api/v1/releases/{id}/revisions/1/restore"), &json!({"note": "Monday after all."})).await.assert_status(200);
        assert!(cached(&app, &page).await.contains("opens on Monday"));

        // A slug change: the old address redirects, the new one is the page.
        let (desk, _) = app.signed_in("desk@example.com", Role::Editor).await;
        let form = desk.get(&format!("/admin/releases/{id}")).await;
        let (token, rev) = (form.csrf(), field_value(&form.body, "revision").unwrap());
        desk.post_form(&format!("/admin/releases/{id}/slug"), &[("csrf_token", &token), ("revision", &rev), ("slug", "harbour-opening")]).await.assert_status(303);
        let moved = app.client().get(&page).await;
        moved.assert_status(301);
        assert_eq!(moved.location(), format!("/releases/{id}/harbour-opening"));
        assert!(cached(&app, &format!("/releases/{id}/harbour-opening")).await.contains("opens on Monday"));

        // A withdrawal: the page is gone and no listing shows it.
        editor.json("POST", &format!("/api/v1/releases/{id}/withdraw"), &json!({"reason": "Issued in error."})).await.assert_status(200);
        let gone = app.client().get(&format!("/releases/{id}/harbour-opening")).await;
        gone.assert_status(410);
        assert_ne!(gone.header(CACHE).as_deref(), Some("hit"));
        assert!(!cached(&app, "/").await.contains("Harbour opens"));
        assert!(!cached(&app, "/feed.atom").await.contains("Harbour opens"));
    }

    // The public API list is kept like a page for anonymous callers and never shown stale; a
    // caller with a token always gets a fresh answer of their own, never the kept one.
    async fn the_public_api_list_is_kept_like_a_page(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        publish(&editor, "Harbour opens", "The harbour opens on Monday.").await;
        assert!(cached(&app, "/api/v1/releases").await.contains("Harbour opens"));
        let kept = app.client().get("/api/v1/releases").await;
        assert!(kept.header("cache-control").unwrap_or_default().starts_with("public"), "{:?}", kept.header("cache-control"));
        assert!(kept.header("vary").unwrap_or_default().contains("Authorization"));
        let etag = kept.header("etag").unwrap();
        let again = app.client();
        again.with_header("If-None-Match", &etag);
        again.get("/api/v1/releases").await.assert_status(304);

        publish(&editor, "Ferry timetable changes", "Ferries run hourly.").await;
        assert!(cached(&app, "/api/v1/releases").await.contains("Ferry timetable changes"));
        editor.json("POST", "/api/v1/releases", &json!({"headline": "Draft plans", "body": "Not yet."})).await.assert_status(201);
        let theirs = editor.get("/api/v1/releases?status=draft").await;
        theirs.assert_status(200);
        assert!(theirs.body.contains("Draft plans"));
        assert_eq!(theirs.header(CACHE), None, "a token's list does not touch the cache");
        assert_eq!(theirs.header("cache-control").as_deref(), Some("no-store"));
        assert!(!cached(&app, "/api/v1/releases").await.contains("Draft plans"));
    }

    // A kept page is answered before the layers run when its address is already in its one
    // spelling; through them otherwise. Either way the reader gets the same page with the same
    // headers, in every coding.
    async fn a_kept_page_answered_early_is_the_page_the_layers_send(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = publish(&editor, "Harbour opens", "The harbour opens on Monday.").await;
        let page = app.page_of(&id);
        let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
        for (path, layered) in [
            ("/".to_owned(), "//".to_owned()),
            (page.clone(), format!("{page}/")),
            ("/api/v1/releases".to_owned(), "/api/v1/releases/".to_owned()),
        ] {
            cached(&app, &path).await;
            for accept in ["gzip", "br", "deflate"] {
                let c = Client::new(&app.base);
                c.with_header("Accept-Encoding", accept);
                let (early, through) = (c.get(&path).await, c.get(&layered).await);
                early.assert_status(200);
                assert_eq!(early.header(CACHE).as_deref(), Some("hit"), "{path} {accept}");
                assert_eq!(early.bytes, through.bytes, "{path} in {accept}");
                assert_eq!(lasting_of(&early), lasting_of(&through), "{path} in {accept}");
                assert_ne!(early.header("x-request-id"), through.header("x-request-id"));
            }
            // A reader that asks for no coding at all, as curl and wrk do.
            let ask = |p: String| async move {
                let request = format!("GET {p} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                actix_web::rt::task::spawn_blocking(move || crate::support::process::exchange(port, request.as_bytes())).await.unwrap()
            };
            let (early, through) = (ask(path.clone()).await, ask(layered.clone()).await);
            let (early_head, early_body) = early.split_once("\r\n\r\n").unwrap();
            let (through_head, through_body) = through.split_once("\r\n\r\n").unwrap();
            assert!(early_head.starts_with("HTTP/1.1 200"), "{early_head}");
            assert!(early_head.contains("x-dateline-cache: hit"), "{early_head}");
            assert_eq!(early_body, through_body, "{path}");
            let fields = |head: &str| lasting(head.lines().skip(1).filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned())));
            assert_eq!(fields(early_head), fields(through_head), "{path}");
            // An empty body declared on a GET, as some clients send, leaves nothing unread: the
            // connection stays open for the next request.
            let head = actix_web::rt::task::spawn_blocking(move || head_keeping_connection(port, &layered)).await.unwrap();
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            assert!(!head.to_ascii_lowercase().contains("connection: close"), "{head}");
        }
    }

    async fn embargoed_and_signed_in_pages_are_never_shared(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        publish(&editor, "Bridge repairs finish", "Traffic returns.").await;
        let made = editor.json("POST", "/api/v1/releases", &json!({"headline": "Secret merger", "body": "Under embargo."})).await;
        let id = made.json()["id"].as_str().unwrap().to_owned();
        let embargo = app.state.clock.now() + Duration::hours(1);
        editor.json("POST", &format!("/api/v1/releases/{id}/approve"), &json!({"embargo_at": embargo.to_rfc3339()})).await.assert_status(200);
        let page = app.page_of(&id);

        // The newsroom may read it; that page is theirs alone.
        let (desk, _) = app.signed_in("desk@example.com", Role::Editor).await;
        let theirs = desk.get(&page).await;
        theirs.assert_status(200);
        assert!(theirs.body.contains("Secret merger"));
        assert_eq!(theirs.header(CACHE), None, "a signed-in page does not touch the cache");
        for _ in 0..2 {
            let anonymous = app.client().get(&page).await;
            anonymous.assert_status(404);
            assert!(!anonymous.body.contains("Secret merger"));
        }
        assert!(!cached(&app, "/").await.contains("Secret merger"));

        // Signed-in people get their own page with their own bar, never the kept one.
        let desk_home = desk.get("/").await;
        assert_eq!(desk_home.header(CACHE), None);
        assert!(desk_home.body.contains("desk") && desk_home.body.contains("Sign out"));
        let (other, _) = app.signed_in("night@example.com", Role::Contributor).await;
        let other_home = other.get("/").await;
        assert!(other_home.body.contains("night") && !other_home.body.contains(">desk<"));
        let anonymous = cached(&app, "/").await;
        assert!(!anonymous.contains("Sign out") && !anonymous.contains(">night<"));

        // The embargo lifts: the scheduler publishes, and readers see it without a stale page.
        app.state.clock.advance(Duration::hours(1) + Duration::seconds(1));
        until_page_shows(&app, "/", "Secret merger").await;
        assert!(cached(&app, &page).await.contains("Under embargo."));
    }

    async fn a_crowd_asking_for_a_page_at_once_has_it_rendered_once(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        for i in 0..5 {
            publish(&editor, &format!("Harbour works, phase {i}"), "The harbour works go on.").await;
        }
        for path in ["/search?q=harbour", "/feed.atom", "/"] {
            let crowd: Vec<Client> = (0..24).map(|_| app.client()).collect();
            let answers = futures_util::future::join_all(crowd.iter().map(|c| c.get(path))).await;
            assert!(answers.iter().all(|a| a.status == 200), "{path}: every reader is answered");
            let rendered = answers.iter().filter(|a| a.header(CACHE).as_deref() == Some("miss")).count();
            assert_eq!(rendered, 1, "{path} is rendered once for 24 readers asking at once");
            assert!(answers.iter().all(|a| a.body == answers[0].body), "{path}: the same page for all");
        }
    }

    async fn changes_made_by_another_instance_reach_this_ones_cache(app) {
        let second = app.second_instance().await;
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        publish(&editor, "Library hours", "Open late.").await;
        assert!(!cached(&app, "/").await.contains("Museum reopens"));
        // The other instance publishes; this one learns of it at its scheduler's next pass.
        let (other, _) = second.api_user("ed2@example.com", Role::Editor);
        publish(&other, "Museum reopens", "New wing.").await;
        until_page_shows(&app, "/", "Museum reopens").await;
    }
}
