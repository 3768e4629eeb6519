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

use chrono::{DateTime, NaiveDateTime, Utc};
use dateline_core::release::RevisionAction;
use dateline_core::slug::slugify_or;
use dateline_core::{PublicId, ReleaseContent, ReleaseStatus};
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError};
use crate::repo::relations::{Links, TagIds};
use crate::repo::releases::{ReleaseRow, content_columns, fresh_public_ids, pack_body};
use crate::repo::revisions::{NewRevision, Packed, PackedRevisions, pack_history};
pub use crate::repo::search_terms::Lexicon;
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

/// Writes `batch` in one transaction and returns how many releases it wrote: the release rows,
/// then their revisions, links and index entries, each table a few multi-row statements.
pub fn insert_published(
    conn: &mut DbConnection,
    batch: &[Prepared],
    author_id: Option<i64>,
    lexicon: &mut Lexicon,
) -> Result<usize> {
    write_tx(conn, |conn| {
        if let DbConnection::Pg(c) = conn {
            // Our connections plan every statement for its values (see `connection`), and so
            // would each foreign-key check the database runs for every row written: a third
            // of a load's time went on planning them. Until this transaction ends they keep
            // the plan they are first given.
            diesel::sql_query("SET LOCAL plan_cache_mode = auto").execute(c)?;
        }
        let ids = fresh_public_ids(conn, batch.len())?;
        let org_names = organization_names(conn)?;
        let mut tag_ids = TagIds::default();
        let mut links = Links::default();
        let mut history = PackedRevisions::default();
        let mut indexed = Vec::new();
        let rows = insert_rows(conn, batch, &ids, author_id)?;
        for (prepared, row) in batch.iter().zip(rows) {
            let item = &prepared.item;
            let c = &item.content;
            record_history(conn, &row, prepared, author_id, &mut history)?;
            links.add(conn, row.id, c, &mut tag_ids)?;
            match &item.fate {
                Fate::Published => {
                    let org = c
                        .organization_id
                        .and_then(|id| org_names.get(&id))
                        .map_or("", String::as_str);
                    indexed.push((row.id, c, org));
                }
                Fate::Scheduled(at) => jobs::schedule_publish(conn, row.id, *at, now())?,
                Fate::Withdrawn(..) => {}
            }
        }
        history.write(conn)?;
        links.write(conn)?;
        for rows in indexed.chunks(INDEXED_PER_STATEMENT) {
            search::insert_rows(conn, rows, Some(&mut *lexicon))?;
        }
        Ok(batch.len())
    })
}

/// Releases indexed per statement on PostgreSQL, whose arrays carry each one's whole text.
const INDEXED_PER_STATEMENT: usize = 100;

