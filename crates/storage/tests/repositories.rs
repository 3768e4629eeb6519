#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Repository behaviour on both backends: create, read, compare-and-swap updates, keyset pages,
//! the publish pipeline, the scheduler's jobs and search.

use chrono::{Duration, TimeZone, Utc};
use dateline_core::visibility::Viewer;
use dateline_core::workflow::{Refusal, Transition};
use dateline_core::{Contact, Dateline, DomainError, ReleaseContent, ReleaseStatus, Role};
use dateline_storage::repo::audit::Actor;
use dateline_storage::repo::organizations::OrganizationInput;
use dateline_storage::repo::pipeline::{self, Change, Request};
use dateline_storage::repo::releases::{
    self, NewRelease, PublicFilter, RevisionAction, StaffFilter,
};
use dateline_storage::repo::taxonomy::{self, TaxonInput};
use dateline_storage::repo::users::{self, NewUser, UserUpdate};
use dateline_storage::repo::{jobs, search, settings};
use dateline_storage::{DbConnection, PageRequest, StorageError, backend_tests};

fn user(conn: &mut DbConnection, email: &str, role: Role) -> dateline_core::User {
    users::create(
        conn,
        &NewUser {
            email: email.into(),
            display_name: email.into(),
            role,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        },
    )
    .unwrap()
}

fn content(headline: &str) -> ReleaseContent {
    ReleaseContent {
        headline: headline.into(),
        language: "en".into(),
        body: format!("First paragraph about {headline}.\n\nSecond paragraph."),
        dateline: Dateline {
            city: "Lisbon".into(),
            region: "Portugal".into(),
            date: None,
            distributor: "Wire".into(),
        },
        ..Default::default()
    }
}

fn draft(conn: &mut DbConnection, headline: &str, author: Option<i64>) -> dateline_core::Release {
    releases::create(
        conn,
        &NewRelease {
            content: content(headline),
            author_id: author,
        },
    )
    .unwrap()
}

fn publish_at(
    conn: &mut DbConnection,
    id: i64,
    at: chrono::DateTime<Utc>,
) -> dateline_core::Release {
    pipeline::apply(
        conn,
        &Request {
            release_id: id,
            expected_revision: None,
            change: Change::Publish { at: Some(at) },
            actor: Actor::system("test"),
            now: Utc::now(),
        },
    )
    .unwrap()
    .release
}

