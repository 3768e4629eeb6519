#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Revision snapshots kept packed, on both backends: every revision reads back as it was saved,
//! rows written before packing are converted in place with nothing changed, and a damaged
//! revision is reported by number without taking the others down.

use dateline_core::{ReleaseContent, Role};
use dateline_storage::repo::releases::{self, NewRelease, RevisionAction};
use dateline_storage::repo::revisions;
use dateline_storage::repo::users::{self, NewUser};
use dateline_storage::schema::release_revisions as rr;
use dateline_storage::{DbConnection, StorageError, backend_tests};
use diesel::prelude::*;

fn body(version: usize) -> String {
    // About 700 words, with each version changing one sentence, as an editor's pass does.
    (0..40)
        .map(|p| {
            let edit = if p == version % 40 { format!(" Revised in pass {version}.") } else { String::new() };
            format!("Paragraph {p} reports that the harbour authority expanded its container terminal, adding cranes and rail sidings for the coming season.{edit}")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn content(version: usize) -> ReleaseContent {
    ReleaseContent {
        headline: format!("Harbour expands, version {version}"),
        language: "en".into(),
        body: body(version),
        ..Default::default()
    }
}

/// A release with `saves` saves after its creation; returns its id and every text in order.
fn history(conn: &mut DbConnection, saves: usize) -> (i64, Vec<ReleaseContent>) {
    let editor = users::create(
        conn,
        &NewUser {
            email: format!("ed{saves}@example.com"),
            display_name: "Ed".into(),
            role: Role::Editor,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        },
    )
    .unwrap();
    let mut release = releases::create(
        conn,
        &NewRelease {
            content: content(0),
            author_id: Some(editor.id),
        },
    )
    .unwrap();
    let mut texts = vec![release.content.clone()];
    for v in 1..=saves {
        release = releases::update_content(
            conn,
            release.id,
            release.revision,
            &content(v),
            Some(editor.id),
            RevisionAction::Save,
            "",
        )
        .unwrap();
        texts.push(release.content.clone());
    }
    (release.id, texts)
}

fn read_all(conn: &mut DbConnection, id: i64, count: usize) -> Vec<ReleaseContent> {
    (1..=count as i64)
        .map(|r| revisions::get(conn, id, r).unwrap().1)
        .collect()
}

/// Rewrites the release's revisions the way versions before packing stored them: plain JSON.
fn unpack_into_old_form(conn: &mut DbConnection, id: i64, texts: &[ReleaseContent]) {
    for (i, text) in texts.iter().enumerate() {
        diesel::update(
            rr::table
                .filter(rr::release_id.eq(id))
                .filter(rr::revision.eq(i as i64 + 1)),
        )
        .set((
            rr::snapshot.eq(serde_json::to_string(text).unwrap()),
            rr::packed.eq(None::<Vec<u8>>),
            rr::packed_base.eq(None::<i64>),
        ))
        .execute(conn)
        .unwrap();
    }
}

fn stored_bytes(conn: &mut DbConnection, id: i64) -> usize {
    rr::table
        .filter(rr::release_id.eq(id))
        .select((rr::snapshot, rr::packed))
        .load::<(String, Option<Vec<u8>>)>(conn)
        .unwrap()
        .iter()
        .map(|(s, p)| s.len() + p.as_ref().map_or(0, Vec::len))
        .sum()
}

backend_tests! {
    // Twenty saves cross two whole snapshots and several chains of differences: each revision
    // still reads back exactly as it was saved, and all twenty-one together take less room than
    // one plain copy of the text.
    fn every_revision_reads_back_as_saved_in_a_fraction_of_the_space(db) {
        let mut conn = db.pool.get().unwrap();
        let (id, texts) = history(&mut conn, 20);
        assert_eq!(read_all(&mut conn, id, texts.len()), texts);
        let one_copy = serde_json::to_string(&texts[0]).unwrap().len();
        let stored = stored_bytes(&mut conn, id);
        assert!(stored < one_copy, "21 revisions take {stored} bytes; one plain copy is {one_copy}");
        let bases: Vec<Option<i64>> = rr::table.filter(rr::release_id.eq(id)).order(rr::revision.asc()).select(rr::packed_base).load(&mut conn).unwrap();
        assert_eq!(bases.iter().filter(|b| b.is_none()).count(), 3, "a whole snapshot every 8 revisions: {bases:?}");
    }

    // Rows written by an older version (plain JSON) read as they are, and the conversion packs
    // them in place, in batches, resumably, without changing what any revision says.
    fn the_conversion_packs_old_rows_and_keeps_every_text(db) {
        let mut conn = db.pool.get().unwrap();
        let (a, texts_a) = history(&mut conn, 10);
        let (b, texts_b) = history(&mut conn, 3);
        unpack_into_old_form(&mut conn, a, &texts_a);
        unpack_into_old_form(&mut conn, b, &texts_b);
        let plain = stored_bytes(&mut conn, a);
        assert_eq!(revisions::unpacked_count(&mut conn).unwrap(), 15);
        assert_eq!(read_all(&mut conn, a, texts_a.len()), texts_a, "old rows read before conversion");
        // A save after the upgrade but before the conversion builds on a plain row.
        let release = releases::get(&mut conn, b).unwrap();
        let after = releases::update_content(&mut conn, b, release.revision, &content(9), None, RevisionAction::Save, "").unwrap();
        let mut texts_b = texts_b;
        texts_b.push(after.content);

        // One release per batch, so the conversion is seen to resume where it stopped.
        assert_eq!(revisions::pack_pending(&mut conn, 1).unwrap(), 11);
        assert_eq!(revisions::unpacked_count(&mut conn).unwrap(), 4);
        assert_eq!(revisions::pack_pending(&mut conn, 1).unwrap(), 4);
        assert_eq!(revisions::pack_pending(&mut conn, 1).unwrap(), 0);
        assert_eq!(revisions::unpacked_count(&mut conn).unwrap(), 0);
        assert_eq!(read_all(&mut conn, a, texts_a.len()), texts_a);
        assert_eq!(read_all(&mut conn, b, texts_b.len()), texts_b);
        let packed = stored_bytes(&mut conn, a);
        assert!(packed * 5 < plain, "{packed} bytes packed, {plain} plain");
    }

    // A damaged revision is an error naming the release and the revision; the revisions before
    // it still read, and the next save is stored whole rather than refused.
    fn a_damaged_revision_is_named_and_spares_the_others(db) {
        let mut conn = db.pool.get().unwrap();
        let (id, texts) = history(&mut conn, 4);
        let mut packed: Vec<u8> = rr::table.filter(rr::release_id.eq(id)).filter(rr::revision.eq(3)).select(rr::packed).first::<Option<Vec<u8>>>(&mut conn).unwrap().unwrap();
        let middle = packed.len() / 2;
        packed[middle] ^= 0xff;
        diesel::update(rr::table.filter(rr::release_id.eq(id)).filter(rr::revision.eq(3))).set(rr::packed.eq(Some(packed))).execute(&mut conn).unwrap();

        for r in [3, 4, 5] {
            match revisions::get(&mut conn, id, r) {
                Err(StorageError::DamagedRevision { release_id, revision, .. }) => assert_eq!((release_id, revision), (id, 3)),
                other => panic!("revision {r}: {other:?}"),
            }
        }
        assert_eq!(read_all(&mut conn, id, 2), texts[..2]);
        assert_eq!(revisions::list(&mut conn, id).unwrap().len(), 5, "the history still lists every revision");
        let release = releases::get(&mut conn, id).unwrap();
        let saved = releases::update_content(&mut conn, id, release.revision, &content(7), None, RevisionAction::Save, "").unwrap();
        assert_eq!(revisions::get(&mut conn, id, saved.revision).unwrap().1, saved.content);
    }
}
