//! The real binary under the worst conditions: killed with `kill -9` while an embargo is due
//! (`docs/security.md` Z5), and in the middle of a publish transaction (R2).

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use dateline_storage::repo::{audit, jobs, releases, search, settings};
use dateline_storage::testdb::TestDatabase;
use dateline_storage::{DatabaseUrl, Pool, PoolOptions, connection};
use serde_json::json;

use crate::support::Client;
use crate::support::process::{
    Server, editor_with_token, free_port, http_get, wait_for, wait_for_async, wait_for_ok,
};

/// A fixed key, so a restarted server is the same server.
const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub fn url_text(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) => p.display().to_string(),
        DatabaseUrl::Postgres(u) => u.clone(),
    }
}

fn start(dir: &Path, db: &str, port: u16, failpoint: Option<&str>) -> Server {
    let mut env = vec![
        ("DATABASE_URL", db),
        ("DATELINE_SECRET_KEY", KEY),
        ("DATELINE_SCHEDULER_INTERVAL_MS", "200"),
    ];
    if let Some(f) = failpoint {
        env.push(("DATELINE_FAILPOINT", f));
    }
    let server = Server::on_port(dir, port, &[], &env);
    wait_for_ok(port, "/healthz/ready");
    server
}

fn pool(url: &DatabaseUrl) -> Pool {
    connection::connect(
        url,
        &PoolOptions {
            max_size: 2,
            ..Default::default()
        },
    )
    .unwrap()
}

async fn embargo_survives_kill_9(db: &TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let url = url_text(&db.url);
    let token = editor_with_token(dir.path(), &url, "ed@example.com", "write");
    let port = free_port();
    let mut server = start(dir.path(), &url, port, None);
    let api = Client::new(&format!("http://127.0.0.1:{port}"));
    api.with_header("Authorization", &format!("Bearer {token}"));
    let id = api
        .json(
            "POST",
            "/api/v1/releases",
            &json!({"headline": "Kill nine"}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let embargo = Utc::now() + chrono::Duration::seconds(3);
    api.json(
        "POST",
        &format!("/api/v1/releases/{id}/approve"),
        &json!({"embargo_at": embargo.to_rfc3339()}),
    )
    .await
    .assert_status(200);
    actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    // Down through the embargo time.
    while Utc::now() < embargo + chrono::Duration::seconds(2) {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    let p = pool(&db.url);
    assert_eq!(
        releases::get_by_public_id(&mut p.get().unwrap(), &id.parse().unwrap())
            .unwrap()
            .status,
        dateline_core::ReleaseStatus::Scheduled
    );
    let port2 = free_port();
    let _back = start(dir.path(), &url, port2, None);
    wait_for("the overdue release to go out", || {
        http_get(port2, &format!("/api/v1/releases/{id}")).is_some_and(|(s, _)| s == 200)
    });
    let mut conn = p.get().unwrap();
    assert_eq!(
        audit::count_action(&mut conn, "lift_embargo", &id).unwrap(),
        1,
        "published exactly once"
    );
    assert!(jobs::pending(&mut conn).unwrap().is_empty());
}

async fn publish_is_atomic(db: &TestDatabase) {
    // Each round starts and kills a real server, so the count stays small; PostgreSQL runs fewer.
    let rounds = match db.url {
        DatabaseUrl::Sqlite(_) => 5,
        DatabaseUrl::Postgres(_) => 3,
    };
    let dir = tempfile::tempdir().unwrap();
    let url = url_text(&db.url);
    let token = editor_with_token(dir.path(), &url, "ed@example.com", "write");
    let p = pool(&db.url);
    for round in 0..rounds {
        let port = free_port();
        let mut server = start(dir.path(), &url, port, Some("publish.before_commit"));
        let api = Client::new(&format!("http://127.0.0.1:{port}"));
        api.with_header("Authorization", &format!("Bearer {token}"));
        let headline = format!("Atomic round {round}");
        let id = api
            .json(
                "POST",
                "/api/v1/releases",
                &json!({"headline": headline, "body": "Atomic body."}),
            )
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let before = settings::content_version(&mut p.get().unwrap())
            .unwrap()
            .version;
        let revision = releases::get_by_public_id(&mut p.get().unwrap(), &id.parse().unwrap())
            .unwrap()
            .revision;
        // The publish stops inside its transaction; kill the process there.
        let publisher = api.clone();
        let path = format!("/api/v1/releases/{id}/publish");
        let request =
            actix_web::rt::spawn(
                async move { publisher.request("POST", &path, None, "").await.status },
            );
        wait_for_async("the failpoint", || {
            server.log().contains("failpoint reached")
        })
        .await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        request.abort();
        let mut conn = p.get().unwrap();
        let r = releases::get_by_public_id(&mut conn, &id.parse().unwrap()).unwrap();
        assert_eq!(
            (r.status, r.published_at, r.revision),
            (dateline_core::ReleaseStatus::Draft, None, revision),
            "round {round}: half-published"
        );
        assert_eq!(
            settings::content_version(&mut conn).unwrap().version,
            before,
            "round {round}"
        );
        assert_eq!(
            audit::count_action(&mut conn, "publish", &id).unwrap(),
            0,
            "round {round}"
        );
        let q = search::SearchQuery {
            terms: search::parse_terms(&headline),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        assert_eq!(
            search::search(&mut conn, Utc::now(), &q).unwrap().total,
            0,
            "round {round}: in the search index"
        );
        assert_eq!(connection::integrity_check(&mut conn).unwrap(), "ok");
    }
}

crate::database_tests! {
    embargo_survives_kill_9_sqlite, embargo_survives_kill_9_postgres => embargo_survives_kill_9;
    publish_is_atomic_sqlite, publish_is_atomic_postgres => publish_is_atomic;
}
