//! Bulk loading of finished releases, for the demo scale fixture and the benchmark.
//!
//! The normal path (create, save, then publish through the pipeline) costs a few dozen
//! statements and several reloads per release; loading 100,000 that way takes many minutes. Here
//! each batch is one transaction that writes exactly the rows the normal path leaves behind for
//! a release that was published (and perhaps corrected or withdrawn) or approved under an
//! embargo: the release row, its revisions, its contacts, taxonomy links, correction, search
//! index row or scheduler job. Webhooks and audit rows are not written: nothing happened that
//! anyone subscribed to.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dateline_core::release::RevisionAction;
use dateline_core::slug::slugify_or;
use dateline_core::{PublicId, ReleaseContent, ReleaseStatus};
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError};
use crate::repo::relations::{self, TagIds};
use crate::repo::releases::{ReleaseRow, content_columns, fresh_public_ids, pack_body};
use crate::repo::revisions::{self, NewRevision, Packed, pack_history};
use crate::repo::{jobs, search};
use crate::schema::{corrections, organizations, releases};
use crate::time::{now, to_db};

/// A release to load. `content` must already be normalised and validated.
#[derive(Debug, Clone)]
pub struct SeedRelease {
    pub content: ReleaseContent,
    /// Texts saved before publication, oldest first: each becomes a draft revision.
    pub drafts: Vec<ReleaseContent>,
    pub published_at: DateTime<Utc>,
    /// A public correction note and its time, for releases corrected after publication.
    pub correction: Option<(DateTime<Utc>, String)>,
    pub fate: Fate,
}

/// What became of a seeded release once its text was final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Published at `published_at`.
    Published,
    /// Approved under an embargo that lifts at this (future) time; the scheduler publishes it
    /// then, as it would an editor's.
    Scheduled(DateTime<Utc>),
    /// Published, then withdrawn at this time for this reason.
    Withdrawn(DateTime<Utc>, String),
}

/// A [`SeedRelease`] with its compression done: its body and every revision's snapshot packed.
/// Packing is most of the work of loading that is not the database's, so [`prepare`] runs
/// where the caller likes (another thread) while [`insert_published`] writes.
#[derive(Debug)]
pub struct Prepared {
    item: SeedRelease,
    body: Vec<u8>,
    history: Vec<Packed>,
}

/// Packs a release's body and the snapshots of the revisions [`insert_published`] will record
/// for it, in that order: the drafts, the publication, then the correction and the withdrawal
/// if it has them.
pub fn prepare(item: SeedRelease) -> Result<Prepared> {
    let json = |c: &ReleaseContent| {
        serde_json::to_string(c).map_err(|e| StorageError::Corrupt(e.to_string()))
    };
    let drafts = item.drafts.iter().map(json).collect::<Result<Vec<_>>>()?;
    let last = json(&item.content)?;
    let mut snapshots: Vec<&str> = drafts.iter().map(String::as_str).collect();
    snapshots.push(&last);
    if item.correction.is_some() {
        snapshots.push(&last);
    }
    if matches!(item.fate, Fate::Withdrawn(..)) {
        snapshots.push(&last);
    }
    Ok(Prepared {
        body: pack_body(&item.content.body)?,
        history: pack_history(&snapshots)?,
        item,
    })
}

/// Writes `batch` in one transaction and returns how many releases it wrote.
pub fn insert_published(
    conn: &mut DbConnection,
    batch: &[Prepared],
    author_id: Option<i64>,
) -> Result<usize> {
    write_tx(conn, |conn| {
        let ids = fresh_public_ids(conn, batch.len())?;
        let org_names = organization_names(conn)?;
        let mut tag_ids = TagIds::default();
        for (prepared, public_id) in batch.iter().zip(&ids) {
            let item = &prepared.item;
            let row = insert_row(conn, prepared, public_id, author_id)?;
            let c = &item.content;
            record_history(conn, &row, prepared, author_id)?;
            relations::insert(conn, row.id, c, &mut tag_ids)?;
            match &item.fate {
                Fate::Published => {
                    let org = c
                        .organization_id
                        .and_then(|id| org_names.get(&id).cloned())
                        .unwrap_or_default();
                    search::insert_row(conn, row.id, c, &org)?;
                }
                Fate::Scheduled(at) => jobs::schedule_publish(conn, row.id, *at, now())?,
                Fate::Withdrawn(..) => {}
            }
        }
        Ok(batch.len())
    })
}

