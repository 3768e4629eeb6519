//! No page runs more queries because it shows more: the statements behind each public page, feed
//! and API list are counted with a few releases and with many, and must be the same. A query per
//! listed release (an N+1) would make the second count grow.

use dateline_core::Role;
use dateline_storage::testdb::TestDatabase;
use serde_json::json;

use crate::database_tests;
use crate::support::{Client, TestApp};

/// Statements run to answer `path`, rendered afresh (the page cache is told to forget).
async fn queries(app: &TestApp, c: &Client, path: &str) -> u64 {
    app.state.page_cache.learn(-1);
    let before = app.db.queries.get();
    c.get(path).await.assert_status(200);
    app.db.queries.get() - before
}

/// Publishes `n` releases, each with an organization, two categories, a region, three tags and
/// two contacts.
async fn publish(editor: &Client, from: usize, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in from..from + n {
        let body = json!({
            "headline": format!("Harbour works, phase {i}"),
            "body": format!("Phase {i} of the harbour works starts."),
            "organization": "port-authority",
            "categories": ["infrastructure", "transport"],
            "regions": ["north"],
            "tags": ["harbour", format!("phase-{i}"), "works"],
            "contacts": [
                {"name": "Ana Ribeiro", "email": "ana@port.example.com"},
                {"name": "Rui Costa", "email": "rui@port.example.com"}
            ]
        });
        ids.push(editor.publish_release(&body).await);
    }
    ids
}

const PAGES: [&str; 12] = [
    "/",
    "/organizations",
    "/organizations/port-authority",
    "/categories",
    "/categories/transport",
    "/regions/north",
    "/tags/harbour",
    "/search?q=harbour",
    "/feed.atom",
    "/categories/transport/feed.json",
    "/sitemaps/releases-1.xml",
    "/api/v1/releases",
];

async fn counts(app: &TestApp, c: &Client) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for path in PAGES {
        out.push((path.to_owned(), queries(app, c, path).await));
    }
    out
}

async fn query_counts_do_not_grow_with_the_page(db: &TestDatabase) {
    let app = TestApp::quiet(TestDatabase::attach(&db.url).unwrap()).await;
    let (editor, _) = app.api_user("ed@example.com", Role::Editor);
    editor
        .json(
            "POST",
            "/api/v1/organizations",
            &json!({"name": "Port Authority"}),
        )
        .await
        .assert_status(201);
    for name in ["Infrastructure", "Transport"] {
        editor
            .json("POST", "/api/v1/categories", &json!({"name": name}))
            .await
            .assert_status(201);
    }
    editor
        .json("POST", "/api/v1/regions", &json!({"name": "North"}))
        .await
        .assert_status(201);
    let first = publish(&editor, 0, 2).await;
    let c = app.client();
    let few = counts(&app, &c).await;
    let one_release = queries(&app, &c, &app.page_of(&first[0])).await;
    publish(&editor, 2, 20).await;
    let many = counts(&app, &c).await;
    assert_eq!(
        few, many,
        "statements per page with 2 releases, then with 22"
    );
    // The API's page size: 2 items and 20 items cost the same.
    assert_eq!(
        queries(&app, &c, "/api/v1/releases?limit=2").await,
        queries(&app, &c, "/api/v1/releases?limit=20").await
    );
    // A release's page costs the same whatever it lists (contacts, categories, tags).
    let last = queries(&app, &c, &app.page_of(&first[1])).await;
    assert_eq!(one_release, last);
    assert!(
        few.iter().all(|(_, n)| *n > 0),
        "the counter sees queries: {few:?}"
    );
}

database_tests! {
    query_counts_do_not_grow_with_the_page_on_sqlite,
    query_counts_do_not_grow_with_the_page_on_postgres => query_counts_do_not_grow_with_the_page;
}
