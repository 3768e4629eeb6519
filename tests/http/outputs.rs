//! What the newsroom publishes, pinned as snapshots (in `snapshots/`): the feeds, the sitemaps,
//! the JSON-LD block and main content of a release page, and a problem+json error. A change to
//! any of them shows up as a reviewable diff of the whole document, not as a substring that
//! quietly stopped matching. Everything that differs between runs or backends (times, ids,
//! ports, hashes) is replaced by a placeholder, so one set of snapshots holds for both backends.

use dateline_core::Role;
use serde_json::{Value, json};

use crate::http_tests;
use crate::support::{Client, TestApp};
use crate::workflow::{release_body, taxonomy};

/// One published release with every part a feed or page prints, text that needs escaping, and
/// one correction.
async fn published_release(app: &TestApp) -> Value {
    taxonomy(app).await;
    let (editor, _) = app.api_user("desk@example.com", Role::Editor);
    let mut body = release_body("Northwind & Partners open a 380 MWh <battery> site");
    body["summary"] = json!("A summary with \"quotes\" & an ampersand.");
    body["body"] = json!(
        "First paragraph.\n\nSecond **paragraph** with [a link](https://example.com/a?b=1&c=2)."
    );
    let created = editor.json("POST", "/api/v1/releases", &body).await;
    created.assert_status(201);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    act(&editor, &id, "publish", json!({})).await;
    act(
        &editor,
        &id,
        "corrections",
        json!({"note": "The capacity is 380 MWh, not 400 MWh."}),
    )
    .await;
    editor.get(&format!("/api/v1/releases/{id}")).await.json()
}

async fn act(editor: &Client, id: &str, action: &str, body: Value) {
    let path = format!("/api/v1/releases/{id}/{action}");
    editor.json("POST", &path, &body).await.assert_status(200);
}

/// Placeholders for what changes between runs: the release's id, the server's port, times in
/// the formats the outputs use, the year in tag URIs, and hashes (such as request ids).
fn redactions(release_id: Option<&str>) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    if let Some(id) = release_id {
        settings.add_filter(&regex_escape(id), "[release-id]");
    }
    let placeholders = [
        (r"tag:127\.0\.0\.1,\d{4}:", "tag:[host],[year]:"),
        (r"127\.0\.0\.1:\d+", "[host]"),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
            "[time]",
        ),
        (
            r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}",
            "[time]",
        ),
        (
            r#"(<time datetime="\[time\]">)[^<]+</time>"#,
            "$1[date]</time>",
        ),
        (r"Corrected on \d{4}-\d\d-\d\d", "Corrected on [date]"),
        (r"\b[0-9a-f]{16,}\b", "[hash]"),
    ];
    for (pattern, placeholder) in placeholders {
        settings.add_filter(pattern, placeholder);
    }
    settings
}

fn regex_escape(literal: &str) -> String {
    literal.chars().fold(String::new(), |mut out, ch| {
        if !ch.is_ascii_alphanumeric() {
            out.push('\\');
        }
        out.push(ch);
        out
    })
}

/// The text between the first `start` and the `end` after it, both included.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in:\n{body}"));
    let to = body[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"))
        + from
        + end.len();
    &body[from..to]
}

/// The body of a 200 answer with this content type.
async fn document(c: &Client, path: &str, content_type: &str) -> String {
    let res = c.get(path).await;
    res.assert_status(200);
    assert_eq!(
        res.header("content-type").as_deref(),
        Some(content_type),
        "{path}"
    );
    res.body
}

http_tests! {
    async fn feeds_and_sitemaps_are_as_pinned(app) {
        let release = published_release(&app).await;
        let _scope = redactions(release["id"].as_str()).bind_to_scope();
        let c = app.client();
        let pinned = [
            ("feed_rss", "/feed.rss", "application/rss+xml; charset=utf-8"),
            ("feed_atom", "/feed.atom", "application/atom+xml; charset=utf-8"),
            ("feed_json", "/feed.json", "application/feed+json; charset=utf-8"),
            ("sitemap_index", "/sitemap.xml", "application/xml; charset=utf-8"),
            ("sitemap_page", "/sitemaps/releases-1.xml", "application/xml; charset=utf-8"),
            ("news_sitemap", "/news-sitemap.xml", "application/xml; charset=utf-8"),
        ];
        for (name, path, content_type) in pinned {
            insta::assert_snapshot!(name, document(&c, path, content_type).await);
        }
    }

    async fn release_page_is_as_pinned(app) {
        let release = published_release(&app).await;
        let _scope = redactions(release["id"].as_str()).bind_to_scope();
        let page = document(&app.client(), release["url"].as_str().unwrap(), "text/html; charset=utf-8").await;
        let open = "<script type=\"application/ld+json\">";
        let json_ld = between(&page, open, "</script>");
        let json_ld: Value = serde_json::from_str(&json_ld[open.len()..json_ld.len() - "</script>".len()]).unwrap();
        insta::assert_json_snapshot!("release_json_ld", json_ld);
        insta::assert_snapshot!("release_main", between(&page, "<main", "</main>"));
    }

    async fn a_problem_names_what_was_wrong(app) {
        let _scope = redactions(None).bind_to_scope();
        let (editor, _) = app.api_user("desk@example.com", Role::Editor);
        let res = editor.json("POST", "/api/v1/releases", &json!({
            "headline": "",
            "contacts": [{"name": "Ana", "email": "not an address"}],
            "source": {"url": "javascript:alert(1)"}
        })).await;
        res.assert_status(422);
        assert_eq!(res.header("content-type").as_deref(), Some("application/problem+json"));
        insta::assert_json_snapshot!("problem_invalid_release", res.json());
    }
}