/// The revisions the normal path leaves: the drafts (created, then saved), the publication
/// with the published text, and the correction if there is one, each with the snapshot
/// [`prepare`] packed for it.
fn record_history(
    conn: &mut DbConnection,
    row: &ReleaseRow,
    prepared: &Prepared,
    author_id: Option<i64>,
) -> Result<()> {
    let item = &prepared.item;
    let mut packs = prepared.history.iter();
    let mut record = |conn: &mut DbConnection, at: &ReleaseRow, action: RevisionAction, note| {
        let packed = packs
            .next()
            .ok_or_else(|| StorageError::Corrupt("a revision was not prepared".into()))?;
        let new = NewRevision {
            release_id: at.id,
            revision: at.revision,
            slug: &at.slug,
            status: &at.status,
            action: action.as_str(),
            note,
            author_id,
            created_at: at.updated_at,
        };
        revisions::insert_packed(conn, &new, packed)
    };
    let published = to_db(item.published_at);
    let drafted = item.drafts.len() as i64;
    let mut at = row.clone();
    at.status = ReleaseStatus::Draft.as_str().to_owned();
    for i in 0..drafted {
        at.revision = i + 1;
        at.updated_at = published - chrono::Duration::hours(drafted - i);
        let action = if i == 0 {
            RevisionAction::Create
        } else {
            RevisionAction::Save
        };
        record(conn, &at, action, "")?;
    }
    at.revision = drafted + 1;
    at.updated_at = match item.fate {
        Fate::Scheduled(_) => row.created_at,
        _ => published,
    };
    at.status = match item.fate {
        Fate::Scheduled(_) => ReleaseStatus::Scheduled,
        _ => ReleaseStatus::Published,
    }
    .as_str()
    .to_owned();
    let first = if drafted == 0 {
        RevisionAction::Create
    } else {
        RevisionAction::Transition
    };
    record(conn, &at, first, "")?;
    if let Some((when, note)) = &item.correction {
        at.revision += 1;
        at.updated_at = to_db(*when);
        record(conn, &at, RevisionAction::Correct, note)?;
        insert_correction(conn, &at, *when, note, author_id)?;
    }
    if let Fate::Withdrawn(when, reason) = &item.fate {
        at.status = ReleaseStatus::Withdrawn.as_str().to_owned();
        at.revision += 1;
        at.updated_at = to_db(*when);
        record(conn, &at, RevisionAction::Transition, reason)?;
    }
    Ok(())
}

fn insert_correction(
    conn: &mut DbConnection,
    row: &ReleaseRow,
    at: DateTime<Utc>,
    note: &str,
    author_id: Option<i64>,
) -> Result<()> {
    diesel::insert_into(corrections::table)
        .values((
            corrections::release_id.eq(row.id),
            corrections::note.eq(note),
            corrections::revision.eq(row.revision),
            corrections::editor_id.eq(author_id),
            corrections::corrected_at.eq(to_db(at)),
        ))
        .execute(conn)?;
    Ok(())
}

fn insert_row(
    conn: &mut DbConnection,
    prepared: &Prepared,
    public_id: &PublicId,
    author_id: Option<i64>,
) -> Result<ReleaseRow> {
    let item = &prepared.item;
    let c = &item.content;
    let drafted = item.drafts.len() as i64;
    let published = to_db(item.published_at);
    let corrected = item.correction.as_ref().map(|(at, _)| to_db(*at));
    let (status, embargo_at, withdrawn_at, reason) = match &item.fate {
        Fate::Published => (ReleaseStatus::Published, None, None, ""),
        Fate::Scheduled(at) => (ReleaseStatus::Scheduled, Some(to_db(*at)), None, ""),
        Fate::Withdrawn(at, reason) => (
            ReleaseStatus::Withdrawn,
            None,
            Some(to_db(*at)),
            reason.as_str(),
        ),
    };
    let scheduled = status == ReleaseStatus::Scheduled;
    let created = published - chrono::Duration::hours(drafted);
    let updated = withdrawn_at
        .or(corrected)
        .unwrap_or(if scheduled { created } else { published });
    let revisions =
        drafted + 1 + i64::from(corrected.is_some()) + i64::from(withdrawn_at.is_some());
    // Two tuples, as diesel's insertable tuples are bounded in length.
    let row = diesel::insert_into(releases::table)
        .values((
            (
                releases::public_id.eq(public_id.as_str()),
                releases::slug.eq(slugify_or(&c.headline, "release")),
                content_columns!(c, prepared.body.as_slice()),
            ),
            (
                releases::status.eq(status.as_str()),
                releases::embargo_at.eq(embargo_at),
                releases::published_at.eq((!scheduled).then_some(published)),
                releases::corrected_at.eq(corrected),
                releases::withdrawn_at.eq(withdrawn_at),
                releases::withdrawal_reason.eq(reason),
                releases::author_id.eq(author_id),
                releases::created_at.eq(created),
                releases::updated_at.eq(updated),
                releases::revision.eq(revisions),
            ),
        ))
        .get_result::<ReleaseRow>(conn)?;
    Ok(row)
}

fn organization_names(conn: &mut DbConnection) -> Result<HashMap<i64, String>> {
    Ok(organizations::table
        .select((organizations::id, organizations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// Refreshes the planner's statistics after a bulk load, so the first queries on the new rows
/// use the indexes rather than plans made for an empty table.
pub fn refresh_statistics(conn: &mut DbConnection) -> Result<()> {
    match conn {
        DbConnection::Sqlite(c) => diesel::sql_query("ANALYZE").execute(c)?,
        DbConnection::Pg(c) => diesel::sql_query("ANALYZE").execute(c)?,
    };
    Ok(())
}

/// Refreshes PostgreSQL's statistics for the release tables partway through a long load. Without
/// it the planner keeps believing `releases` holds the few rows it held at the start and checks
/// each batch's new public ids by reading the whole table, which made seeding slow down as it
/// went. SQLite looks those ids up on the unique index whatever it knows of sizes.
pub fn refresh_growing_statistics(conn: &mut DbConnection) -> Result<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query("ANALYZE releases, release_revisions").execute(c)?;
    }
    Ok(())
}
