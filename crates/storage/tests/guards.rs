#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Guards on the schema itself: both backends' migrations match, every column in `schema.rs`
//! reads back on both, and migrations go up, down and up again.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use dateline_core::workflow::Transition;
use dateline_core::{Contact, ReleaseContent, Role};
use dateline_storage::repo::audit::{self, Actor, AuditAction, Entry};
use dateline_storage::repo::organizations::{self, OrganizationInput};
use dateline_storage::repo::pipeline::{self, Change, Request};
use dateline_storage::repo::releases::{self, NewRelease};
use dateline_storage::repo::taxonomy::{self, TaxonInput};
use dateline_storage::repo::{previews, sessions, settings, throttle, tokens, users};
use dateline_storage::schema;
use dateline_storage::{backend_tests, migrations};
use diesel::prelude::*;

fn versions(dir: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(dir);
    let mut v: Vec<String> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn both_backends_have_the_same_migrations() {
    let pg = versions("postgres");
    let sqlite = versions("sqlite");
    assert!(!pg.is_empty());
    assert_eq!(pg, sqlite);
    for v in &pg {
        for dir in ["postgres", "sqlite"] {
            for file in ["up.sql", "down.sql"] {
                let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../migrations")
                    .join(dir)
                    .join(v)
                    .join(file);
                assert!(p.is_file(), "{} is missing", p.display());
            }
        }
    }
}

/// One row in every table, through the repositories.
fn fill(conn: &mut dateline_storage::DbConnection) {
    let now = Utc::now();
    let user = users::create(
        conn,
        &users::NewUser {
            email: "a@example.com".into(),
            display_name: "A".into(),
            role: Role::Admin,
            password_hash: "h".into(),
        },
    )
    .unwrap();
    users::set_totp(conn, user.id, Some("JBSWY3DPEHPK3PXP"), true, None).unwrap();
    users::claim_totp_step(conn, user.id, 5).unwrap();
    let org = organizations::create(
        conn,
        &OrganizationInput {
            name: "Org".into(),
            contacts: vec![Contact {
                name: "C".into(),
                ..Default::default()
            }],
            ..Default::default()
        },
    )
    .unwrap();
    let cat = taxonomy::create_category(conn, &TaxonInput::named("Cat")).unwrap();
    let reg = taxonomy::create_region(conn, &TaxonInput::named("Reg")).unwrap();
    let content = ReleaseContent {
        headline: "H".into(),
        language: "en".into(),
        organization_id: Some(org.id),
        category_ids: vec![cat.id],
        region_ids: vec![reg.id],
        tags: vec!["t".into()],
        contacts: vec![Contact {
            name: "C".into(),
            ..Default::default()
        }],
        dateline: dateline_core::Dateline {
            date: NaiveDate::from_ymd_opt(2026, 1, 2),
            ..Default::default()
        },
        ..Default::default()
    };
    let r = releases::create(
        conn,
        &NewRelease {
            content: content.clone(),
            author_id: Some(user.id),
        },
    )
    .unwrap();
    let actor = Actor::system("t");
    let req = |release_id, change| Request {
        release_id,
        expected_revision: None,
        change,
        actor: actor.clone(),
        now,
    };
    // Approved, sent back and approved again, so revisions, comments and audit rows exist to read.
    for change in [
        Change::Approve {
            embargo_at: now + chrono::Duration::hours(1),
        },
        Change::Move {
            transition: Transition::SendBack,
            note: "fix".into(),
        },
        Change::Approve {
            embargo_at: now + chrono::Duration::hours(1),
        },
    ] {
        pipeline::apply(conn, &req(r.id, change)).unwrap();
    }
    let r2 = releases::create(
        conn,
        &NewRelease {
            content: content.clone(),
            author_id: None,
        },
    )
    .unwrap();
    pipeline::apply(conn, &req(r2.id, Change::Publish { at: None })).unwrap();
    pipeline::apply(
        conn,
        &req(
            r2.id,
            Change::Correct {
                content: Box::new(content),
                note: "n".into(),
            },
        ),
    )
    .unwrap();
    settings::set(conn, "k", "v").unwrap();
    sessions::create(
        conn,
        &sessions::NewSession {
            id_hash: "s",
            user_id: user.id,
            csrf_token: "c",
            mfa_pending: false,
            now,
            expires_at: now,
            ip: "",
            user_agent: "",
        },
    )
    .unwrap();
    throttle::count_attempt(
        conn,
        "acct:x",
        now,
        chrono::Duration::minutes(5),
        &[(1, std::time::Duration::from_secs(1))],
    )
    .unwrap();
    tokens::replace_recovery_codes(conn, user.id, &["h1".into()]).unwrap();
    let token = tokens::NewApiToken {
        user_id: user.id,
        name: "n",
        scope: "read",
        hash: "hash",
        prefix: "dl_x",
        expires_at: Some(now),
    };
    tokens::create_api_token(conn, &token, now).unwrap();
    tokens::create_link(
        conn,
        &tokens::NewLink {
            kind: tokens::LinkKind::Invite,
            hash: "l",
            user_id: None,
            email: Some("b@example.com"),
            display_name: Some("B"),
            role: Some(Role::Editor),
            created_by: Some(user.id),
            now,
            expires_at: now,
        },
    )
    .unwrap();
    Entry::new(&actor, AuditAction::SettingsChange, "y", 1, now)
        .record(conn)
        .unwrap();
    previews::create(conn, r.id, "ph", "label", Some(user.id), now, now).unwrap();
    dateline_storage::repo::media::create(
        conn,
        &dateline_storage::repo::media::NewMedia {
            bytes: b"original",
            kind: dateline_core::media::MediaKind::Png,
            original_name: "x.png",
            alt: "alt",
            caption: "caption",
            credit: "credit",
            dimensions: Some((2, 1)),
            release_id: Some(r.id),
            organization_id: None,
            uploaded_by: user.id,
            renditions: vec![dateline_storage::repo::media::NewRendition {
                width: 1,
                height: 1,
                format: dateline_core::media::MediaKind::Webp,
                bytes: b"rendition".to_vec(),
            }],
        },
        now,
    )
    .unwrap();
}

type Ts = NaiveDateTime;
type OTs = Option<NaiveDateTime>;

backend_tests! {
    fn every_column_reads_back(db) {
        let mut conn = db.pool.get().unwrap();
        fill(&mut conn);
        macro_rules! reads {
            ($table:ident, $ty:ty) => {{
                let rows = schema::$table::table.select(schema::$table::all_columns).load::<$ty>(&mut conn).unwrap_or_else(|e| panic!("{}: {e}", stringify!($table)));
                assert!(!rows.is_empty(), "{} has no rows to check", stringify!($table));
            }};
        }
        reads!(users, (i64, String, String, String, bool, String, Option<String>, Ts, Ts, i64, Option<String>, bool, Option<i64>));
        reads!(organizations, (i64, String, String, String, String, Ts, Ts, i64));
        reads!(organization_contacts, (i64, i64, i32, String, String, String, String));
        reads!(categories, (i64, String, String, String, Option<i64>, Ts, Ts, i64));
        reads!(regions, (i64, String, String, Ts, Ts, i64));
        reads!(tags, (i64, String, String, Ts, i64));
        reads!(releases, (i64, String, String, String, String, String, String, Option<NaiveDate>, String, String, String, String, String, String, String, OTs, OTs, OTs, OTs, String, Option<i64>, Option<i64>, Ts, Ts, i64, bool, Option<Vec<u8>>));
        reads!(release_contacts, (i64, i64, i32, String, String, String, String));
        reads!(release_categories, (i64, i64));
        reads!(release_regions, (i64, i64));
        reads!(release_tags, (i64, i64));
        reads!(release_revisions, (i64, i64, i64, String, String, String, String, String, Option<i64>, Ts, Option<Vec<u8>>, Option<i64>));
        reads!(corrections, (i64, i64, String, i64, Option<i64>, Ts));
        reads!(settings, (String, String, Ts));
        reads!(site_state, (i32, i64, Ts));
        reads!(sessions, (String, i64, String, bool, Ts, Ts, Ts, String, String));
        reads!(login_throttle, (String, i32, OTs, Ts));
        reads!(recovery_codes, (i64, i64, String, OTs));
        reads!(api_tokens, (i64, i64, String, String, String, String, Ts, OTs, OTs, OTs));
        reads!(one_time_tokens, (i64, String, String, Option<i64>, Option<String>, Option<String>, Option<String>, Option<i64>, Ts, Ts, OTs));
        reads!(audit_log, (i64, Ts, Option<i64>, String, String, String, String, String, String, String, String));
        reads!(jobs, (i64, String, Option<i64>, Ts, Ts, i32, String, OTs, OTs));
        reads!(preview_links, (i64, i64, String, String, Option<i64>, Ts, Ts, OTs, i64, OTs));
        reads!(review_comments, (i64, i64, Option<i64>, i64, String, Ts));
        reads!(media_blobs, (String, Vec<u8>, i64, Ts));
        reads!(media, (i64, String, String, String, String, String, String, Option<i32>, Option<i32>, i64, Option<i64>, Option<i64>, i64, Ts));
        reads!(media_renditions, (i64, i32, String, String, i32));
    }

    fn migrations_go_up_down_and_up(db) {
        let mut conn = db.pool.get().unwrap();
        fill(&mut conn);
        let down = migrations::revert_all(&mut conn).unwrap();
        assert_eq!(down.len(), versions("sqlite").len());
        assert!(migrations::has_pending(&mut conn).unwrap());
        let up = migrations::run_pending(&mut conn).unwrap();
        assert_eq!(up.len(), down.len());
        fill(&mut conn);
        assert!(!migrations::has_pending(&mut conn).unwrap());
    }

    fn the_audit_log_refuses_changes(db) {
        let mut conn = db.pool.get().unwrap();
        fill(&mut conn);
        let update = diesel::update(schema::audit_log::table).set(schema::audit_log::result.eq("forged")).execute(&mut conn);
        assert!(update.is_err(), "UPDATE on audit_log must fail");
        let delete = diesel::delete(schema::audit_log::table).execute(&mut conn);
        assert!(delete.is_err(), "DELETE on audit_log must fail");
        let count: i64 = schema::audit_log::table.count().get_result(&mut conn).unwrap();
        assert!(count >= 1);
    }

    // The one way round the append-only trigger: a permit, which reaches only rows from before
    // its cutoff. Deleting anything newer fails the whole statement, permit and all.
    fn a_prune_permit_reaches_only_rows_before_its_cutoff(db) {
        let mut conn = db.pool.get().unwrap();
        let now = Utc::now();
        for days in [10, 1] {
            Entry::new(&Actor::system("t"), AuditAction::SettingsChange, "", "", now - chrono::Duration::days(days)).record(&mut conn).unwrap();
        }
        let cutoff = now - chrono::Duration::days(5);
        let everything = dateline_storage::write_tx(&mut conn, |conn| {
            diesel::insert_into(schema::audit_prune_permits::table).values(schema::audit_prune_permits::cutoff.eq(cutoff.naive_utc())).execute(conn)?;
            diesel::delete(schema::audit_log::table).execute(conn)
        });
        assert!(everything.is_err(), "yesterday's row is after the permit's cutoff");
        let rows = |conn: &mut dateline_storage::DbConnection| schema::audit_log::table.count().get_result::<i64>(conn).unwrap();
        assert_eq!(rows(&mut conn), 2);
        assert_eq!(audit::prune_before(&mut conn, cutoff).unwrap(), 1);
        assert_eq!(rows(&mut conn), 1);
        let permits: i64 = schema::audit_prune_permits::table.count().get_result(&mut conn).unwrap();
        assert_eq!(permits, 0);
    }
}
