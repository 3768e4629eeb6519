#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The newsroom archive moves a newsroom to the other backend and back without losing a byte,
//! keeps embargoes, and refuses what it cannot place without writing anything.

use chrono::{Duration, TimeZone, Utc};
use dateline_core::archive::Record;
use dateline_core::media::MediaKind;
use dateline_core::workflow::Transition;
use dateline_core::{Contact, Dateline, ReleaseContent, ReleaseStatus, Role};
use dateline_storage::archive::{self, ImportError};
use dateline_storage::repo::audit::Actor;
use dateline_storage::repo::media::{self, NewMedia, NewRendition};
use dateline_storage::repo::organizations::{self, OrganizationInput};
use dateline_storage::repo::pipeline::{self, Change, Request};
use dateline_storage::repo::releases::{self, NewRelease, RevisionAction};
use dateline_storage::repo::taxonomy::{self, TaxonInput};
use dateline_storage::repo::users::{self, NewUser};
use dateline_storage::repo::{jobs, settings};
use dateline_storage::testdb::TestDatabase;
use dateline_storage::{DbConnection, backend_tests};

fn apply(conn: &mut DbConnection, id: i64, change: Change) -> dateline_core::Release {
    pipeline::apply(
        conn,
        &Request {
            release_id: id,
            expected_revision: None,
            change,
            actor: Actor::system("test"),
            now: Utc::now(),
        },
    )
    .unwrap()
    .release
}

/// A small newsroom with one of everything the archive carries.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const WEBP: &[u8] = b"RIFF\x10\0\0\0WEBPVP8 ";

fn newsroom(conn: &mut DbConnection) {
    settings::set(conn, "newsroom.name", "Harbour News").unwrap();
    let ana = users::create(
        conn,
        &NewUser {
            email: "ana@example.com".into(),
            display_name: "Ana".into(),
            role: Role::Editor,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        },
    )
    .unwrap();
    let org = organizations::create(
        conn,
        &OrganizationInput {
            name: "Harbour Lights".into(),
            slug: String::new(),
            website: "https://harbour.example".into(),
            boilerplate: "Harbour Lights runs ferries.".into(),
            contacts: vec![Contact {
                name: "Rui".into(),
                title: "Press".into(),
                email: "rui@harbour.example".into(),
                phone: "+351 1".into(),
            }],
        },
    )
    .unwrap();
    let parent = taxonomy::create_category(conn, &taxon("Transport", None)).unwrap();
    let child = taxonomy::create_category(conn, &taxon("Ferries", Some(parent.id))).unwrap();
    let region = taxonomy::create_region(conn, &taxon("Europe", None)).unwrap();
    let content = |headline: &str| ReleaseContent {
        headline: headline.into(),
        language: "en".into(),
        body: format!("About {headline}.\n\n<!-- a note -->Second *paragraph*."),
        dateline: Dateline {
            city: "Lisbon".into(),
            region: "Portugal".into(),
            date: chrono::NaiveDate::from_ymd_opt(2025, 3, 4),
            distributor: "Wire".into(),
        },
        organization_id: Some(org.id),
        category_ids: vec![child.id],
        region_ids: vec![region.id],
        tags: vec!["electric".into()],
        ..Default::default()
    };
    let mut ids = Vec::new();
    for headline in ["Live one", "Scheduled one", "Draft one", "Withdrawn one"] {
        let r = releases::create(
            conn,
            &NewRelease {
                content: content(headline),
                author_id: Some(ana.id),
            },
        )
        .unwrap();
        ids.push(r.id);
    }
    let mut edited = content("Draft one, edited");
    edited.summary = "A summary.".into();
    releases::update_content(
        conn,
        ids[2],
        1,
        &edited,
        Some(ana.id),
        RevisionAction::Save,
        "",
    )
    .unwrap();
    let past = Utc.with_ymd_and_hms(2025, 3, 4, 9, 0, 0).unwrap();
    apply(conn, ids[0], Change::Publish { at: Some(past) });
    let mut fixed = content("Live one");
    fixed.body.push_str("\n\nA corrected figure.");
    apply(
        conn,
        ids[0],
        Change::Correct {
            content: Box::new(fixed),
            note: "The figure was wrong.".into(),
        },
    );
    apply(
        conn,
        ids[1],
        Change::Approve {
            embargo_at: Utc::now() + Duration::days(3),
        },
    );
    // A picture on the live release (with a rendition) and the organization's logo.
    let at = Utc.with_ymd_and_hms(2025, 3, 4, 8, 0, 0).unwrap();
    for (name, release, organization) in [
        ("ferry.png", Some(ids[0]), None),
        ("logo.png", None, Some(org.id)),
    ] {
        media::create(
            conn,
            &NewMedia {
                bytes: &[PNG, name.as_bytes()].concat(),
                kind: MediaKind::Png,
                original_name: name,
                alt: "A picture",
                caption: "",
                credit: "",
                dimensions: Some((1, 1)),
                release_id: release,
                organization_id: organization,
                uploaded_by: ana.id,
                renditions: vec![NewRendition {
                    width: 1,
                    height: 1,
                    format: MediaKind::Webp,
                    bytes: [WEBP, name.as_bytes()].concat(),
                }],
            },
            at,
        )
        .unwrap();
    }
    apply(conn, ids[3], Change::Publish { at: Some(past) });
    apply(
        conn,
        ids[3],
        Change::Move {
            transition: Transition::Withdraw,
            note: "Issued in error.".into(),
        },
    );
}

