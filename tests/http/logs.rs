//! `docs/security.md` L2, against the real binary at its most talkative: with `RUST_LOG` at trace, the
//! HTML parser's targets named too, a sign-in, API use and an embargoed release leave no
//! password, session id, token or embargoed text in the log, and a forged log line in user input
//! stays inside one escaped line.

use chrono::{Duration, Utc};
use serde_json::json;

use crate::support::process::{
    Server, editor_with_token, free_port, http_get, wait_for, wait_for_ok,
};
use crate::support::{Client, PASSWORD};
use dateline_storage::testdb::TestDatabase;

crate::database_tests! {
    trace_logs_hold_no_secrets_sqlite, trace_logs_hold_no_secrets_postgres => trace_logs_hold_no_secrets;
}

async fn trace_logs_hold_no_secrets(db: &TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let url = crate::resilience::url_text(&db.url);
    let token = editor_with_token(p, &url, "ana@example.com", "write");

    let port = free_port();
    let server = Server::on_port(
        p,
        port,
        &["--database-url", &url],
        // Everything, and the parser's own targets asked for by name: they must stay quiet.
        &[(
            "RUST_LOG",
            "trace,html5ever::tokenizer=trace,markup5ever=trace,ammonia=trace",
        )],
    );
    wait_for_ok(port, "/healthz/ready");
    let base = format!("http://127.0.0.1:{port}");

    let browser = Client::new(&base);
    browser
        .login("ana@example.com", PASSWORD)
        .await
        .assert_status(303);
    let session = browser
        .cookie("dateline_session")
        .expect("a session cookie");
    browser.get("/admin").await.assert_status(200);

    let api = Client::new(&base);
    api.with_header("Authorization", &format!("Bearer {token}"));
    let secret = format!("EMB-{}", uuid::Uuid::new_v4().simple());
    let created = api.json("POST", "/api/v1/releases", &json!({"headline": format!("Quarterly results {secret}"), "body": format!("Revenue rose. {secret}")})).await;
    created.assert_status(201);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let embargo = (Utc::now() + Duration::hours(3)).to_rfc3339();
    api.json(
        "POST",
        &format!("/api/v1/releases/{id}/approve"),
        &json!({"embargo_at": embargo}),
    )
    .await
    .assert_status(200);
    api.get(&format!("/api/v1/releases/{id}"))
        .await
        .assert_status(200);
    Client::new(&base)
        .get(&format!("/releases/{id}"))
        .await
        .assert_status(404);

    // A sign-in whose email tries to start a log line of its own.
    Client::new(&base)
        .login("x\nINFO forged entry", "wrong password here")
        .await
        .assert_status(401);
    // Everything above has been answered; the last request's access line marks the end.
    let (_, last) = http_get(port, "/healthz/live").unwrap();
    let rid = last
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .unwrap()
        .trim()
        .to_owned();
    wait_for("the last access line", || server.log().contains(&rid));

    let log = server.log();
    assert!(log.lines().count() > 20, "trace logging is on:\n{log}");
    let backend = match db.url {
        dateline_storage::DatabaseUrl::Sqlite(_) => "database=",
        dateline_storage::DatabaseUrl::Postgres(_) => "database=postgres://",
    };
    assert!(
        log.contains(backend),
        "the server ran on the database given:\n{log}"
    );
    for (what, needle) in [
        ("the password", PASSWORD),
        ("the session id", session.as_str()),
        ("the API token", token.as_str()),
        ("embargoed text", secret.as_str()),
    ] {
        let hits: Vec<&str> = log.lines().filter(|l| l.contains(needle)).collect();
        assert!(
            hits.is_empty(),
            "{what} is in the log:\n{}",
            hits.join("\n")
        );
    }
    assert!(
        !log.lines()
            .any(|l| l.trim_start().starts_with("INFO forged")),
        "a forged line:\n{log}"
    );
    // Access lines name the route a request matched by its pattern, not by its path.
    assert!(
        log.lines()
            .any(|l| l.contains("route=/api/v1/releases/{id}") && l.contains("served")),
        "no access line names the release route:\n{log}"
    );
}
