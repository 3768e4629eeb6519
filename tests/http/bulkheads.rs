//! Expensive reads have bulkheads: when searches (or feeds) fill theirs, more of them get a
//! quick 503 with `Retry-After`, and every other page still answers.

use dateline_core::Role;
use serde_json::json;

use crate::http_tests;

http_tests! {
    async fn a_crowd_of_searches_cannot_take_the_site_down(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = editor.publish_release(&json!({"headline": "Harbour opens", "body": "The harbour opens."})).await;
        let page = app.page_of(&id);
        let c = app.client();

        // Every place for searches is taken, as by a crowd of slow searches.
        let crowd = app.state.bulkheads.search.fill().await.unwrap();
        let refused = c.get("/search?q=harbour").await;
        refused.assert_status(503);
        assert_eq!(refused.header("retry-after").as_deref(), Some("1"));
        assert!(refused.body.contains("Too many searches"), "{}", refused.body);
        let api = c.get("/api/v1/search?q=harbour").await;
        api.assert_status(503);
        assert!(api.json()["detail"].as_str().unwrap().contains("Too many searches"));
        // The rest of the site answers as usual, feeds and sign-in included.
        for path in ["/", page.as_str(), "/feed.atom", "/organizations", "/login"] {
            c.get(path).await.assert_status(200);
        }
        drop(crowd);
        let found = c.get("/search?q=harbour").await;
        found.assert_status(200);
        assert!(found.body.contains("Harbour opens"));

        // Feeds have their own.
        let crowd = app.state.bulkheads.feeds.fill().await.unwrap();
        let refused = c.get("/feed.json").await;
        refused.assert_status(503);
        assert_eq!(refused.header("retry-after").as_deref(), Some("1"));
        c.get("/search?q=opens").await.assert_status(200);
        drop(crowd);
        c.get("/feed.json").await.assert_status(200);
    }
}