fn taxon(name: &str, parent: Option<i64>) -> TaxonInput {
    TaxonInput {
        parent_id: parent,
        ..TaxonInput::named(name)
    }
}

fn lines(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect()
}

/// A fresh database of the other backend when PostgreSQL is configured, else another SQLite.
fn other(db: &TestDatabase) -> TestDatabase {
    let on_sqlite = matches!(
        db.pool.get().unwrap().backend(),
        dateline_storage::connection::Backend::Sqlite
    );
    if on_sqlite && let Some(pg) = TestDatabase::postgres().unwrap() {
        return pg;
    }
    TestDatabase::sqlite().unwrap()
}

backend_tests! {
    fn a_newsroom_moves_to_the_other_backend_and_back_byte_for_byte(db) {
        let mut conn = db.pool.get().unwrap();
        newsroom(&mut conn);
        let first = archive::export(&mut conn, true).unwrap();
        let kinds: Vec<&str> = first.iter().map(|r| match r {
            Record::Setting(_) => "setting", Record::User(_) => "user",
            Record::Organization(_) => "organization", Record::Category(_) => "category",
            Record::Region(_) => "region", Record::Tag(_) => "tag", Record::Release(_) => "release",
            Record::Media(_) => "media",
        }).collect();
        for kind in ["setting", "user", "organization", "category", "region", "tag", "release", "media"] {
            assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
        }

        let there = other(db);
        let mut there_conn = there.pool.get().unwrap();
        let report = archive::import(&mut there_conn, &first, Utc::now()).unwrap();
        assert_eq!(report.added.get("releases"), Some(&4));
        assert_eq!(report.added.get("media"), Some(&2));
        assert_eq!(media::counts(&mut there_conn).unwrap(), (4, 2, 2), "the bytes came along");
        let second = archive::export(&mut there_conn, true).unwrap();
        assert_eq!(lines(&first), lines(&second));

        let home = if matches!(conn.backend(), dateline_storage::connection::Backend::Sqlite) {
            TestDatabase::sqlite().unwrap()
        } else {
            TestDatabase::postgres().unwrap().unwrap()
        };
        let mut home_conn = home.pool.get().unwrap();
        archive::import(&mut home_conn, &second, Utc::now()).unwrap();
        assert_eq!(lines(&first), lines(&archive::export(&mut home_conn, true).unwrap()));

        // The embargoed release waits for its time on the new instance too.
        let scheduled: Vec<_> = releases::by_status(&mut there_conn, ReleaseStatus::Scheduled, 10).unwrap();
        assert_eq!(scheduled.len(), 1);
        assert_eq!(jobs::pending(&mut there_conn).unwrap().len(), 1);
    }

    fn importing_the_same_archive_again_changes_nothing(db) {
        let mut conn = db.pool.get().unwrap();
        newsroom(&mut conn);
        let records = archive::export(&mut conn, false).unwrap();
        let before = settings::content_version(&mut conn).unwrap();
        let report = archive::import(&mut conn, &records, Utc::now()).unwrap();
        assert_eq!(report.added_total(), 0, "{report:?}");
        assert_eq!(report.already_present, records.len());
        assert_eq!(settings::content_version(&mut conn).unwrap(), before);
        assert_eq!(lines(&records), lines(&archive::export(&mut conn, false).unwrap()));
    }

    fn a_reference_to_nothing_refuses_the_whole_archive(db) {
        let mut conn = db.pool.get().unwrap();
        newsroom(&mut conn);
        let mut records = archive::export(&mut conn, false).unwrap();
        for r in &mut records {
            if let Record::Release(r) = r {
                r.public_id = format!("{}x", &r.public_id[..r.public_id.len() - 1]);
                r.content.organization = Some("nobody".into());
            }
        }
        let fresh = TestDatabase::sqlite().unwrap();
        let mut fresh_conn = fresh.pool.get().unwrap();
        let err = archive::import(&mut fresh_conn, &records, Utc::now()).unwrap_err();
        let ImportError::Refused(message) = err else { panic!("{err:?}") };
        assert!(message.contains("\"nobody\""), "{message}");
        assert!(archive::export(&mut fresh_conn, false).unwrap().is_empty(), "nothing written");
    }
}

