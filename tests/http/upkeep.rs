//! Bounded growth and cheap reads: the scheduler's purges, the stored sanitiser version, and the
//! operator's audit log prune, through the real app and the real binary, on both backends.

use chrono::{DateTime, Duration, Utc};
use dateline_core::Role;
use dateline_core::content::render_markdown;
use dateline_storage::repo::audit::{self, Actor, AuditAction, AuditFilter, Entry};
use dateline_storage::repo::sessions::{self, NewSession};
use dateline_storage::repo::{compaction, releases, revisions};
use dateline_storage::{DatabaseUrl, PageRequest, schema};
use diesel::prelude::*;

use crate::http_tests;
use crate::support::TestApp;
use crate::support::process::BIN;

/// Every value `query` reads, sorted, so a test compares sets of keys.
fn sorted<Q>(app: &TestApp, query: Q) -> Vec<String>
where
    Q: for<'a> diesel::query_dsl::LoadQuery<'a, dateline_storage::PooledConnection, String>,
{
    let mut values: Vec<String> = query.load(&mut app.conn()).unwrap();
    values.sort();
    values
}

fn session_ids(app: &TestApp) -> Vec<String> {
    sorted(app, schema::sessions::table.select(schema::sessions::id))
}

fn throttle_keys(app: &TestApp) -> Vec<String> {
    sorted(
        app,
        schema::login_throttle::table.select(schema::login_throttle::key),
    )
}

