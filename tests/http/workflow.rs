//! The editorial workflow through the JSON API and the newsroom pages: every transition and
//! permission, no lost edits, previews, the scheduler, and bad input.

use chrono::{Duration, SecondsFormat, Utc};
use dateline_core::{ReleaseStatus, Role};
use dateline_storage::PageRequest;
use dateline_storage::repo::audit::{self, AuditFilter};
use dateline_storage::repo::{jobs, releases};
use serde_json::{Value, json};

use crate::http_tests;
use crate::support::client::field_value;
use crate::support::{Client, TestApp};

/// Categories and an organization the releases below refer to.
pub(crate) async fn taxonomy(app: &TestApp) {
    let (editor, _) = app.api_user("tax@example.com", Role::Editor);
    editor.json("POST", "/api/v1/organizations", &json!({"name": "Northwind Grid", "website": "https://northwind.example.com", "boilerplate": "About Northwind."})).await.assert_status(201);
    editor
        .json("POST", "/api/v1/categories", &json!({"name": "Energy"}))
        .await
        .assert_status(201);
    editor
        .json("POST", "/api/v1/regions", &json!({"name": "Europe"}))
        .await
        .assert_status(201);
}

pub(crate) fn release_body(headline: &str) -> Value {
    json!({
        "headline": headline,
        "subheadline": "A subheadline",
        "dateline": {"city": "Lisbon", "region": "Portugal", "date": "2026-11-30", "distributor": "Dateline Wire"},
        "source": {"label": "A news report from northwind.example.com", "url": "https://northwind.example.com/news/1"},
        "summary": "A summary.",
        "body": "First paragraph.\n\nSecond **paragraph**.",
        "language": "en",
        "organization": "northwind-grid",
        "contacts": [{"name": "Ana Ribeiro", "title": "Press", "email": "press@northwind.example.com", "phone": "+1 555-0142"}],
        "categories": ["energy"],
        "regions": ["europe"],
        "tags": ["grid storage", "batteries"]
    })
}

/// The people most workflow tests need, over the API: an author and a colleague (both
/// contributors) and an editor, with the taxonomy their releases refer to.
struct Desk {
    author: Client,
    colleague: Client,
    colleague_user: dateline_core::User,
    editor: Client,
}

async fn desk(app: &TestApp) -> Desk {
    taxonomy(app).await;
    let (author, _) = app.api_user("co@example.com", Role::Contributor);
    let (colleague, colleague_user) = app.api_user("other@example.com", Role::Contributor);
    let (editor, _) = app.api_user("ed@example.com", Role::Editor);
    Desk {
        author,
        colleague,
        colleague_user,
        editor,
    }
}

async fn create(c: &Client, headline: &str) -> Value {
    let r = c
        .json("POST", "/api/v1/releases", &release_body(headline))
        .await;
    r.assert_status(201);
    r.json()
}