/// Records edited by hand to be what the newsroom itself never writes.
fn tampered(records: &[Record], edit: impl Fn(&mut Record)) -> Vec<Record> {
    let mut out = records.to_vec();
    out.iter_mut().for_each(edit);
    out
}

backend_tests! {
    fn an_archive_cannot_plant_what_the_newsroom_would_refuse(db) {
        let mut conn = db.pool.get().unwrap();
        newsroom(&mut conn);
        let good = archive::export(&mut conn, true).unwrap();
        let cases: Vec<(&str, Vec<Record>)> = vec![
            ("published_at in the future", tampered(&good, |r| if let Record::Release(r) = r && r.status == "published" {
                r.published_at = Some(Utc::now() + Duration::days(2));
            })),
            ("embargo_at after its published_at", tampered(&good, |r| if let Record::Release(r) = r && r.status == "published" {
                r.embargo_at = Some(Utc::now() + Duration::days(2));
            })),
            ("source.url", tampered(&good, |r| if let Record::Release(r) = r {
                r.content.source.url = "javascript:alert(1)".into();
            })),
            ("website", tampered(&good, |r| if let Record::Organization(o) = r {
                o.website = "javascript:alert(1)".into();
            })),
            ("revision 99", tampered(&good, |r| if let Record::Release(r) = r && let Some(rev) = r.revisions.first_mut() {
                rev.revision = 99;
            })),
            ("not one this version knows", tampered(&good, |r| if let Record::Setting(s) = r {
                s.key = "smtp.password".into();
            })),
            ("only categories", tampered(&good, |r| if let Record::Region(t) = r {
                t.parent = Some("transport".into());
            })),
            ("do not match its hash", tampered(&good, |r| if let Record::Media(m) = r {
                m.bytes = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"\x89PNG\r\n\x1a\nswapped");
            })),
            ("contains HTML or script", tampered(&good, |r| if let Record::Media(m) = r {
                let planted = b"GIF89a<script>alert(1)</script>";
                m.bytes = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, planted);
                m.sha256 = media::hash(planted);
                m.name = "x.gif".into();
                m.kind = "gif".into();
            })),
        ];
        for (needle, records) in cases {
            let fresh = TestDatabase::sqlite().unwrap();
            let mut fresh_conn = fresh.pool.get().unwrap();
            let err = archive::import(&mut fresh_conn, &records, Utc::now()).unwrap_err();
            let ImportError::Refused(message) = err else { panic!("{needle}: {err:?}") };
            assert!(message.contains(needle), "{needle:?} not in {message}");
            assert!(archive::export(&mut fresh_conn, false).unwrap().is_empty(), "{needle}: nothing written");
        }

        // A password hash that would cost gigabytes to check is not imported.
        let costly = tampered(&good, |r| if let Record::User(u) = r {
            u.password_hash = Some("$argon2id$v=19$m=4000000000,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into());
        });
        let fresh = TestDatabase::sqlite().unwrap();
        let mut fresh_conn = fresh.pool.get().unwrap();
        archive::import(&mut fresh_conn, &costly, Utc::now()).unwrap();
        let stored = users::credentials_by_email(&mut fresh_conn, "ana@example.com").unwrap().unwrap();
        assert!(!stored.password_hash.starts_with("$argon2"), "{}", stored.password_hash);
    }
}

backend_tests! {
    fn a_key_that_names_something_else_here_refuses_the_archive(db) {
        let mut conn = db.pool.get().unwrap();
        newsroom(&mut conn);
        let good = archive::export(&mut conn, false).unwrap();
        let renamed = tampered(&good, |r| if let Record::Organization(o) = r {
            o.name = "Another Company".into();
        });
        let err = archive::import(&mut conn, &renamed, Utc::now()).unwrap_err();
        let ImportError::Refused(message) = err else { panic!("{err:?}") };
        assert!(message.contains("\"Another Company\" in the archive but \"Harbour Lights\""), "{message}");
        let recreated = tampered(&good, |r| if let Record::Release(r) = r {
            r.created_at -= Duration::days(1);
        });
        let err = archive::import(&mut conn, &recreated, Utc::now()).unwrap_err();
        let ImportError::Refused(message) = err else { panic!("{err:?}") };
        assert!(message.contains("is not the release with that id"), "{message}");
    }
}
