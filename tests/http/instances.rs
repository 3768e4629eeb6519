//! Several instances on one PostgreSQL database, as behind a load balancer: two real
//! `dateline serve` processes on their own ports share sessions, the scheduler, the page
//! cache's freshness and uploads through the database alone.

use std::time::{Duration, Instant};

use dateline_storage::repo::audit;
use dateline_storage::testdb::TestDatabase;
use image::ImageFormat;
use serde_json::json;

use crate::media::{picture, upload};
use crate::resilience::url_text;
use crate::support::process::{Server, editor_with_token, free_port, wait_for_ok};
use crate::support::{Client, PASSWORD};

/// The same key on both, as every instance of one newsroom has.
const KEY: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const SESSION: &str = "dateline_session";

fn instance(dir: &std::path::Path, url: &str) -> (Server, String) {
    let port = free_port();
    let env = [
        ("DATABASE_URL", url),
        ("DATELINE_SECRET_KEY", KEY),
        ("DATELINE_SCHEDULER_INTERVAL_MS", "200"),
    ];
    let server = Server::on_port(dir, port, &[], &env);
    wait_for_ok(port, "/healthz/ready");
    (server, format!("http://127.0.0.1:{port}"))
}

/// How long until `path` on `reader` satisfies `seen`, polling every 20 ms for at most ten
/// seconds.
async fn until_seen(reader: &Client, path: &str, seen: impl Fn(u16, &str) -> bool) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        let r = reader.get(path).await;
        if seen(r.status, &r.body) {
            return started.elapsed();
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{path} never showed the change");
}

#[actix_web::test]
async fn two_instances_on_one_postgres_database_act_as_one_newsroom() {
    let Some(db) = TestDatabase::postgres().unwrap() else {
        eprintln!("skipped: set DATELINE_TEST_POSTGRES to run this on PostgreSQL");
        return;
    };
    let url = url_text(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let token = editor_with_token(dir.path(), &url, "ed@example.com", "write");
    let (_a, base_a) = instance(dir.path(), &url);
    let (_b, base_b) = instance(dir.path(), &url);

    // A session made on one instance works on the other; signing out on one ends it on both.
    let on_a = Client::new(&base_a);
    on_a.login("ed@example.com", PASSWORD)
        .await
        .assert_status(303);
    let on_b = Client::new(&base_b);
    on_b.set_cookie(SESSION, &on_a.cookie(SESSION).unwrap());
    on_b.get("/admin").await.assert_status(200);
    on_a.submit("/logout", "/logout", &[])
        .await
        .assert_status(303);
    let after = on_b.get("/admin").await;
    after.assert_status(303);
    assert!(
        after.location().starts_with("/login"),
        "{}",
        after.location()
    );

    let api_a = Client::new(&base_a);
    api_a.with_header("Authorization", &format!("Bearer {token}"));
    let reader_b = Client::new(&base_b);

    // Each scheduled release is published once, whichever scheduler gets to it.
    let embargo = chrono::Utc::now() + chrono::Duration::seconds(3);
    let mut scheduled = Vec::new();
    for n in 0..6 {
        let id = api_a
            .create_release(&json!({"headline": format!("Scheduled {n}"), "body": "Text."}))
            .await;
        api_a
            .json(
                "POST",
                &format!("/api/v1/releases/{id}/approve"),
                &json!({"embargo_at": embargo.to_rfc3339()}),
            )
            .await
            .assert_status(200);
        scheduled.push(id);
    }
    for id in &scheduled {
        until_seen(&reader_b, &format!("/api/v1/releases/{id}"), |s, _| {
            s == 200
        })
        .await;
    }
    let mut conn = db.pool.get().unwrap();
    for id in &scheduled {
        assert_eq!(
            audit::count_action(&mut conn, "lift_embargo", id).unwrap(),
            1,
            "{id}"
        );
    }

    // With the page cache warm on B, a publication, a correction and a withdrawal on A show
    // on B within a second.
    reader_b.get("/").await.assert_status(200);
    assert_eq!(
        reader_b
            .get("/")
            .await
            .header("x-dateline-cache")
            .as_deref(),
        Some("hit")
    );
    // The release goes out with a photo uploaded through A.
    let id = api_a
        .create_release(&json!({"headline": "Harbour opens", "body": "The harbour opens."}))
        .await;
    let photo = picture(1200, 800, ImageFormat::Jpeg);
    let fields = [("alt", "The harbour at dawn"), ("release", id.as_str())];
    let uploaded = upload(&api_a, &fields, Some(("harbour.jpg", &photo))).await;
    uploaded.assert_status(201);
    api_a
        .json(
            "POST",
            &format!("/api/v1/releases/{id}/publish"),
            &json!({}),
        )
        .await
        .assert_status(200);
    let took = until_seen(&reader_b, "/", |_, body| body.contains("Harbour opens")).await;
    assert!(
        took < Duration::from_secs(1),
        "publication seen after {took:?}"
    );

    let page = api_a.get(&format!("/api/v1/releases/{id}")).await.json()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = page.trim_start_matches(&base_a).to_owned();
    reader_b.get(&page).await.assert_status(200);
    assert_eq!(
        reader_b
            .get(&page)
            .await
            .header("x-dateline-cache")
            .as_deref(),
        Some("hit")
    );
    api_a
        .json(
            "POST",
            &format!("/api/v1/releases/{id}/corrections"),
            &json!({"body": "The harbour opens on Tuesday.", "note": "The day was missing."}),
        )
        .await
        .assert_status(200);
    let took = until_seen(&reader_b, &page, |_, body| {
        body.contains("The day was missing.")
    })
    .await;
    assert!(
        took < Duration::from_secs(1),
        "correction seen after {took:?}"
    );

    // An upload made through A is served by B, byte for byte.
    let answer = uploaded.json();
    let mut urls: Vec<String> = answer["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap().to_owned())
        .collect();
    urls.push(answer["url"].as_str().unwrap().to_owned());
    let reader_a = Client::new(&base_a);
    for url in &urls {
        let from_b = reader_b.get(url).await;
        from_b.assert_status(200);
        assert_eq!(from_b.bytes, reader_a.get(url).await.bytes, "{url}");
    }

    api_a
        .json(
            "POST",
            &format!("/api/v1/releases/{id}/withdraw"),
            &json!({"reason": "Issued in error."}),
        )
        .await
        .assert_status(200);
    let took = until_seen(&reader_b, &page, |status, _| status == 410).await;
    assert!(
        took < Duration::from_secs(1),
        "withdrawal seen after {took:?}"
    );
    let took = until_seen(&reader_b, "/", |_, body| !body.contains("Harbour opens")).await;
    assert!(
        took < Duration::from_secs(1),
        "withdrawal seen on the home page after {took:?}"
    );
}