/// The revisions the normal path leaves: the drafts (created, then saved), the publication
/// with the published text, and the correction if there is one, each with the snapshot
/// [`prepare`] packed for it, gathered into `history`.
fn record_history<'a>(
    conn: &mut DbConnection,
    row: &ReleaseRow,
    prepared: &'a Prepared,
    author_id: Option<i64>,
    history: &mut PackedRevisions<'a>,
) -> Result<()> {
    let item = &prepared.item;
    let mut packs = prepared.history.iter();
    let mut record = |at: &ReleaseRow, action: RevisionAction, note: &str| {
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
        history.add(&new, packed);
        Ok::<(), StorageError>(())
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
        record(&at, action, "")?;
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
    record(&at, first, "")?;
    if let Some((when, note)) = &item.correction {
        at.revision += 1;
        at.updated_at = to_db(*when);
        record(&at, RevisionAction::Correct, note)?;
        insert_correction(conn, &at, *when, note, author_id)?;
    }
    if let Fate::Withdrawn(when, reason) = &item.fate {
        at.status = ReleaseStatus::Withdrawn.as_str().to_owned();
        at.revision += 1;
        at.updated_at = to_db(*when);
        record(&at, RevisionAction::Transition, reason)?;
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

/// Inserts the release rows of `batch` (each under its public id), a hundred per statement,
/// and returns them in the batch's order.
fn insert_rows(
    conn: &mut DbConnection,
    batch: &[Prepared],
    public_ids: &[PublicId],
    author_id: Option<i64>,
) -> Result<Vec<ReleaseRow>> {
    let mut written: HashMap<String, ReleaseRow> = HashMap::with_capacity(batch.len());
    let items: Vec<(&Prepared, &PublicId, RowTimes)> = batch
        .iter()
        .zip(public_ids)
        .map(|(p, id)| (p, id, RowTimes::of(&p.item)))
        .collect();
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        // Two tuples, as diesel's insertable tuples are bounded in length.
        let values: Vec<_> = chunk
            .iter()
            .map(|(prepared, public_id, t)| {
                let c = &prepared.item.content;
                (
                    (
                        releases::public_id.eq(public_id.as_str()),
                        releases::slug.eq(slugify_or(&c.headline, "release")),
                        content_columns!(c, prepared.body.as_slice()),
                    ),
                    (
                        releases::status.eq(t.status.as_str()),
                        releases::embargo_at.eq(t.embargo_at),
                        releases::published_at.eq(t.published_at),
                        releases::corrected_at.eq(t.corrected_at),
                        releases::withdrawn_at.eq(t.withdrawn_at),
                        releases::withdrawal_reason.eq(t.reason),
                        releases::author_id.eq(author_id),
                        releases::created_at.eq(t.created_at),
                        releases::updated_at.eq(t.updated_at),
                        releases::revision.eq(t.revisions),
                    ),
                )
            })
            .collect();
        // Multi-row inserts go through each backend's own connection (see `relations`).
        let rows = match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(releases::table)
                .values(values)
                .get_results::<ReleaseRow>(c)?,
            DbConnection::Pg(c) => diesel::insert_into(releases::table)
                .values(values)
                .get_results::<ReleaseRow>(c)?,
        };
        written.extend(rows.into_iter().map(|r| (r.public_id.clone(), r)));
    }
    public_ids
        .iter()
        .map(|id| {
            written
                .remove(id.as_str())
                .ok_or_else(|| StorageError::Corrupt(format!("release {id} was not written")))
        })
        .collect()
}

/// Release rows per statement: two dozen values each.
const ROWS_PER_STATEMENT: usize = 100;

/// The status and times a seeded release's row records, from what became of it.
struct RowTimes<'a> {
    status: ReleaseStatus,
    embargo_at: Option<NaiveDateTime>,
    published_at: Option<NaiveDateTime>,
    corrected_at: Option<NaiveDateTime>,
    withdrawn_at: Option<NaiveDateTime>,
    reason: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    revisions: i64,
}

impl<'a> RowTimes<'a> {
    fn of(item: &'a SeedRelease) -> Self {
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
        let created_at = published - chrono::Duration::hours(drafted);
        RowTimes {
            status,
            embargo_at,
            published_at: (!scheduled).then_some(published),
            corrected_at: corrected,
            withdrawn_at,
            reason,
            created_at,
            updated_at: withdrawn_at.or(corrected).unwrap_or(if scheduled {
                created_at
            } else {
                published
            }),
            revisions: drafted
                + 1
                + i64::from(corrected.is_some())
                + i64::from(withdrawn_at.is_some()),
        }
    }
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

/// Settles the tables after a bulk load that ran outside any transaction: statistics refreshed
/// as by [`refresh_statistics`], and on PostgreSQL a vacuum as well. A vacuum marks the new
/// rows visible to everyone, so queries answered from an index alone (where a sitemap page
/// starts) stop reading every row they pass; autovacuum would get there later, or, where it
/// is off, never.
pub fn settle_after_load(conn: &mut DbConnection) -> Result<()> {
    match conn {
        DbConnection::Sqlite(c) => diesel::sql_query("ANALYZE").execute(c)?,
        DbConnection::Pg(c) => {
            diesel::sql_query(
                "VACUUM (ANALYZE) releases, release_revisions, release_search, release_categories, release_regions, release_tags, release_contacts",
            )
            .execute(c)?;
            // The rest (tags, corrections, jobs) only need their statistics.
            diesel::sql_query("ANALYZE").execute(c)?
        }
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
