//! `/metrics`: Prometheus text for monitoring addresses only, counting what operators watch.

use std::net::IpAddr;

use chrono::Duration;
use dateline_core::Role;
use dateline_storage::testdb::TestDatabase;
use serde_json::json;

use crate::http_tests;
use crate::support::{Client, TestApp};

/// The value of one sample line, `name{labels} value`, or 0 when the series is absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

http_tests! {
    async fn metrics_count_what_operators_watch(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = editor.publish_release(&json!({"headline": "Harbour opens", "body": "The harbour opens."})).await;
        let id2 = {
            let made = editor.json("POST", "/api/v1/releases", &json!({"headline": "Tunnel opens", "body": "Text."})).await;
            made.json()["id"].as_str().unwrap().to_owned()
        };
        let embargo = app.state.clock.now() + Duration::minutes(10);
        editor.json("POST", &format!("/api/v1/releases/{id2}/approve"), &json!({"embargo_at": embargo.to_rfc3339()})).await.assert_status(200);

        let c = app.client();
        let page = app.page_of(&id);
        for _ in 0..3 {
            c.get(&page).await.assert_status(200);
        }
        c.get("/search?q=harbour").await.assert_status(200);
        c.get("/feed.atom").await.assert_status(200);
        c.get("/no/such/page").await.assert_status(404);

        let m = c.get("/metrics").await;
        m.assert_status(200);
        assert!(m.header("content-type").unwrap().starts_with("application/openmetrics-text"));
        assert_eq!(m.header("cache-control").as_deref(), Some("no-store"));
        let t = &m.body;
        assert!(sample(t, r#"dateline_http_requests_total{group="public",status="2xx"}"#) >= 3.0, "{t}");
        assert_eq!(sample(t, r#"dateline_http_requests_total{group="search",status="2xx"}"#), 1.0, "{t}");
        assert_eq!(sample(t, r#"dateline_http_requests_total{group="feeds",status="2xx"}"#), 1.0, "{t}");
        assert_eq!(sample(t, r#"dateline_http_requests_total{group="unmatched",status="4xx"}"#), 1.0, "{t}");
        assert!(sample(t, r#"dateline_http_requests_total{group="api",status="2xx"}"#) >= 4.0, "{t}");
        assert!(sample(t, r#"dateline_http_request_duration_seconds_count{group="public"}"#) >= 3.0, "{t}");
        // The release page was read three times: one render, then the cache.
        assert!(sample(t, r#"dateline_page_cache_lookups_total{result="hit"}"#) >= 2.0, "{t}");
        assert!(sample(t, r#"dateline_page_cache_lookups_total{result="miss"}"#) >= 1.0, "{t}");
        assert!(sample(t, "dateline_db_pool_wait_seconds_count") >= 1.0, "{t}");
        assert_eq!(sample(t, "dateline_db_pool_max_connections"), f64::from(app.state.pool.max_size()), "{t}");
        assert_eq!(sample(t, "dateline_database_up"), 1.0, "{t}");
        // The embargoed release waits in the scheduler's queue; it is not due yet.
        assert_eq!(sample(t, "dateline_scheduler_open_jobs"), 1.0, "{t}");
        assert_eq!(sample(t, "dateline_scheduler_due_jobs"), 0.0, "{t}");
        assert_eq!(sample(t, "dateline_scheduler_lag_seconds"), 0.0, "{t}");
        assert!(t.ends_with("# EOF\n"));
        // Nothing a client chose becomes a label.
        assert!(!t.contains("no/such"), "{t}");
    }

    async fn metrics_are_only_for_monitoring_addresses(app) {
        // Only 127.0.0.1 may read them here; another loopback address may not.
        let db = TestDatabase::attach(&app.db.url).unwrap();
        let narrow = TestApp::start(db, &[("DATELINE_METRICS_ALLOW", "127.0.0.1/32")]).await;
        Client::new(&narrow.base).get("/metrics").await.assert_status(200);
        let other = Client::from_address(&narrow.base, "127.0.0.2".parse::<IpAddr>().unwrap());
        let refused = other.get("/metrics").await;
        refused.assert_status(403);
        assert!(refused.body.contains("metrics_allow"), "{}", refused.body);
        assert!(!refused.body.contains("dateline_"), "{}", refused.body);

        // Behind a proxy on loopback, the reader is the forwarded client, not the proxy.
        let db = TestDatabase::attach(&app.db.url).unwrap();
        let proxied = TestApp::start(db, &[("DATELINE_TRUSTED_PROXIES", "127.0.0.1")]).await;
        let outside = Client::new(&proxied.base);
        outside.with_header("X-Forwarded-For", "203.0.113.7");
        outside.get("/metrics").await.assert_status(403);
        // A spoofed header from a peer that is not a proxy is ignored: the peer is loopback.
        let spoofer = Client::new(&app.base);
        spoofer.with_header("X-Forwarded-For", "203.0.113.7");
        spoofer.get("/metrics").await.assert_status(200);

        // `none` serves them to nobody.
        let db = TestDatabase::attach(&app.db.url).unwrap();
        let closed = TestApp::start(db, &[("DATELINE_METRICS_ALLOW", "none")]).await;
        Client::new(&closed.base).get("/metrics").await.assert_status(403);
    }
}