fn throttle_row(
    app: &TestApp,
    key: &str,
    locked_until: Option<DateTime<Utc>>,
    last: DateTime<Utc>,
) {
    use schema::login_throttle as t;
    diesel::insert_into(t::table)
        .values((
            t::key.eq(key),
            t::failures.eq(7),
            t::locked_until.eq(locked_until.map(|u| u.naive_utc())),
            t::last_failure_at.eq(last.naive_utc()),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

fn audit_rows(app: &TestApp) -> Vec<audit::AuditRow> {
    audit::list(
        &mut app.conn(),
        &AuditFilter::default(),
        &PageRequest::first(100),
    )
    .unwrap()
    .items
}

/// Runs the real binary on the test app's own database.
fn dateline(app: &TestApp, args: &[&str]) -> std::process::Output {
    let url = match &app.db.url {
        DatabaseUrl::Sqlite(p) => p.display().to_string(),
        DatabaseUrl::Postgres(u) => u.clone(),
    };
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new(BIN)
        .current_dir(dir.path())
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

http_tests! {
    // Expired and idle sessions, and throttle counters past the forget window with no lock
    // running, are deleted by the scheduler; everything still in force stays, and a signed-in
    // editor stays signed in.
    async fn the_scheduler_purges_expired_sessions_and_stale_counters(app) {
        let user = app.user("gone@example.com", Role::Editor);
        let (editor, _) = app.signed_in("ed@example.com", Role::Editor).await;
        let signed_in = session_ids(&app);
        let now = app.state.clock.now();
        let idle = Duration::from_std(app.state.config.session_idle).unwrap();
        for (id, seen, expires) in [
            ("expired", now - Duration::minutes(1), now - Duration::seconds(1)),
            ("idle", now - idle - Duration::minutes(1), now + Duration::hours(1)),
            ("live", now, now + Duration::hours(1)),
        ] {
            sessions::create(&mut app.conn(), &NewSession { id_hash: id, user_id: user.id, csrf_token: "t", mfa_pending: false, now: seen, expires_at: expires, ip: "", user_agent: "" }).unwrap();
        }
        let forgotten = now - Duration::minutes(31);
        throttle_row(&app, "ip:stale", None, forgotten);
        throttle_row(&app, "ip:stale-lock-ended", Some(now - Duration::minutes(1)), forgotten);
        throttle_row(&app, "ip:stale-but-locked", Some(now + Duration::minutes(10)), forgotten);
        throttle_row(&app, "ip:recent", None, now - Duration::minutes(1));
        // Tidying comes round every sixty scheduler intervals; move the app's clock past that
        // rather than wait. Nothing kept above comes near its limit in one minute.
        app.state.clock.advance(Duration::minutes(1));
        app.eventually("expired sessions and stale counters to go", |app| {
            !session_ids(app).contains(&"expired".to_owned()) && !throttle_keys(app).contains(&"ip:stale".to_owned())
        }).await;
        let mut kept = signed_in.clone();
        kept.push("live".to_owned());
        kept.sort();
        assert_eq!(session_ids(&app), kept);
        assert_eq!(throttle_keys(&app), ["ip:recent", "ip:stale-but-locked"]);
        editor.get("/admin").await.assert_status(200);
    }

    // The HTML a reader gets is made from the stored Markdown by the current sanitiser on every
    // read: no HTML is stored that could go stale or be edited into the database by hand.
    async fn served_html_is_always_made_from_the_stored_markdown(app) {
        let (api, _) = app.api_user("ed@example.com", Role::Editor);
        let made = api.json("POST", "/api/v1/releases", &serde_json::json!({"headline": "Harbor opens", "body": "The harbor opens on *Monday*.", "language": "en"})).await;
        made.assert_status(201);
        let public_id = made.json()["id"].as_str().unwrap().to_owned();
        api.json("POST", &format!("/api/v1/releases/{public_id}/publish"), &serde_json::json!({})).await.assert_status(200);
        let id = releases::get_by_public_id(&mut app.conn(), &public_id.parse().unwrap()).unwrap().id;
        // Markdown written into the row behind the editor's back, with markup no save accepts.
        let hostile = "The harbor opens on *Monday*.<script>alert(1)</script> <p class=\"marker\">x</p>";
        diesel::update(schema::releases::table.find(id))
            .set((schema::releases::body.eq(hostile), schema::releases::body_packed.eq(None::<Vec<u8>>)))
            .execute(&mut app.conn())
            .unwrap();
        let expected = render_markdown(hostile).as_str().to_owned();
        assert!(expected.contains("<em>Monday</em>") && !expected.contains("alert(1)"), "{expected}");
        let api_html = app.client().get(&format!("/api/v1/releases/{public_id}")).await;
        api_html.assert_status(200);
        assert_eq!(api_html.json()["body_html"].as_str().unwrap(), expected);
        let page = app.client().get(&format!("/releases/{public_id}/harbor-opens")).await;
        page.assert_status(200);
        assert!(page.body.contains(&expected), "{}", page.body);
        assert!(!page.body.contains("marker") && !page.body.contains("alert(1)"), "{}", page.body);
    }

    // A body and revisions an older version stored as plain text are packed by `dateline
    // migrate` and read back unchanged; `dateline vacuum` gives the space back. A damaged revision is then a 500
    // that names it, while the others, the history and the next save carry on.
    async fn old_revisions_are_packed_and_a_damaged_one_is_named(app) {
        let (api, _) = app.api_user("ed@example.com", Role::Editor);
        let made = api.json("POST", "/api/v1/releases", &serde_json::json!({"headline": "Harbor opens", "body": "The harbor opens on Monday.", "language": "en"})).await;
        made.assert_status(201);
        let public_id = made.json()["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/releases/{public_id}");
        for (rev, body) in [(1, "The harbor opens on Tuesday."), (2, "The harbor opens on Tuesday, with a ferry."), (3, "The harbor opens on Tuesday, with two ferries.")] {
            let editor = api.clone();
            editor.with_header("If-Match", &format!("\"{rev}\""));
            editor.json("PUT", &path, &serde_json::json!({"headline": "Harbor opens", "body": body, "language": "en"})).await.assert_status(200);
        }
        let revision = |r: i64| {
            let url = format!("{path}/revisions/{r}");
            let api = api.clone();
            async move { api.get(&url).await }
        };
        let mut before = Vec::new();
        for r in 1..=4 {
            let res = revision(r).await;
            res.assert_status(200);
            before.push(res.json());
        }
        let id = releases::get_by_public_id(&mut app.conn(), &public_id.parse().unwrap()).unwrap().id;
        use schema::release_revisions as rr;
        for r in 1..=4 {
            let (_, content) = revisions::get(&mut app.conn(), id, r).unwrap();
            diesel::update(rr::table.filter(rr::release_id.eq(id)).filter(rr::revision.eq(r)))
                .set((rr::snapshot.eq(serde_json::to_string(&content).unwrap()), rr::packed.eq(None::<Vec<u8>>), rr::packed_base.eq(None::<i64>)))
                .execute(&mut app.conn())
                .unwrap();
        }

        let body = releases::get(&mut app.conn(), id).unwrap().content.body;
        diesel::update(schema::releases::table.find(id))
            .set((schema::releases::body.eq(&body), schema::releases::body_packed.eq(None::<Vec<u8>>)))
            .execute(&mut app.conn())
            .unwrap();
        assert_eq!(revision(4).await.json(), before[3], "old rows read as they are");
        let page_before = api.get(&path).await.json();

        let migrated = dateline(&app, &["migrate"]);
        assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
        assert!(String::from_utf8_lossy(&migrated.stdout).contains("Packed 5 bodies and revisions"), "{}", String::from_utf8_lossy(&migrated.stdout));
        assert_eq!(compaction::pending(&mut app.conn()).unwrap(), 0);
        assert_eq!(api.get(&path).await.json(), page_before, "the release reads back as it was");
        for r in 1..=4 {
            assert_eq!(revision(r).await.json(), before[r as usize - 1], "revision {r} reads back as it was");
        }
        let vacuumed = dateline(&app, &["vacuum"]);
        assert!(vacuumed.status.success(), "{}", String::from_utf8_lossy(&vacuumed.stderr));
        assert!(String::from_utf8_lossy(&vacuumed.stdout).contains("MB before"), "{}", String::from_utf8_lossy(&vacuumed.stdout));

        let mut packed: Vec<u8> = rr::table.filter(rr::release_id.eq(id)).filter(rr::revision.eq(2)).select(rr::packed).first::<Option<Vec<u8>>>(&mut app.conn()).unwrap().unwrap();
        let middle = packed.len() / 2;
        packed[middle] ^= 0xff;
        diesel::update(rr::table.filter(rr::release_id.eq(id)).filter(rr::revision.eq(2))).set(rr::packed.eq(Some(packed))).execute(&mut app.conn()).unwrap();
        let damaged = revision(2).await;
        damaged.assert_status(500);
        let detail = damaged.json()["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains("Revision 2") && detail.contains("damaged"), "{detail}");
        assert_eq!(revision(1).await.json(), before[0]);
        let listed = api.get(&format!("{path}/revisions")).await;
        listed.assert_status(200);
        assert!(listed.body.contains("\"revision\":4"), "{}", listed.body);
        let editor = api.clone();
        editor.with_header("If-Match", "\"4\"");
        editor.json("PUT", &path, &serde_json::json!({"headline": "Harbor opens", "body": "The harbor opens on Wednesday.", "language": "en"})).await.assert_status(200);
        let newest = revision(5).await;
        newest.assert_status(200);
        assert!(newest.body.contains("Wednesday"), "{}", newest.body);
    }

    // `dateline audit prune --before DATE` deletes only rows from before that day, says how
    // many, and records itself; a bad or future date is one clear line and deletes nothing. The
    // log stays append-only to everything else.
    async fn pruning_the_audit_log_from_the_command_line(app) {
        let now = Utc::now();
        for (age, at) in [("ancient", now - Duration::days(500)), ("old", now - Duration::days(400)), ("recent", now - Duration::days(1))] {
            Entry::new(&Actor::system("test"), AuditAction::SettingsChange, "", "", at).detail(age).record(&mut app.conn()).unwrap();
        }
        let before = audit_rows(&app).len();
        let tomorrow = (now + Duration::days(1)).date_naive().to_string();
        for (date, says) in [("2025-02-30", "not a date"), ("31/01/2025", "not a date"), (tomorrow.as_str(), "in the future")] {
            let bad = dateline(&app, &["audit", "prune", "--before", date]);
            let err = String::from_utf8_lossy(&bad.stderr).into_owned();
            assert!(!bad.status.success(), "{date}: {err}");
            let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(lines.len(), 1, "{err}");
            assert!(lines[0].starts_with("error: ") && lines[0].contains(says), "{err}");
            assert_eq!(audit_rows(&app).len(), before, "a refused prune deletes nothing");
        }
        let cutoff = (now - Duration::days(30)).date_naive().to_string();
        let ok = dateline(&app, &["audit", "prune", "--before", &cutoff]);
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
        assert!(String::from_utf8_lossy(&ok.stdout).contains(&format!("Removed 2 audit row(s) from before {cutoff}")), "{}", String::from_utf8_lossy(&ok.stdout));
        let rows = audit_rows(&app);
        let ages: Vec<&str> = rows.iter().map(|r| r.detail.as_str()).collect();
        assert!(!ages.contains(&"ancient") && !ages.contains(&"old") && ages.contains(&"recent"), "{ages:?}");
        assert_eq!(rows.len(), before - 2 + 1);
        let record = rows.iter().find(|r| r.action == "audit_prune").unwrap();
        assert_eq!(record.actor_label, "cli");
        assert!(record.detail.contains("removed 2 row(s)") && record.detail.contains(&cutoff), "{}", record.detail);
        // Again: nothing left to remove, and that is recorded too.
        let again = dateline(&app, &["audit", "prune", "--before", &cutoff]);
        assert!(String::from_utf8_lossy(&again.stdout).contains("Removed 0 audit row(s)"));
        assert_eq!(audit_rows(&app).iter().filter(|r| r.action == "audit_prune").count(), 2);
        assert!(diesel::delete(schema::audit_log::table).execute(&mut app.conn()).is_err(), "no prune, no delete");
        let left: i64 = schema::audit_prune_permits::table.count().get_result(&mut app.conn()).unwrap();
        assert_eq!(left, 0, "no permit outlives its prune");
    }
}