fn in_an_hour(app: &TestApp) -> String {
    (app.state.clock.now() + Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn actions_for(app: &TestApp, action: &str, object: &str) -> i64 {
    audit::count_action(&mut app.conn(), action, object).unwrap()
}

http_tests! {
    async fn the_api_contract(app) {
        taxonomy(&app).await;
        let (contrib, _) = app.api_user("co@example.com", Role::Contributor);
        let created = contrib.json("POST", "/api/v1/releases", &release_body("Grid battery opens")).await;
        created.assert_status(201);
        let r = created.json();
        let id = r["id"].as_str().unwrap().to_owned();
        assert_eq!(created.location(), format!("/api/v1/releases/{id}"));
        assert_eq!((r["revision"].as_i64(), r["status"].as_str()), (Some(1), Some("draft")));
        assert_eq!(r["dateline"]["text"], "LISBON, Portugal, Nov. 30, 2026 /Dateline Wire/ --");
        assert_eq!(r["organization"]["slug"], "northwind-grid");
        assert_eq!(r["categories"][0]["slug"], "energy");
        assert_eq!(r["tags"].as_array().unwrap().len(), 2);
        assert!(r["body_html"].as_str().unwrap().contains("<strong>paragraph</strong>"));

        let get = contrib.get(&format!("/api/v1/releases/{id}")).await;
        get.assert_status(200);
        assert_eq!(get.header("etag").as_deref(), Some("\"1\""));
        assert_eq!(get.header("cache-control").as_deref(), Some("no-store"));

        // Updates need If-Match; a stale one is refused; the right one wins.
        let path = format!("/api/v1/releases/{id}");
        let mut changed = release_body("Grid battery opens early");
        contrib.json("PUT", &path, &changed).await.assert_status(428);
        let stale = contrib.clone();
        stale.with_header("If-Match", "\"7\"");
        let refused = stale.json("PUT", &path, &changed).await;
        refused.assert_status(412);
        assert_eq!(refused.json()["current_revision"], 1);
        let ok = contrib.clone();
        ok.with_header("If-Match", "\"1\"");
        let saved = ok.json("PUT", &path, &changed).await;
        saved.assert_status(200);
        assert_eq!((saved.json()["revision"].as_i64(), saved.json()["headline"].as_str()), (Some(2), Some("Grid battery opens early")));

        // No mass assignment: fields outside the contract are refused, nothing changes.
        changed["status"] = json!("published");
        changed["author"] = json!(1);
        let v2 = contrib.clone();
        v2.with_header("If-Match", "\"2\"");
        let sneaky = v2.json("PUT", &path, &changed).await;
        sneaky.assert_status(422);
        assert_eq!(contrib.get(&path).await.json()["status"], "draft");

        // Lists answer items and next.
        let mine = contrib.get("/api/v1/releases?status=draft").await.json();
        assert_eq!(mine["items"].as_array().unwrap().len(), 1);
        assert!(mine["next"].is_null());
        app.client().get("/api/v1/releases?status=draft").await.assert_status(400);
        app.client().get("/api/v1/releases?filter=author.pw_hash:x").await.assert_status(400);
        // The status list filters by organization only; other filters are named, not ignored.
        let mixed = contrib.get("/api/v1/releases?status=draft&tag=x&from=2026-01-01").await;
        mixed.assert_status(400);
        let named: Vec<_> = mixed.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(named, ["tag", "from"]);
        contrib.get("/api/v1/releases?status=sent").await.assert_status(400);
        // An empty parameter, as an empty form field sends it, is no filter.
        assert_eq!(contrib.get("/api/v1/releases?status=draft&tag=&from=").await.json()["items"].as_array().unwrap().len(), 1);
        app.client().get("/api/v1/releases?tag=&organization=").await.assert_status(200);
    }

    async fn every_transition_and_permission(app) {
        let Desk { author: contrib, colleague: other, editor, .. } = desk(&app).await;
        let id = create(&contrib, "Harbor opens").await["id"].as_str().unwrap().to_owned();
        let act = |c: &Client, action: &str, body: Value| {
            let c = c.clone();
            let path = format!("/api/v1/releases/{id}/{action}");
            async move { c.json("POST", &path, &body).await }
        };
        // Another contributor cannot see it at all, by any door.
        for path in [format!("/api/v1/releases/{id}"), format!("/api/v1/releases/{id}/revisions"), format!("/api/v1/releases/{id}/revisions/1")] {
            other.get(&path).await.assert_status(404);
        }
        for action in ["submit", "revisions/1/restore"] {
            assert_eq!(act(&other, action, json!({})).await.status, 404, "{action}");
        }
        // Editors' moves are refused to contributors before any release is looked up, so the answer
        // is the same for a release that exists and one that does not.
        for action in ["approve", "publish", "send-back", "withdraw", "corrections", "preview-links"] {
            let real = act(&other, action, json!({})).await.status;
            let none = other.json("POST", &format!("/api/v1/releases/0000000000/{action}"), &json!({})).await.status;
            assert_eq!((real, none), (403, 403), "{action}");
        }
        // The author cannot do an editor's moves.
        act(&contrib, "approve", json!({"embargo_at": in_an_hour(&app)})).await.assert_status(403);
        act(&contrib, "publish", json!({})).await.assert_status(403);
        act(&contrib, "preview-links", json!({})).await.assert_status(403);
        // draft → in review → sent back → in review → scheduled → published → corrected → withdrawn → reinstated.
        assert_eq!(act(&contrib, "submit", json!({})).await.json()["status"], "in_review");
        act(&contrib, "submit", json!({})).await.assert_status(409);
        assert_eq!(act(&editor, "send-back", json!({"comment": "Add the capacity figure."})).await.json()["status"], "draft");
        act(&contrib, "submit", json!({})).await.assert_status(200);
        let past = (app.state.clock.now() - Duration::minutes(5)).to_rfc3339();
        let r = act(&editor, "approve", json!({"embargo_at": past})).await;
        r.assert_status(422);
        assert_eq!(r.json()["errors"][0]["field"], "embargo_at");
        let zoneless = act(&editor, "approve", json!({"embargo_at": "2031-12-01T09:00"})).await;
        zoneless.assert_status(422);
        assert!(zoneless.json()["errors"][0]["message"].as_str().unwrap().contains("zone"));
        let scheduled = act(&editor, "approve", json!({"embargo_at": in_an_hour(&app)})).await;
        assert_eq!(scheduled.json()["status"], "scheduled");
        app.client().get(&format!("/api/v1/releases/{id}")).await.assert_status(404);
        assert_eq!(act(&editor, "publish", json!({})).await.json()["status"], "published");
        act(&editor, "publish", json!({})).await.assert_status(409);
        let anonymous = app.client().get(&format!("/api/v1/releases/{id}")).await;
        anonymous.assert_status(200);
        assert!(anonymous.json().get("author").is_none(), "no staff details for the public");
        let corrected = act(&editor, "corrections", json!({"body": "First paragraph, corrected.", "note": "The capacity was wrong."})).await;
        corrected.assert_status(200);
        let c = corrected.json();
        assert!(c["corrected_at"].is_string());
        assert_eq!(c["corrections"][0]["note"], "The capacity was wrong.");
        act(&editor, "corrections", json!({"note": ""})).await.assert_status(422);
        act(&editor, "withdraw", json!({})).await.assert_status(422);
        assert_eq!(act(&editor, "withdraw", json!({"reason": "Issued in error."})).await.json()["status"], "withdrawn");
        app.client().get(&format!("/api/v1/releases/{id}")).await.assert_status(410);
        assert_eq!(act(&editor, "reinstate", json!({})).await.json()["status"], "published");
        // Each move left its audit row.
        for action in ["submit", "send_back", "approve", "publish", "correct", "withdraw", "reinstate"] {
            assert!(actions_for(&app, action, &id) >= 1, "{action}");
        }
        let denied = audit::list(&mut app.conn(), &AuditFilter { action: Some("permission_denied".into()), ..Default::default() }, &PageRequest::first(100)).unwrap().items;
        assert!(denied.len() >= 2 && denied.iter().all(|d| d.result == "denied"), "{denied:?}");
    }

    async fn a_withdrawn_release_gets_one_answer_on_the_page_and_in_the_api(app) {
        taxonomy(&app).await;
        let (author_page, author) = app.signed_in("co@example.com", Role::Contributor).await;
        let author_api = app.api(&app.token(&author, "write"));
        let (other_page, other) = app.signed_in("other@example.com", Role::Contributor).await;
        let other_api = app.api(&app.token(&other, "read"));
        let (editor_page, editor_user) = app.signed_in("ed@example.com", Role::Editor).await;
        let editor = app.api(&app.token(&editor_user, "write"));
        let id = create(&author_api, "Recalled figures").await["id"].as_str().unwrap().to_owned();
        let act = |action: &str, body: Value| {
            let (c, path) = (editor.clone(), format!("/api/v1/releases/{id}/{action}"));
            async move {
                c.json("POST", &path, &body).await.assert_status(200);
            }
        };
        author_api.json("POST", &format!("/api/v1/releases/{id}/submit"), &json!({})).await.assert_status(200);
        act("approve", json!({"embargo_at": in_an_hour(&app)})).await;
        act("publish", json!({})).await;
        act("withdraw", json!({"reason": "Issued in error."})).await;
        let slug = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap().slug;
        let page = format!("/releases/{id}/{slug}");
        let api = format!("/api/v1/releases/{id}");
        // The author and the editors read it (the page says it is not public); everyone else
        // gets the withdrawal notice, and the same status from both doors.
        for (who, page_client, api_client, status) in [
            ("anonymous", app.client(), app.client(), 410),
            ("another contributor", other_page, other_api, 410),
            ("the author", author_page, author_api, 200),
            ("an editor", editor_page, editor.clone(), 200),
        ] {
            let on_page = page_client.get(&page).await;
            let in_api = api_client.get(&api).await;
            assert_eq!((on_page.status, in_api.status), (status, status), "{who}");
            if status == 410 {
                assert!(on_page.text().contains("Issued in error.") && in_api.body.contains("Issued in error."), "{who}");
                assert!(!on_page.text().contains("Second paragraph"), "{who}: the withdrawn text is not shown");
            } else {
                assert!(on_page.text().contains("Not public: this release is withdrawn"), "{who}");
                assert_eq!(in_api.json()["status"], "withdrawn", "{who}");
            }
        }
    }

    async fn revisions_history_and_restore(app) {
        taxonomy(&app).await;
        let (contrib, _) = app.api_user("co@example.com", Role::Contributor);
        let id = create(&contrib, "First headline").await["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/releases/{id}");
        let v1 = contrib.clone();
        v1.with_header("If-Match", "\"1\"");
        v1.json("PUT", &path, &release_body("Second headline")).await.assert_status(200);
        let list = contrib.get(&format!("{path}/revisions")).await.json();
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        assert_eq!((list["items"][0]["id"].as_i64(), list["items"][0]["release_id"].as_str()), (Some(2), Some(id.as_str())), "every answer has an id");
        let first = contrib.get(&format!("{path}/revisions/1")).await.json();
        assert_eq!(first["content"]["headline"], "First headline");
        contrib.get(&format!("{path}/revisions/9")).await.assert_status(404);
        let restored = contrib.json("POST", &format!("{path}/revisions/1/restore"), &json!({})).await;
        restored.assert_status(200);
        assert_eq!((restored.json()["headline"].as_str(), restored.json()["revision"].as_i64()), (Some("First headline"), Some(3)));
        // The page shows the history and a word-level comparison.
        let (editor, _) = app.signed_in("ed@example.com", Role::Editor).await;
        let history = editor.get(&format!("/admin/releases/{id}/history")).await;
        history.assert_status(200);
        assert!(history.body.contains("restored revision 1"));
        let diff = editor.get(&format!("/admin/releases/{id}/compare?from=1&to=2")).await;
        diff.assert_status(200);
        assert!(diff.body.contains("<del>First</del>") && diff.body.contains("<ins>Second</ins>"), "{}", diff.body);
        let (other, _) = app.signed_in("other@example.com", Role::Contributor).await;
        for p in ["history", "compare?from=1&to=2", "revisions/1", "preview", ""] {
            other.get(&format!("/admin/releases/{id}/{p}")).await.assert_status(404);
        }
        // Once live, an old revision comes back only as a correction readers can see.
        let (ed_api, _) = app.api_user("ed2@example.com", Role::Editor);
        ed_api.json("POST", &format!("{path}/publish"), &json!({})).await.assert_status(200);
        let unexplained = ed_api.json("POST", &format!("{path}/revisions/2/restore"), &json!({})).await;
        unexplained.assert_status(422);
        assert_eq!(unexplained.json()["errors"][0]["field"], "note");
        assert_eq!(app.client().get(&path).await.json()["headline"], "First headline");
        contrib.json("POST", &format!("{path}/revisions/2/restore"), &json!({"note": "Mine."})).await.assert_status(403);
        let history = editor.get(&format!("/admin/releases/{id}/history")).await;
        assert!(history.body.contains("Restore as a correction") && history.body.contains("name=\"note\""));
        // A refused note comes back on the history page, as typed.
        let long = format!("Too long {}", "x".repeat(1_000));
        let refused = editor.submit(&format!("/admin/releases/{id}/history"), &format!("/admin/releases/{id}/revisions/2/restore"), &[("revision", "4"), ("note", &long)]).await;
        refused.assert_status(422);
        assert!(refused.text().contains("Revision 2 was not restored") && refused.body.contains(&long), "{}", refused.text());
        assert_eq!(app.client().get(&path).await.json()["headline"], "First headline");
        ed_api.json("POST", &format!("{path}/revisions/4/restore"), &json!({"note": "Nothing."})).await.assert_status(409);
        // Revision 3 holds the same text as the live one (publishing changed only the status):
        // no correction notice for no change.
        let same = editor.submit(&format!("/admin/releases/{id}/history"), &format!("/admin/releases/{id}/revisions/3/restore"), &[("revision", "4"), ("note", "Back to the first wording.")]).await;
        same.assert_status(409);
        assert!(same.text().contains("what readers see already") && same.body.contains("Back to the first wording."), "{}", same.text());
        let corrected = editor.submit(&format!("/admin/releases/{id}/history"), &format!("/admin/releases/{id}/revisions/2/restore"), &[("revision", "4"), ("note", "The headline of the first version was correct.")]).await;
        corrected.assert_status(303);
        let live = app.client().get(&path).await.json();
        assert_eq!(live["headline"], "Second headline");
        let public = app.client().get(live["url"].as_str().unwrap().split_once("://").unwrap().1.split_once('/').map(|(_, p)| format!("/{p}")).unwrap().as_str()).await;
        assert!(public.text().contains("The headline of the first version was correct."), "{}", public.text());
        editor.get(&format!("/admin/releases/{id}/revisions/2")).await.assert_status(200);
    }

    async fn preview_links(app) {
        taxonomy(&app).await;
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = create(&editor, "Embargoed results").await["id"].as_str().unwrap().to_owned();
        editor.json("POST", &format!("/api/v1/releases/{id}/approve"), &json!({"embargo_at": in_an_hour(&app)})).await.assert_status(200);
        let made = editor.json("POST", &format!("/api/v1/releases/{id}/preview-links"), &json!({"label": "Ana at the Herald"})).await;
        made.assert_status(201);
        let link = made.json();
        let url = link["url"].as_str().unwrap().to_owned();
        let path = url.trim_start_matches(&app.base).to_owned();
        let token = path.trim_start_matches("/preview/");
        assert!(token.len() >= 22, "at least 128 bits");
        let expires = chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap()).unwrap();
        assert!((expires.with_timezone(&Utc) - app.state.clock.now() - Duration::days(7)).num_minutes().abs() < 2);
        let page = app.client().get(&path).await;
        page.assert_status(200);
        assert!(page.body.contains("Embargoed results") && page.body.contains("Embargoed: not for publication before"));
        assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
        assert_eq!(page.header("referrer-policy").as_deref(), Some("no-referrer"));
        assert!(page.header("x-robots-tag").unwrap().contains("noindex"));
        assert!(page.body.contains("noindex"));
        assert!(actions_for(&app, "preview_open", &id) == 1);
        // Further openings are counted on the link, not written to the audit log one by one.
        for _ in 0..4 {
            app.client().get(&path).await.assert_status(200);
        }
        let opened = dateline_storage::repo::previews::get(&mut app.conn(), link["id"].as_i64().unwrap()).unwrap();
        assert_eq!(opened.open_count, 5);
        assert!(opened.last_opened_at.is_some());
        assert_eq!(actions_for(&app, "preview_open", &id), 1, "only the first opening is audited");
        let (staff, _) = app.signed_in("staff@example.com", Role::Editor).await;
        let links_page = staff.get(&format!("/admin/releases/{id}/links")).await.text();
        assert!(links_page.contains("Ana at the Herald") && links_page.contains("5 (last"), "{links_page}");
        // Wrong, revoked and expired tokens are 404.
        app.client().get(&format!("/preview/{}x", &token[..token.len() - 1])).await.assert_status(404);
        app.client().get("/preview/short").await.assert_status(404);
        editor.request("DELETE", &format!("/api/v1/preview-links/{}", link["id"]), None, "").await.assert_status(204);
        app.client().get(&path).await.assert_status(404);
        let again = editor.json("POST", &format!("/api/v1/releases/{id}/preview-links"), &json!({"days": 1})).await.json();
        let second = again["url"].as_str().unwrap().trim_start_matches(&app.base).to_owned();
        app.client().get(&second).await.assert_status(200);
        app.state.clock.advance(Duration::days(1) + Duration::minutes(1));
        app.client().get(&second).await.assert_status(404);
        editor.json("POST", &format!("/api/v1/releases/{id}/preview-links"), &json!({"days": 90})).await.assert_status(422);
    }

    async fn taxonomies_over_the_api(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let (contrib, _) = app.api_user("co@example.com", Role::Contributor);
        let cat = editor.json("POST", "/api/v1/categories", &json!({"name": "Public Health"})).await;
        cat.assert_status(201);
        assert_eq!(cat.json()["slug"], "public-health");
        contrib.json("POST", "/api/v1/categories", &json!({"name": "Nope"})).await.assert_status(403);
        editor.json("POST", "/api/v1/categories", &json!({"name": "Screening", "parent": "public-health"})).await.assert_status(201);
        editor.json("POST", "/api/v1/categories", &json!({"name": "X", "parent": "missing"})).await.assert_status(422);
        editor.json("POST", "/api/v1/tags", &json!({"name": "Solar Power"})).await.assert_status(201);
        let org = editor.json("POST", "/api/v1/organizations", &json!({"name": "Calder Bay", "contacts": [{"name": "Ana"}]})).await;
        org.assert_status(201);
        let org = org.json();
        assert_eq!(org["slug"], "calder-bay");
        // Readers learn of categories through public releases; the newsroom sees them all.
        let list = editor.get("/api/v1/categories").await.json();
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        editor.get("/api/v1/categories/public-health").await.assert_status(200);
        assert_eq!(app.client().get("/api/v1/categories").await.json()["items"], json!([]));
        app.client().get("/api/v1/categories/public-health").await.assert_status(404);
        app.client().get("/api/v1/unicorns").await.assert_status(404);
        // Updates need If-Match, like releases.
        editor.json("PUT", "/api/v1/organizations/calder-bay", &json!({"name": "City of Calder Bay"})).await.assert_status(428);
        let m = editor.clone();
        m.with_header("If-Match", &format!("\"{}\"", org["revision"]));
        let renamed = m.json("PUT", "/api/v1/organizations/calder-bay", &json!({"name": "City of Calder Bay", "slug": "calder-bay"})).await;
        renamed.assert_status(200);
        m.json("PUT", "/api/v1/organizations/calder-bay", &json!({"name": "Again"})).await.assert_status(412);
        // In use: refused with 409.
        let rel = editor.json("POST", "/api/v1/releases", &json!({"headline": "H", "organization": "calder-bay", "categories": ["screening"]})).await;
        rel.assert_status(201);
        editor.request("DELETE", "/api/v1/organizations/calder-bay", None, "").await.assert_status(409);
        editor.request("DELETE", "/api/v1/categories/public-health", None, "").await.assert_status(409);
        editor.request("DELETE", "/api/v1/tags/solar-power", None, "").await.assert_status(204);
        // Unknown references are named.
        let bad = editor.json("POST", "/api/v1/releases", &json!({"headline": "H", "organization": "nobody", "categories": ["nothing"]})).await;
        bad.assert_status(422);
        let fields: Vec<String> = bad.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        assert!(fields.contains(&"organization".to_owned()) && fields.contains(&"categories".to_owned()), "{fields:?}");
    }

    async fn bad_bodies_are_named(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let huge = "x".repeat(200_001);
        let r = editor.json("POST", "/api/v1/releases", &json!({"headline": "H", "body": huge})).await;
        r.assert_status(422);
        assert_eq!(r.json()["errors"][0]["field"], "body");
        let r = editor.json("POST", "/api/v1/releases", &json!({"headline": "H", "body": "Hi <script>alert(1)</script> and [x](javascript:alert(1))"})).await;
        r.assert_status(422);
        let msg = r.json()["errors"][0]["message"].as_str().unwrap().to_owned();
        assert!(msg.contains("<script>") && msg.contains("javascript:"), "{msg}");
        editor.request("POST", "/api/v1/releases", Some("application/json"), "{\"headline\": ").await.assert_status(400);
        editor.request("POST", "/api/v1/releases", Some("text/plain"), "{}").await.assert_status(415);
        editor.json("POST", "/api/v1/releases", &json!({"headline": ""})).await.assert_status(422);
        let too_big = format!("{{\"headline\": \"{}\"}}", "y".repeat(dateline_web::app::JSON_LIMIT));
        editor.request("POST", "/api/v1/releases", Some("application/json"), &too_big).await.assert_status(413);

        // The limit is in characters, whatever the script: a full-length body in Chinese (three
        // bytes a character, nine once form-encoded) is accepted by the API and the editor, and
        // one character more is a 422 naming the field, with the text still in the form.
        let full = "港".repeat(200_000);
        editor.json("POST", "/api/v1/releases", &json!({"headline": "H", "body": full})).await.assert_status(201);
        // 200,000 characters outside the Basic Multilingual Plane, written as JSON escape pairs:
        // twelve bytes each, 2.4 MB in all.
        let escaped = format!("{{\"headline\": \"Rockets\", \"body\": \"{}\"}}", "\\ud83d\\ude80".repeat(200_000));
        assert!(escaped.len() > 2_000_000);
        let rockets = editor.request("POST", "/api/v1/releases", Some("application/json"), &escaped).await;
        rockets.assert_status(201);
        assert_eq!(rockets.json()["body"].as_str().unwrap().chars().count(), 200_000);
        let (page, _) = app.signed_in("pat@example.com", Role::Editor).await;
        page.submit("/admin/releases/new", "/admin/releases", &[("headline", "Long"), ("body", &full), ("language", "zh")]).await.assert_status(303);
        let over = format!("{full}湾");
        let refused = page.submit("/admin/releases/new", "/admin/releases", &[("headline", "Longer"), ("body", &over), ("language", "zh")]).await;
        refused.assert_status(422);
        let said = refused.text();
        assert!(refused.body.contains(&over), "the text is kept");
        assert!(said.contains("200000") || said.contains("200,000"), "the limit is named");
    }

    // R1: a stale save is a 409 that keeps the editor's text and shows both versions.
    async fn a_stale_save_keeps_the_editors_text(app) {
        let (a, _) = app.signed_in("a@example.com", Role::Editor).await;
        let (b, _) = app.signed_in("b@example.com", Role::Editor).await;
        let made = a.submit("/admin/releases/new", "/admin/releases", &[("headline", "Harbor opens"), ("body", "Original body."), ("language", "en")]).await;
        made.assert_status(303);
        let edit = made.location().split('?').next().unwrap().to_owned();
        let form_a = a.get(&edit).await;
        let form_b = b.get(&edit).await;
        let token_a = form_a.csrf();
        let token_b = form_b.csrf();
        let rev = field_value(&form_a.body, "revision").unwrap();
        a.post_form(&edit, &[("csrf_token", &token_a), ("revision", &rev), ("headline", "Harbor opens"), ("body", "A's careful rewrite."), ("language", "en")]).await.assert_status(303);
        let lost = b.post_form(&edit, &[("csrf_token", &token_b), ("revision", &rev), ("headline", "Harbor opens"), ("body", "B's independent rewrite."), ("language", "en")]).await;
        lost.assert_status(409);
        assert!(lost.body.contains("B&#39;s independent rewrite.") || lost.text().contains("B's independent rewrite."), "B's text is kept in the form");
        assert!(lost.text().contains("<del>A's</del>") && lost.text().contains("<del>careful</del>"), "the saved version is shown: {}", lost.text());
        assert!(lost.body.contains("<ins>") && lost.body.contains("<del>"));
        let id = edit.trim_start_matches("/admin/releases/");
        let stored = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap();
        assert_eq!(stored.content.body, "A's careful rewrite.");
        // Saving again from the conflict page is a deliberate choice and works.
        let again_rev = field_value(&lost.body, "revision").unwrap();
        b.post_form(&edit, &[("csrf_token", &token_b), ("revision", &again_rev), ("headline", "Harbor opens"), ("body", "B's independent rewrite."), ("language", "en")]).await.assert_status(303);
    }

    async fn fifty_racing_saves_one_wins(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = create_plain(&editor).await;
        let mut handles = Vec::new();
        for i in 0..50 {
            let c = editor.clone();
            let path = format!("/api/v1/releases/{id}");
            handles.push(actix_web::rt::spawn(async move {
                let c = c;
                c.with_header("If-Match", "\"1\"");
                c.json("PUT", &path, &json!({"headline": format!("Version {i}")})).await.status
            }));
        }
        let mut statuses = Vec::new();
        for h in handles {
            statuses.push(h.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 49, "{statuses:?}");
        let stored = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap();
        assert_eq!(stored.revision, 2);
    }

    async fn the_scheduler_publishes_on_time_exactly_once(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = create_plain(&editor).await;
        let embargo = app.state.clock.now() + Duration::minutes(30);
        editor.json("POST", &format!("/api/v1/releases/{id}/approve"), &json!({"embargo_at": embargo.to_rfc3339()})).await.assert_status(200);
        app.client().get(&format!("/releases/{id}")).await.assert_status(404);
        // Time passes; the scheduler, not a visitor, puts it live.
        app.state.clock.advance(Duration::minutes(30) + Duration::seconds(1));
        let pid = id.clone();
        app.eventually("the embargo to lift", move |app| releases::get_by_public_id(&mut app.conn(), &pid.parse().unwrap()).unwrap().status == ReleaseStatus::Published).await;
        let r = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap();
        let late = r.published_at.unwrap() - embargo;
        assert!(late >= Duration::zero() && late < Duration::seconds(10), "published {late} after the embargo");
        app.client().get(&format!("/releases/{id}")).await.assert_status(301);
        assert_eq!(actions_for(&app, "lift_embargo", &id), 1);
        assert!(jobs::pending(&mut app.conn()).unwrap().is_empty());
    }

    async fn two_instances_publish_each_release_once(app) {
        let second = app.second_instance().await;
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let mut ids = Vec::new();
        for _ in 0..8 {
            let id = create_plain(&editor).await;
            let embargo = app.state.clock.now() + Duration::minutes(10);
            editor.json("POST", &format!("/api/v1/releases/{id}/approve"), &json!({"embargo_at": embargo.to_rfc3339()})).await.assert_status(200);
            ids.push(id);
        }
        app.state.clock.advance(Duration::minutes(11));
        second.state.clock.advance(Duration::minutes(11));
        app.eventually("every job to run", |app| jobs::pending(&mut app.conn()).unwrap().is_empty()).await;
        for id in &ids {
            assert_eq!(actions_for(&app, "lift_embargo", id), 1, "{id}");
        }
    }

    async fn the_html_workflow(app) {
        dateline_storage::repo::settings::set(&mut app.conn(), "newsroom.time_zone", "Europe/Lisbon").unwrap();
        let (contrib, _) = app.signed_in("co@example.com", Role::Contributor).await;
        let made = contrib.submit("/admin/releases/new", "/admin/releases", &[("headline", "Library opens"), ("body", "Text."), ("language", "en"), ("dateline_city", "Lisbon"), ("dateline_date", "2026-12-01")]).await;
        made.assert_status(303);
        let edit = made.location().split('?').next().unwrap().to_owned();
        let page = contrib.get(&edit).await;
        assert!(page.body.contains("LISBON, Dec. 1, 2026 —"), "the dateline as it will print");
        assert!(page.body.contains("data-autosave"));
        // Bad input keeps the text.
        let huge = "y".repeat(200_001);
        let token = page.csrf();
        let rev = field_value(&page.body, "revision").unwrap();
        let bad = contrib.post_form(&edit, &[("csrf_token", &token), ("revision", &rev), ("headline", "Library opens"), ("body", &huge), ("language", "en"), ("source_url", "not a url")]).await;
        bad.assert_status(422);
        assert!(bad.body.contains(&huge[..1000]) && bad.body.contains("not a url"));
        // Submit saves the text and moves it on.
        let submitted = contrib.post_form(&format!("{edit}/submit"), &[("csrf_token", &token), ("revision", &rev), ("headline", "Library opens today"), ("body", "Text."), ("language", "en")]).await;
        submitted.assert_status(303);
        let (editor, _) = app.signed_in("ed@example.com", Role::Editor).await;
        let dash = editor.get("/admin").await;
        assert!(dash.body.contains("Library opens today"), "waiting for review on the dashboard");
        let form = editor.get(&edit).await;
        let token = form.csrf();
        let rev = field_value(&form.body, "revision").unwrap();
        let fields = |when: &'static str, zone: &'static str| vec![("csrf_token", token.clone()), ("revision", rev.clone()), ("headline", "Library opens today".to_owned()), ("body", "Text.".to_owned()), ("language", "en".to_owned()), ("embargo_local", when.to_owned()), ("embargo_zone", zone.to_owned())];
        let post = |f: Vec<(&'static str, String)>| {
            let editor = editor.clone();
            let edit = edit.clone();
            async move {
                let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                editor.post_form(&format!("{edit}/approve"), &refs).await
            }
        };
        let mut changed = fields("2020-01-01T09:00", "Europe/Lisbon");
        changed[2].1 = "Library opens on Monday".to_owned();
        let past = post(changed).await;
        past.assert_status(422);
        assert!(past.text().contains("embargo time must be in the future"));
        // Refused before anything is saved, as the page says.
        assert!(past.text().contains("Nothing was saved"));
        let id = edit.trim_start_matches("/admin/releases/").to_owned();
        let stored = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap();
        assert_eq!((stored.revision.to_string(), stored.content.headline.as_str()), (rev.clone(), "Library opens today"));
        let gap = post(fields("2031-03-30T01:30", "Europe/Lisbon")).await;
        gap.assert_status(422);
        assert!(gap.text().contains("daylight saving"), "a time the clocks skip is refused");
        let ok = post(fields("2031-07-01T09:00", "Europe/Lisbon")).await;
        ok.assert_status(303);
        let id = edit.trim_start_matches("/admin/releases/");
        let r = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap();
        assert_eq!(r.status, ReleaseStatus::Scheduled);
        assert_eq!(r.embargo_at.unwrap().to_rfc3339(), "2031-07-01T08:00:00+00:00", "09:00 in Lisbon in summer is 08:00 UTC");
        let dash = editor.get("/admin").await;
        assert!(dash.body.contains("July 1, 2031, 09:00 WEST"), "the embargo in the newsroom's zone");
        // The contributor can no longer edit it.
        contrib.post_form(&edit, &[("csrf_token", &contrib.get(&edit).await.csrf()), ("revision", "9"), ("headline", "x"), ("language", "en")]).await.assert_status(403);
    }
}

async fn create_plain(c: &Client) -> String {
    c.create_release(&json!({"headline": "Plain release", "body": "Body."}))
        .await
}

// A colleague's published release is readable, but the drafts, review notes and preview links
// behind it belong to its author and the editors.
http_tests! {
    async fn a_colleagues_workings_stay_private(app) {
        let Desk { author, editor, colleague: colleague_api, colleague_user: colleague } = desk(&app).await;
        let id = create(&author, "Harbor opens").await["id"].as_str().unwrap().to_owned();
        author.json("POST", &format!("/api/v1/releases/{id}/submit"), &json!({})).await.assert_status(200);
        editor.json("POST", &format!("/api/v1/releases/{id}/send-back"), &json!({"comment": "Confidential: legal has not cleared the figures."})).await.assert_status(200);
        author.json("POST", &format!("/api/v1/releases/{id}/submit"), &json!({})).await.assert_status(200);
        editor.json("POST", &format!("/api/v1/releases/{id}/publish"), &json!({})).await.assert_status(200);

        colleague_api.get(&format!("/api/v1/releases/{id}")).await.assert_status(200);
        for path in [format!("/api/v1/releases/{id}/revisions"), format!("/api/v1/releases/{id}/revisions/1")] {
            colleague_api.get(&path).await.assert_status(404);
            author.get(&path).await.assert_status(200);
        }
        let browser = app.client();
        browser.login(&colleague.email, crate::support::PASSWORD).await.assert_status(303);
        for path in [format!("/admin/releases/{id}/history"), format!("/admin/releases/{id}/revisions/1"), format!("/admin/releases/{id}/compare?from=1&to=2")] {
            browser.get(&path).await.assert_status(404);
        }
        // Rendering posted text as another's release is refused like any other edit: a colleague
        // learns nothing about a draft, nor gets to dress up a live release.
        let draft = create(&author, "Quiet draft").await["id"].as_str().unwrap().to_owned();
        for target in [&draft, &id] {
            let res = browser.submit("/admin", &format!("/admin/releases/{target}/render"), &[("headline", "Forged words")]).await;
            res.assert_status(404);
            assert!(!res.body.contains("Forged words") && !res.body.contains("Quiet draft"));
        }
        // Preview links are an editor's tool: refused before the release is even looked up.
        browser.get(&format!("/admin/releases/{id}/links")).await.assert_status(403);
        let page = browser.get(&format!("/admin/releases/{id}")).await;
        page.assert_status(200);
        assert!(!page.body.contains("legal has not cleared"), "review notes are not shown to a colleague");
        assert!(!page.body.contains("/history\""), "nor a link to the history");
        let (own, _) = (app.client(), ());
        own.login("co@example.com", crate::support::PASSWORD).await.assert_status(303);
        assert!(own.get(&format!("/admin/releases/{id}")).await.body.contains("legal has not cleared"));
        own.get(&format!("/admin/releases/{id}/history")).await.assert_status(200);
    }

    // Tags are typed into releases, so a tag's name can give a story away: each caller sees the
    // tags of releases they may read, and paging gives nothing more.
    async fn tags_follow_release_visibility(app) {
        taxonomy(&app).await;
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let (contrib, _) = app.api_user("co@example.com", Role::Contributor);
        let mut secret = release_body("Merger announced");
        secret["tags"] = json!(["merger with acme"]);
        let id = editor.json("POST", "/api/v1/releases", &secret).await.json()["id"].as_str().unwrap().to_owned();
        editor.json("POST", &format!("/api/v1/releases/{id}/approve"), &json!({"embargo_at": in_an_hour(&app)})).await.assert_status(200);
        let mut own = release_body("My draft");
        own["tags"] = json!(["my working tag"]);
        contrib.json("POST", "/api/v1/releases", &own).await.assert_status(201);
        let mut public = release_body("Public news");
        public["tags"] = json!(["open day"]);
        let pid = editor.json("POST", "/api/v1/releases", &public).await.json()["id"].as_str().unwrap().to_owned();
        editor.json("POST", &format!("/api/v1/releases/{pid}/publish"), &json!({})).await.assert_status(200);

        // Every name this caller is shown, in items or in the keys inside paging cursors.
        async fn names(c: &Client) -> Vec<String> {
            let mut out = Vec::new();
            let mut path = "/api/v1/tags?limit=1".to_owned();
            loop {
                let page = c.get(&path).await.json();
                out.extend(page["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()));
                match page["next"].as_str() {
                    Some(n) => {
                        let key = dateline_storage::Cursor::decode(n).unwrap();
                        out.push(key.text_key().unwrap_or_default().to_owned());
                        path = format!("/api/v1/tags?limit=1&after={n}");
                    }
                    None => return out,
                }
            }
        }
        let anonymous = names(&app.client()).await;
        assert!(anonymous.contains(&"open day".to_owned()));
        assert!(!anonymous.iter().any(|n| n == "merger with acme" || n == "my working tag"), "{anonymous:?}");
        let contributor = names(&contrib).await;
        assert!(contributor.contains(&"my working tag".to_owned()), "{contributor:?}");
        assert!(!contributor.contains(&"merger with acme".to_owned()), "{contributor:?}");
        assert!(names(&editor).await.contains(&"merger with acme".to_owned()));
        contrib.get("/api/v1/tags/merger-with-acme").await.assert_status(404);
        app.client().get("/tags/merger-with-acme").await.assert_status(404);
        editor.get("/api/v1/tags/merger-with-acme").await.assert_status(200);
    }
}

http_tests! {
    // Contacts on file for the issuer are ticked, not retyped; ticks become rows on the release.
    async fn contacts_are_picked_from_the_organization(app) {
        let (admin, _) = app.api_user("admin@example.com", Role::Admin);
        admin.json("POST", "/api/v1/organizations", &json!({"name": "Northwind Grid", "contacts": [
            {"name": "Ana Ribeiro", "title": "Press officer", "email": "ana@northwind.example.com", "phone": "+1 555-0142"},
            {"name": "Bo Lindqvist", "title": "Investor relations", "email": "bo@northwind.example.com"}
        ]})).await.assert_status(201);
        let org_id = dateline_storage::repo::organizations::get_by_slug(&mut app.conn(), "northwind-grid").unwrap().id;
        let (ed, _) = app.signed_in("ed@example.com", Role::Editor).await;
        let made = ed.submit("/admin/releases/new", "/admin/releases", &[("headline", "Grid expands"), ("body", "Text."), ("language", "en"), ("organization", &org_id.to_string()), ("contact_name", "Cy Typed"), ("contact_email", "cy@example.com")]).await;
        made.assert_status(303);
        let edit = made.location().split('?').next().unwrap().to_owned();
        let page = ed.get(&edit).await;
        assert!(page.body.contains("Contacts on file for this organization"));
        assert!(page.body.contains("Bo Lindqvist, Investor relations, bo@northwind.example.com"));
        let token = page.csrf();
        let rev = field_value(&page.body, "revision").unwrap();
        let org = org_id.to_string();
        let (ana, bo, gone) = (format!("{org_id}:0"), format!("{org_id}:1"), format!("{org_id}:7"));
        let saved = ed.post_form(&edit, &[("csrf_token", &token), ("revision", &rev), ("headline", "Grid expands"), ("body", "Text."), ("language", "en"), ("organization", &org), ("contact_name", "Cy Typed"), ("contact_email", "cy@example.com"), ("contact_name", ""), ("pick_contact", &bo), ("pick_contact", &ana), ("pick_contact", &gone), ("pick_contact", &bo)]).await;
        saved.assert_status(303);
        let id = edit.trim_start_matches("/admin/releases/");
        let r = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap();
        let names: Vec<&str> = r.content.contacts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Cy Typed", "Bo Lindqvist", "Ana Ribeiro"], "typed first, then ticked, once each");
        assert_eq!(r.content.contacts[2].phone, "+1 555-0142", "the whole contact, not just the name");
        let after = ed.get(&edit).await;
        assert!(!after.body.contains("name=\"pick_contact\""), "nothing left to pick");

        // A refused save keeps the ticked contacts, as rows.
        let made = ed.submit("/admin/releases/new", "/admin/releases", &[("headline", "Second"), ("body", "Text."), ("language", "en"), ("organization", &org)]).await;
        let edit = made.location().split('?').next().unwrap().to_owned();
        let page = ed.get(&edit).await;
        let rev = field_value(&page.body, "revision").unwrap();
        let refused = ed.post_form(&edit, &[("csrf_token", &page.csrf()), ("revision", &rev), ("headline", ""), ("body", "Text."), ("language", "en"), ("organization", &org), ("pick_contact", &ana)]).await;
        refused.assert_status(422);
        assert_eq!(field_value(&refused.body, "contact_name").as_deref(), Some("Ana Ribeiro"));
    }

    // Autosave answers JSON with the new revision; a save from a stale page is a 409 that
    // overwrites nothing.
    async fn autosave_never_overwrites(app) {
        let (co, _) = app.signed_in("co@example.com", Role::Contributor).await;
        let made = co.submit("/admin/releases/new", "/admin/releases", &[("headline", "Draft one"), ("body", "First."), ("language", "en")]).await;
        let edit = made.location().split('?').next().unwrap().to_owned();
        let page = co.get(&edit).await;
        let token = page.csrf();
        let rev = field_value(&page.body, "revision").unwrap();
        let autosave = format!("{edit}/autosave");
        // As app.js sends it.
        co.with_header("Accept", "application/json");
        let first = co.post_form(&autosave, &[("csrf_token", &token), ("revision", &rev), ("headline", "Draft one"), ("body", "First, longer."), ("language", "en")]).await;
        first.assert_status(200);
        let new_rev = first.json()["revision"].as_i64().unwrap();
        assert_eq!(new_rev, rev.parse::<i64>().unwrap() + 1);
        // Another tab still holds the old revision.
        let stale = co.post_form(&autosave, &[("csrf_token", &token), ("revision", &rev), ("headline", "Draft one"), ("body", "Old tab text."), ("language", "en")]).await;
        stale.assert_status(409);
        assert!(stale.header("content-type").unwrap().contains("problem+json"));
        let id = edit.trim_start_matches("/admin/releases/");
        let r = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap();
        assert_eq!(r.content.body, "First, longer.");
        // Bad input is a 422 naming the field, and nothing is saved.
        let bad = co.post_form(&autosave, &[("csrf_token", &token), ("revision", &new_rev.to_string()), ("headline", "Draft one"), ("body", "x"), ("language", "en"), ("source_url", "not a url")]).await;
        bad.assert_status(422);
        assert!(bad.text().contains("source"));
        assert_eq!(releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap().revision, new_rev);
    }

    // Autosaves between two saves collapse to the latest one; history, comparison and restore
    // work across the numbers that were skipped.
    async fn autosaves_collapse_between_saves(app) {
        let (co, _) = app.signed_in("co@example.com", Role::Contributor).await;
        let made = co.submit("/admin/releases/new", "/admin/releases", &[("headline", "Harbor opens"), ("body", "Draft zero."), ("language", "en")]).await;
        let edit = made.location().split('?').next().unwrap().to_owned();
        let id = edit.trim_start_matches("/admin/releases/").to_owned();
        let token = co.get(&edit).await.csrf();
        let autosave = format!("{edit}/autosave");
        co.with_header("Accept", "application/json");
        let mut rev = 1;
        for text in ["Draft one.", "Draft two.", "Draft three."] {
            let r = co.post_form(&autosave, &[("csrf_token", &token), ("revision", &rev.to_string()), ("headline", "Harbor opens"), ("body", text), ("language", "en")]).await;
            r.assert_status(200);
            rev = r.json()["revision"].as_i64().unwrap();
        }
        assert_eq!(rev, 4, "every autosave still moves the revision on, so stale tabs are caught");
        co.post_form(&edit, &[("csrf_token", &token), ("revision", &rev.to_string()), ("headline", "Harbor opens"), ("body", "Saved text."), ("language", "en")]).await.assert_status(303);
        let rid = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap().id;
        let history: Vec<(i64, String)> = dateline_storage::repo::revisions::list(&mut app.conn(), rid).unwrap().into_iter().map(|r| (r.revision, r.action)).collect();
        assert_eq!(history, vec![(5, "save".to_owned()), (4, "autosave".to_owned()), (1, "create".to_owned())]);
        assert_eq!(dateline_storage::repo::revisions::get(&mut app.conn(), rid, 4).unwrap().1.body, "Draft three.");
        // The history page offers the autosave as the comparison's default start, and the
        // comparison without parameters finds it rather than the missing revision 4 - 1.
        let page = co.get(&format!("{edit}/history")).await;
        page.assert_status(200);
        assert!(page.body.contains("<option value=\"4\" selected>"), "{}", page.body);
        let compare = co.get(&format!("{edit}/compare")).await;
        compare.assert_status(200);
        assert!(compare.text().contains("three") && compare.text().contains("Saved"), "{}", compare.text());
        co.get(&format!("{edit}/revisions/2")).await.assert_status(404);
        // Autosaves after the save start a new stretch; the one before the save stays.
        rev = 5;
        for text in ["After one.", "After two."] {
            let r = co.post_form(&autosave, &[("csrf_token", &token), ("revision", &rev.to_string()), ("headline", "Harbor opens"), ("body", text), ("language", "en")]).await;
            r.assert_status(200);
            rev = r.json()["revision"].as_i64().unwrap();
        }
        let actions: Vec<String> = dateline_storage::repo::revisions::list(&mut app.conn(), rid).unwrap().into_iter().map(|r| r.action).collect();
        assert_eq!(actions, ["autosave", "save", "autosave", "create"]);
        // Restoring the collapsed autosave's text works like any revision.
        co.submit(&format!("{edit}/history"), &format!("{edit}/revisions/4/restore"), &[("revision", &rev.to_string())]).await.assert_status(303);
        assert_eq!(releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap().content.body, "Draft three.");
    }
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

// Issue 9: the API shows the public what the page shows, and a working headline never becomes
// the public address.
http_tests! {
    async fn the_public_api_shows_what_the_page_shows(app) {
        let Desk { author, colleague, editor, .. } = desk(&app).await;
        let mut body = release_body("Grid battery opens");
        body["body"] = json!("Revenue rose **12%**.\n\n<!-- figures unconfirmed -->\n\nThe site opens in May <!-- check date --> next year.");
        let made = author.json("POST", "/api/v1/releases", &body).await;
        made.assert_status(201);
        let id = made.json()["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/releases/{id}");
        editor.json("POST", &format!("{path}/publish"), &json!({})).await.assert_status(200);
        editor.json("POST", &format!("{path}/corrections"), &json!({"note": "The opening month was wrong."})).await.assert_status(200);

        let private = ["body", "revision", "created_at", "updated_at", "embargo_at", "status", "author"];
        let page = app.client().get(&format!("/releases/{id}/grid-battery-opens")).await;
        page.assert_status(200);
        assert!(!page.body.contains("figures unconfirmed") && !page.body.contains("<!--"), "the page carries no editors' comments");
        // Anonymous callers, and a colleague who may not edit the release, get the page's content.
        for (who, client) in [("anonymous", app.client()), ("a colleague", colleague.clone())] {
            let res = client.get(&path).await;
            res.assert_status(200);
            assert!(!res.body.contains("figures unconfirmed") && !res.body.contains("check date") && !res.body.contains("<!--"), "{who}: {}", res.body);
            assert_eq!(res.header("etag"), None, "{who}: the ETag is the revision number");
            let r = res.json();
            for key in private {
                assert!(r.get(key).is_none(), "{who} sees {key}");
            }
            let html = r["body_html"].as_str().unwrap();
            assert!(html.contains("<strong>12%</strong>") && page.body.contains(html), "{who}: the body as the page prints it");
            assert!(r["url"].as_str().unwrap().ends_with(&format!("/releases/{id}/grid-battery-opens")), "{who}");
            assert_eq!(r["contacts"][0]["email"], "press@northwind.example.com");
            assert_eq!(keys(&r["corrections"][0]), ["corrected_at", "note"], "{who}");
            assert_eq!(r["corrections"][0]["note"], "The opening month was wrong.");
            // Lists and search answer the card, without the workflow.
            let list = client.get("/api/v1/releases").await.json();
            assert_eq!(keys(&list["items"][0]), ["corrected_at", "dateline", "headline", "id", "language", "organization", "published_at", "slug", "subheadline", "summary", "url"], "{who}");
            let found = client.get("/api/v1/search?q=battery").await.json();
            assert_eq!(found["items"][0]["id"], id.as_str());
            for key in private {
                assert!(found["items"][0].get(key).is_none(), "{who} sees {key} in search");
            }
        }
        // The colleague's own releases still come with their workings in the same list.
        let own = create(&colleague, "Colleague's own draft").await["id"].as_str().unwrap().to_owned();
        colleague.json("POST", &format!("/api/v1/releases/{own}/submit"), &json!({})).await.assert_status(200);
        editor.json("POST", &format!("/api/v1/releases/{own}/publish"), &json!({})).await.assert_status(200);
        let mixed = colleague.get("/api/v1/releases?status=published").await.json();
        let item = |rid: &str| mixed["items"].as_array().unwrap().iter().find(|i| i["id"] == rid).unwrap().clone();
        assert!(item(&own)["revision"].is_i64() && item(&id).get("revision").is_none());

        // Editors, and the author, get the working copy with the revision to send back.
        for (who, client) in [("editor", editor.clone()), ("author", author.clone())] {
            let res = client.get(&path).await;
            let r = res.json();
            assert!(r["body"].as_str().unwrap().contains("<!-- figures unconfirmed -->"), "{who}");
            for key in ["revision", "created_at", "updated_at", "status", "author"] {
                assert!(r.get(key).is_some(), "{who} lacks {key}");
            }
            assert_eq!(res.header("etag"), Some(format!("\"{}\"", r["revision"])), "{who}");
            assert!(r["corrections"][0]["revision"].is_i64());
            let found = client.get("/api/v1/search?q=battery").await.json();
            let hit = found["items"].as_array().unwrap().iter().find(|i| i["id"] == id.as_str()).unwrap();
            assert!(hit["revision"].is_i64(), "{who}");
        }
        assert!(editor.get("/api/v1/releases").await.json()["items"][0]["revision"].is_i64());
    }

    async fn a_working_headline_never_becomes_the_address(app) {
        taxonomy(&app).await;
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        // Renamed while a draft, renamed again after approval for an embargo: the address
        // follows, and the scheduler fixes it from the headline that goes out.
        let made = create(&editor, "Acme to buy Globex for two billion").await;
        assert_eq!(made["slug"], "acme-to-buy-globex-for-two-billion");
        let id = made["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/releases/{id}");
        let put = |revision: i64, headline: &'static str| {
            let c = editor.clone();
            let path = path.clone();
            async move {
                c.with_header("If-Match", &format!("\"{revision}\""));
                let res = c.json("PUT", &path, &release_body(headline)).await;
                res.assert_status(200);
                res.json()
            }
        };
        assert_eq!(put(1, "Acme and Globex talk").await["slug"], "acme-and-globex-talk");
        let embargo = app.state.clock.now() + Duration::minutes(30);
        editor.json("POST", &format!("{path}/approve"), &json!({"embargo_at": embargo.to_rfc3339()})).await.assert_status(200);
        assert_eq!(put(3, "Acme and Globex form a partnership").await["slug"], "acme-and-globex-form-a-partnership");
        // A draft saved before slugs followed headlines still carries its first one.
        {
            use diesel::prelude::*;
            use dateline_storage::schema::releases as t;
            diesel::update(t::table.filter(t::public_id.eq(&id))).set(t::slug.eq("acme-to-buy-globex-for-two-billion")).execute(&mut app.conn()).unwrap();
        }
        app.state.clock.advance(Duration::minutes(30) + Duration::seconds(1));
        let pid = id.clone();
        app.eventually("the embargo to lift", move |app| releases::get_by_public_id(&mut app.conn(), &pid.parse().unwrap()).unwrap().status == ReleaseStatus::Published).await;
        let canonical = format!("/releases/{id}/acme-and-globex-form-a-partnership");
        let c = app.client();
        c.get(&canonical).await.assert_status(200);
        for old in ["acme-to-buy-globex-for-two-billion", "acme-and-globex-talk"] {
            let res = c.get(&format!("/releases/{id}/{old}")).await;
            res.assert_status(301);
            assert_eq!(res.location(), canonical, "an old slug only leads to the current address");
        }
        // Nothing public names an earlier headline or slug.
        let leaks = |body: &str| {
            let lower = body.to_lowercase();
            ["acme-to-buy", "to buy globex", "acme-and-globex-talk", "globex talk"].iter().any(|w| lower.contains(w))
        };
        for p in ["/", "/feed.rss", "/feed.atom", "/feed.json", "/organizations/northwind-grid", "/organizations/northwind-grid/feed.atom", "/categories/energy", "/sitemaps/releases-1.xml", "/news-sitemap.xml", "/search?q=partnership", "/api/v1/releases", "/api/v1/search?q=partnership", &format!("/api/v1/releases/{id}"), &canonical] {
            let res = c.get(p).await;
            res.assert_status(200);
            assert!(res.body.contains("acme-and-globex-form-a-partnership"), "{p} links the release");
            assert!(!leaks(&res.body), "{p} names an earlier headline");
        }

        // Once live, the address stays: a correction to the headline does not move it.
        let (desk, _) = app.signed_in("desk@example.com", Role::Editor).await;
        let form = desk.get(&format!("/admin/releases/{id}/correct")).await;
        form.assert_status(200);
        let (token, rev) = (form.csrf(), field_value(&form.body, "revision").unwrap());
        desk.post_form(&format!("/admin/releases/{id}/correct"), &[("csrf_token", &token), ("revision", &rev), ("headline", "Acme and Globex sign a partnership"), ("body", "First paragraph."), ("language", "en"), ("note", "The deal is signed, not formed.")]).await.assert_status(303);
        let live = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap();
        assert_eq!((live.content.headline.as_str(), live.slug.as_str()), ("Acme and Globex sign a partnership", "acme-and-globex-form-a-partnership"));
        c.get(&canonical).await.assert_status(200);
    }

    async fn an_editors_chosen_slug_stays(app) {
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let (desk, _) = app.signed_in("desk@example.com", Role::Editor).await;
        let id = create_plain(&editor).await;
        let page = desk.get(&format!("/admin/releases/{id}")).await;
        let (token, rev) = (page.csrf(), field_value(&page.body, "revision").unwrap());
        desk.post_form(&format!("/admin/releases/{id}/slug"), &[("csrf_token", &token), ("revision", &rev), ("slug", "harbour-works")]).await.assert_status(303);
        let path = format!("/api/v1/releases/{id}");
        let current = editor.get(&path).await.json()["revision"].as_i64().unwrap();
        let v = editor.clone();
        v.with_header("If-Match", &format!("\"{current}\""));
        let renamed = v.json("PUT", &path, &json!({"headline": "Harbour works start on Monday", "body": "Body."})).await;
        renamed.assert_status(200);
        assert_eq!(renamed.json()["slug"], "harbour-works", "a rename keeps the editor's slug");
        let live = editor.json("POST", &format!("{path}/publish"), &json!({})).await.json();
        assert_eq!(live["slug"], "harbour-works");
        app.client().get(&format!("/releases/{id}/harbour-works")).await.assert_status(200);
        let res = app.client().get(&format!("/releases/{id}/plain-release")).await;
        res.assert_status(301);
        assert_eq!(res.location(), format!("/releases/{id}/harbour-works"));
    }
}