backend_tests! {
    fn users_are_unique_and_updates_compare_and_swap(db) {
        let mut conn = db.pool.get().unwrap();
        let ana = user(&mut conn, "Ana@Example.com", Role::Editor);
        assert_eq!(ana.email, "ana@example.com");
        let dup = users::create(&mut conn, &NewUser { email: "ana@example.com ".into(), display_name: "x".into(), role: Role::Admin, password_hash: "h".into() });
        assert!(matches!(dup, Err(StorageError::Duplicate { field: "email", .. })), "{dup:?}");

        let changes = UserUpdate { display_name: "Ana R.".into(), role: Role::Admin, disabled: false, time_zone: Some("Europe/Lisbon".into()) };
        let updated = users::update(&mut conn, ana.id, ana.revision, &changes).unwrap();
        assert_eq!((updated.role, updated.revision), (Role::Admin, ana.revision + 1));
        // The same stale revision again: refused, nothing written.
        let stale = users::update(&mut conn, ana.id, ana.revision, &UserUpdate { display_name: "Lost".into(), ..changes });
        assert!(matches!(stale, Err(StorageError::Conflict { current }) if current == ana.revision + 1));
        assert_eq!(users::get(&mut conn, ana.id).unwrap().display_name, "Ana R.");
        assert!(matches!(users::get(&mut conn, 999_999), Err(StorageError::NotFound)));
    }

    fn user_pages_cover_everyone_once(db) {
        let mut conn = db.pool.get().unwrap();
        for i in 0..7 {
            user(&mut conn, &format!("u{i}@example.com"), Role::Contributor);
        }
        let mut seen = Vec::new();
        let mut page = PageRequest::first(3);
        loop {
            let got = users::list(&mut conn, &page).unwrap();
            assert!(got.items.len() <= 3);
            seen.extend(got.items.iter().map(|u| u.email.clone()));
            match got.next {
                Some(c) => page = PageRequest::after(Some(c), 3),
                None => break,
            }
        }
        assert_eq!(seen.len(), 7);
        seen.dedup();
        assert_eq!(seen.len(), 7);
    }

    fn organizations_get_unique_slugs_and_keep_contacts(db) {
        let mut conn = db.pool.get().unwrap();
        let input = OrganizationInput {
            name: "Øresund Windshare".into(),
            website: "https://windshare.example.org".into(),
            boilerplate: "About us.".into(),
            contacts: vec![Contact { name: "Ana".into(), email: "press@example.org".into(), ..Default::default() }],
            ..Default::default()
        };
        let a = dateline_storage::repo::organizations::create(&mut conn, &input).unwrap();
        let b = dateline_storage::repo::organizations::create(&mut conn, &input).unwrap();
        assert_eq!(a.slug, "oresund-windshare");
        assert_eq!(b.slug, "oresund-windshare-2");
        assert_eq!(a.contacts.len(), 1);
        let by_slug = dateline_storage::repo::organizations::get_by_slug(&mut conn, "oresund-windshare").unwrap();
        assert_eq!(by_slug, a);

        let mut edit = input.clone();
        edit.contacts.push(Contact { name: "Bo".into(), ..Default::default() });
        let a2 = dateline_storage::repo::organizations::update(&mut conn, a.id, a.revision, &edit).unwrap();
        assert_eq!(a2.contacts.len(), 2);
        let stale = dateline_storage::repo::organizations::update(&mut conn, a.id, a.revision, &input);
        assert!(matches!(stale, Err(StorageError::Conflict { .. })));
        // A rename keeps the address; a new slug has to be asked for.
        let renamed = dateline_storage::repo::organizations::update(&mut conn, a.id, a2.revision, &OrganizationInput { name: "Windshare Øresund A/S".into(), ..edit.clone() }).unwrap();
        assert_eq!((renamed.name.as_str(), renamed.slug.as_str()), ("Windshare Øresund A/S", "oresund-windshare"));
        let moved = dateline_storage::repo::organizations::update(&mut conn, a.id, renamed.revision, &OrganizationInput { slug: "windshare".into(), ..edit.clone() }).unwrap();
        assert_eq!(moved.slug, "windshare");

        let bad = OrganizationInput { name: "".into(), website: "ftp://x".into(), ..Default::default() };
        match dateline_storage::repo::organizations::create(&mut conn, &bad) {
            Err(StorageError::Invalid(e)) => {
                assert!(e.for_field("name").is_some() && e.for_field("website").is_some());
            }
            other => panic!("{other:?}"),
        }
    }

    fn categories_form_a_tree_without_loops(db) {
        let mut conn = db.pool.get().unwrap();
        let energy = taxonomy::create_category(&mut conn, &TaxonInput::named("Energy")).unwrap();
        let solar = taxonomy::create_category(&mut conn, &TaxonInput { parent_id: Some(energy.id), ..TaxonInput::named("Solar") }).unwrap();
        assert_eq!(solar.parent_id, Some(energy.id));
        let looped = taxonomy::update_category(&mut conn, energy.id, energy.revision, &TaxonInput { parent_id: Some(solar.id), ..TaxonInput::named("Energy") });
        assert!(matches!(looped, Err(StorageError::Domain(ref e)) if e.field() == Some("parent")), "{looped:?}");
        let orphan = taxonomy::create_category(&mut conn, &TaxonInput { parent_id: Some(9999), ..TaxonInput::named("X") });
        assert!(matches!(orphan, Err(StorageError::Domain(ref e)) if e.field() == Some("parent")), "{orphan:?}");
        // A parent with children cannot be deleted out from under them.
        let refused = taxonomy::delete_category(&mut conn, energy.id);
        assert!(matches!(refused, Err(StorageError::InUse(_))), "{refused:?}");
        let t1 = taxonomy::ensure_tag(&mut conn, "Solar Power").unwrap();
        let t2 = taxonomy::ensure_tag(&mut conn, "solar  power").unwrap();
        assert_eq!(t1.id, t2.id);
        let renamed = taxonomy::update_tag(&mut conn, t1.id, t1.revision, &TaxonInput::named("Solar energy")).unwrap();
        assert_eq!((renamed.slug.as_str(), renamed.revision), ("solar-energy", t1.revision + 1));
        let stale = taxonomy::update_tag(&mut conn, t1.id, t1.revision, &TaxonInput::named("Lost"));
        assert!(matches!(stale, Err(StorageError::Conflict { .. })));
        assert!(taxonomy::region_by_slug(&mut conn, "nowhere").unwrap_err().is_not_found());
    }

    fn a_stale_release_save_is_a_conflict_and_loses_nothing(db) {
        let mut conn = db.pool.get().unwrap();
        let r = draft(&mut conn, "Harbor opens", None);
        assert_eq!((r.revision, r.status), (1, ReleaseStatus::Draft));
        assert_eq!(r.public_id.as_str().len(), 10);
        let mut a = r.content.clone();
        a.headline = "Harbor opens early".into();
        let saved = releases::update_content(&mut conn, r.id, 1, &a, None, RevisionAction::Save, "").unwrap();
        assert_eq!(saved.revision, 2);
        let mut b = r.content.clone();
        b.headline = "Harbor opens late".into();
        let lost = releases::update_content(&mut conn, r.id, 1, &b, None, RevisionAction::Save, "");
        assert!(matches!(lost, Err(StorageError::Conflict { current: 2 })), "{lost:?}");
        let now = releases::get(&mut conn, r.id).unwrap();
        assert_eq!(now.content.headline, "Harbor opens early");
        // Every save left an immutable snapshot.
        assert_eq!(pipeline::revision_content(&mut conn, r.id, 1).unwrap().headline, "Harbor opens");
        assert_eq!(pipeline::revision_content(&mut conn, r.id, 2).unwrap().headline, "Harbor opens early");
    }

    fn releases_keep_their_anatomy(db) {
        let mut conn = db.pool.get().unwrap();
        let org = dateline_storage::repo::organizations::create(&mut conn, &OrganizationInput { name: "Calder Bay".into(), ..Default::default() }).unwrap();
        let cat = taxonomy::create_category(&mut conn, &TaxonInput::named("Energy")).unwrap();
        let reg = taxonomy::create_region(&mut conn, &TaxonInput::named("Europe")).unwrap();
        let mut c = content("Grid battery switched on");
        c.organization_id = Some(org.id);
        c.category_ids = vec![cat.id];
        c.region_ids = vec![reg.id];
        c.tags = vec!["Grid Storage".into(), "batteries".into()];
        c.contacts = vec![Contact { name: "Ana Ribeiro".into(), title: "Press".into(), email: "press@example.com".into(), phone: "+1 555-0100".into() }];
        c.dateline.date = chrono::NaiveDate::from_ymd_opt(2026, 9, 2);
        c.source = dateline_core::SourceLine { label: "A news report from example.com".into(), url: "https://example.com/n/1".into() };
        c.body = "Hello <em>there</em> **world**".into();
        let r = releases::create(&mut conn, &NewRelease { content: c.clone(), author_id: None }).unwrap();
        let back = releases::get_by_public_id(&mut conn, &r.public_id).unwrap();
        assert_eq!(back.content.contacts, c.contacts);
        assert_eq!(back.organization.as_ref().map(|o| o.slug.as_str()), Some("calder-bay"));
        assert_eq!(back.categories[0].slug, "energy");
        assert_eq!(back.regions[0].slug, "europe");
        assert_eq!(back.tags.iter().map(|t| t.slug.as_str()).collect::<Vec<_>>(), ["batteries", "grid-storage"]);
        assert_eq!(back.content.dateline.to_plain(), "LISBON, Portugal, Sept. 2, 2026 /Wire/ --");
        assert_eq!(back.content.source, c.source);
        assert!(back.body_html.as_str().contains("<strong>world</strong>"));
        assert!(back.body_html.as_str().contains("<em>there</em>"));
        // Markup the sanitizer would strip is refused outright, naming the field.
        let mut hostile = c.clone();
        hostile.body = "Hello <script>alert(1)</script>".into();
        match releases::create(&mut conn, &NewRelease { content: hostile, author_id: None }) {
            Err(StorageError::Invalid(e)) => assert!(e.for_field("body").is_some_and(|m| m.contains("<script>"))),
            other => panic!("{other:?}"),
        }
        // The public id is the address: a second release with the same headline gets the same
        // slug, so a slug never hints at releases its writer cannot see.
        let twin = releases::create(&mut conn, &NewRelease { content: c.clone(), author_id: None }).unwrap();
        assert_eq!(twin.slug, r.slug);
        assert_ne!(twin.public_id, r.public_id);

        let mut bad = c.clone();
        bad.organization_id = Some(424242);
        bad.category_ids = vec![424242];
        match releases::create(&mut conn, &NewRelease { content: bad, author_id: None }) {
            Err(StorageError::Invalid(e)) => assert!(e.for_field("organization").is_some() && e.for_field("categories").is_some()),
            other => panic!("{other:?}"),
        }
    }

    fn public_lists_show_only_what_is_live_newest_first(db) {
        let mut conn = db.pool.get().unwrap();
        let author = user(&mut conn, "c@example.com", Role::Contributor);
        let base = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        let mut ids = Vec::new();
        for i in 0..5 {
            let r = draft(&mut conn, &format!("Live {i}"), None);
            publish_at(&mut conn, r.id, base + Duration::hours(i));
            ids.push(r.id);
        }
        let hidden = draft(&mut conn, "Secret draft", Some(author.id));
        let now = Utc::now();
        let first = releases::list_public(&mut conn, now, &PublicFilter::default(), &PageRequest::first(2)).unwrap();
        assert_eq!(first.items.iter().map(|r| r.headline.as_str()).collect::<Vec<_>>(), ["Live 4", "Live 3"]);
        let second = releases::list_public(&mut conn, now, &PublicFilter::default(), &PageRequest::after(first.next.clone(), 2)).unwrap();
        assert_eq!(second.items.iter().map(|r| r.headline.as_str()).collect::<Vec<_>>(), ["Live 2", "Live 1"]);
        let third = releases::list_public(&mut conn, now, &PublicFilter::default(), &PageRequest::after(second.next.clone(), 2)).unwrap();
        assert_eq!(third.items.len(), 1);
        assert!(third.next.is_none());
        // Before the publication times, nothing is public.
        let early = releases::list_public(&mut conn, base - Duration::hours(1), &PublicFilter::default(), &PageRequest::first(10)).unwrap();
        assert!(early.items.is_empty());
        // Staff lists: the author sees their draft, another contributor does not, editors do.
        let mine = releases::list_for_staff(&mut conn, Viewer::Staff { user_id: author.id, role: Role::Contributor }, now, &StaffFilter::default(), &PageRequest::first(50)).unwrap();
        assert!(mine.items.iter().any(|r| r.id == hidden.id));
        let other = releases::list_for_staff(&mut conn, Viewer::Staff { user_id: author.id + 100, role: Role::Contributor }, now, &StaffFilter::default(), &PageRequest::first(50)).unwrap();
        assert!(!other.items.iter().any(|r| r.id == hidden.id));
        assert_eq!(other.items.len(), 5);
        let filtered = releases::list_for_staff(&mut conn, Viewer::Staff { user_id: 1, role: Role::Editor }, now, &StaffFilter { text: Some("secret".into()), ..Default::default() }, &PageRequest::first(50)).unwrap();
        assert_eq!(filtered.items.iter().map(|r| r.id).collect::<Vec<_>>(), vec![hidden.id]);
        let percent = releases::list_for_staff(&mut conn, Viewer::Staff { user_id: 1, role: Role::Editor }, now, &StaffFilter { text: Some("%".into()), ..Default::default() }, &PageRequest::first(50)).unwrap();
        assert!(percent.items.is_empty(), "a literal % must not match everything");
    }

    fn the_pipeline_follows_the_state_machine(db) {
        let mut conn = db.pool.get().unwrap();
        let r = draft(&mut conn, "Machine", None);
        let now = Utc::now();
        let req = |change| Request { release_id: r.id, expected_revision: None, change, actor: Actor::system("test"), now };
        let err = pipeline::apply(&mut conn, &req(Change::Move { transition: Transition::Withdraw, note: "x".into() })).unwrap_err();
        assert!(matches!(err, StorageError::Domain(DomainError::Workflow(Refusal::Transition(_)))), "{err}");
        let past = pipeline::apply(&mut conn, &req(Change::Approve { embargo_at: now - Duration::seconds(5) })).unwrap_err();
        assert!(matches!(past, StorageError::Domain(ref e) if e.field() == Some("embargo_at")), "{past}");
        let submitted = pipeline::apply(&mut conn, &req(Change::Move { transition: Transition::Submit, note: String::new() })).unwrap();
        assert_eq!(submitted.release.status, ReleaseStatus::InReview);
        let stale = pipeline::apply(&mut conn, &Request { expected_revision: Some(1), ..req(Change::Move { transition: Transition::SendBack, note: "fix".into() }) });
        assert!(matches!(stale, Err(StorageError::Conflict { .. })));
        let scheduled = pipeline::apply(&mut conn, &req(Change::Approve { embargo_at: now + Duration::hours(1) })).unwrap();
        assert_eq!(scheduled.release.status, ReleaseStatus::Scheduled);
        assert!(!scheduled.public_changed);
        assert_eq!(jobs::pending(&mut conn).unwrap().len(), 1);
        let before = settings::content_version(&mut conn).unwrap().version;
        let live = pipeline::apply(&mut conn, &req(Change::Publish { at: None })).unwrap();
        assert!(live.public_changed && live.release.published_at.is_some());
        assert_eq!(settings::content_version(&mut conn).unwrap().version, before + 1);
        assert!(jobs::pending(&mut conn).unwrap().is_empty(), "publishing by hand cancels the embargo job");
        let withdraw_without_reason = pipeline::apply(&mut conn, &req(Change::Move { transition: Transition::Withdraw, note: " ".into() }));
        assert!(matches!(withdraw_without_reason, Err(StorageError::Domain(ref e)) if e.field() == Some("reason")));
        let gone = pipeline::apply(&mut conn, &req(Change::Move { transition: Transition::Withdraw, note: "Issued in error.".into() })).unwrap();
        assert_eq!(gone.release.status, ReleaseStatus::Withdrawn);
        assert_eq!(gone.release.withdrawal_reason, "Issued in error.");
        assert_eq!(dateline_storage::repo::audit::count_action(&mut conn, "publish", r.public_id.as_str()).unwrap(), 1);
    }

    fn corrections_are_public_and_dated(db) {
        let mut conn = db.pool.get().unwrap();
        let r = draft(&mut conn, "Turnout figures", None);
        let live = publish_at(&mut conn, r.id, Utc::now() - Duration::hours(2));
        let mut fixed = live.content.clone();
        fixed.body = "Turnout was 11.8%.".into();
        let now = Utc::now();
        let applied = pipeline::apply(&mut conn, &Request {
            release_id: r.id,
            expected_revision: Some(live.revision),
            change: Change::Correct { content: Box::new(fixed), note: "An earlier version gave the wrong turnout.".into() },
            actor: Actor::system("test"),
            now,
        }).unwrap();
        assert_eq!(applied.release.status, ReleaseStatus::Published);
        assert!(applied.release.corrected_at.is_some());
        assert_eq!(applied.release.published_at, live.published_at, "the first publication time stays");
        let list = releases::corrections(&mut conn, r.id).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].note, "An earlier version gave the wrong turnout.");
        let no_note = pipeline::apply(&mut conn, &Request {
            release_id: r.id, expected_revision: None,
            change: Change::Correct { content: Box::new(live.content.clone()), note: "".into() },
            actor: Actor::system("test"), now,
        });
        assert!(matches!(no_note, Err(StorageError::Domain(ref e)) if e.field() == Some("note")));
    }

    fn due_jobs_run_once(db) {
        let mut conn = db.pool.get().unwrap();
        let r = draft(&mut conn, "Embargoed", None);
        let t0 = Utc::now();
        pipeline::apply(&mut conn, &Request { release_id: r.id, expected_revision: None, change: Change::Approve { embargo_at: t0 + Duration::seconds(30) }, actor: Actor::system("t"), now: t0 }).unwrap();
        let work = |conn: &mut DbConnection, job: &jobs::Job| -> dateline_storage::Result<()> {
            let id = job.release_id.unwrap();
            pipeline::apply(conn, &Request { release_id: id, expected_revision: None, change: Change::Move { transition: Transition::LiftEmbargo, note: String::new() }, actor: Actor::system("scheduler"), now: job.run_at.max(t0 + Duration::seconds(31)) })?;
            Ok(())
        };
        // Not yet due.
        assert_eq!(jobs::run_one_due(&mut conn, t0, work).unwrap(), None);
        let later = t0 + Duration::seconds(31);
        assert!(matches!(jobs::run_one_due(&mut conn, later, work).unwrap(), Some(jobs::Ran::Done(_))));
        assert_eq!(jobs::run_one_due(&mut conn, later, work).unwrap(), None);
        assert_eq!(releases::get(&mut conn, r.id).unwrap().status, ReleaseStatus::Published);
        assert_eq!(dateline_storage::repo::audit::count_action(&mut conn, "lift_embargo", r.public_id.as_str()).unwrap(), 1);
    }

    fn search_finds_only_public_releases(db) {
        let mut conn = db.pool.get().unwrap();
        let org = dateline_storage::repo::organizations::create(&mut conn, &OrganizationInput { name: "Helixmoor Therapeutics".into(), ..Default::default() }).unwrap();
        let mut c = content("Trial results for the heart drug");
        c.organization_id = Some(org.id);
        c.body = "The cardiology trial enrolled 412 patients across nine hospitals.".into();
        let live = releases::create(&mut conn, &NewRelease { content: c, author_id: None }).unwrap();
        publish_at(&mut conn, live.id, Utc::now() - Duration::hours(1));
        let mut secret = content("Unannounced merger");
        secret.body = "cardiology EMBCANARY merger".into();
        releases::create(&mut conn, &NewRelease { content: secret, author_id: None }).unwrap();

        let q = |text: &str| search::SearchQuery { terms: search::parse_terms(text), page: 1, per_page: 10, ..Default::default() };
        let found = search::search(&mut conn, Utc::now(), &q("cardiology")).unwrap();
        assert_eq!(found.total, 1);
        assert_eq!(found.hits[0].release.id, live.id);
        assert!(found.hits[0].snippet.iter().any(|f| f.highlighted && f.text.to_lowercase().contains("cardiology")), "{:?}", found.hits[0].snippet);
        assert_eq!(search::search(&mut conn, Utc::now(), &q("embcanary")).unwrap().total, 0);
        assert_eq!(search::search(&mut conn, Utc::now(), &q("helixmoor")).unwrap().total, 1, "organization names are searchable");
        // A renamed organization is found by its new name at once, and no longer by the old.
        let renamed = OrganizationInput { name: "Quillfen Biologics".into(), ..Default::default() };
        dateline_storage::repo::organizations::update(&mut conn, org.id, org.revision, &renamed).unwrap();
        assert_eq!(search::search(&mut conn, Utc::now(), &q("quillfen")).unwrap().total, 1);
        assert_eq!(search::search(&mut conn, Utc::now(), &q("helixmoor")).unwrap().total, 0);
        assert_eq!(search::search(&mut conn, Utc::now(), &q("\"nine hospitals\"")).unwrap().total, 1);
        assert_eq!(search::search(&mut conn, Utc::now(), &q("\"hospitals nine\"")).unwrap().total, 0);
        for hostile in ["\"", "a OR", "NEAR(", "*", "'; DROP TABLE releases; --", &"x".repeat(500), "ü\"ß\"", "-cardiology"] {
            search::search(&mut conn, Utc::now(), &q(hostile)).unwrap();
        }
        // Withdrawing removes it from the index in the same transaction.
        pipeline::apply(&mut conn, &Request { release_id: live.id, expected_revision: None, change: Change::Move { transition: Transition::Withdraw, note: "Withdrawn.".into() }, actor: Actor::system("t"), now: Utc::now() }).unwrap();
        assert_eq!(search::search(&mut conn, Utc::now(), &q("cardiology")).unwrap().total, 0);
    }
}
