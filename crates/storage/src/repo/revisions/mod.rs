//! A release's history: immutable revisions with their content snapshots, and review comments.

mod snapshots;

pub(crate) use snapshots::{KnownBase, Packed, Stored, expand_in_order, pack_history};
pub use snapshots::{pack_pending, unpacked_count};

use chrono::{DateTime, NaiveDateTime, Utc};
use dateline_core::ReleaseContent;
use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::{Result, StorageError};
use crate::schema::{release_revisions, review_comments, users};
use crate::time::from_db;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub revision: i64,
    pub slug: String,
    pub status: String,
    pub action: String,
    pub note: String,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

type RevisionRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    NaiveDateTime,
);

fn to_revision(
    (revision, slug, status, action, note, author_id, author_name, at): RevisionRow,
) -> Revision {
    Revision {
        revision,
        slug,
        status,
        action,
        note,
        author_id,
        author_name,
        created_at: from_db(at),
    }
}

/// The revisions of `$release_id` with their authors' names joined in, and the columns of a
/// [`RevisionRow`]: the list and a single revision read the same thing.
macro_rules! revisions_of {
    ($release_id:expr) => {
        release_revisions::table
            .left_join(users::table.on(users::id.nullable().eq(release_revisions::author_id)))
            .filter(release_revisions::release_id.eq($release_id))
    };
}
macro_rules! revision_columns {
    () => {
        (
            release_revisions::revision,
            release_revisions::slug,
            release_revisions::status,
            release_revisions::action,
            release_revisions::note,
            release_revisions::author_id,
            users::display_name.nullable(),
            release_revisions::created_at,
        )
    };
}

/// Newest first.
pub fn list(conn: &mut DbConnection, release_id: i64) -> Result<Vec<Revision>> {
    Ok(revisions_of!(release_id)
        .order(release_revisions::revision.desc())
        .select(revision_columns!())
        .load::<RevisionRow>(conn)?
        .into_iter()
        .map(to_revision)
        .collect())
}

/// The revision stored just before `revision`, if any. Numbers are not contiguous (an autosave
/// replaces the one before it), so "the one before" is looked up, never computed.
pub fn previous(conn: &mut DbConnection, release_id: i64, revision: i64) -> Result<Option<i64>> {
    Ok(release_revisions::table
        .filter(release_revisions::release_id.eq(release_id))
        .filter(release_revisions::revision.lt(revision))
        .select(diesel::dsl::max(release_revisions::revision))
        .first::<Option<i64>>(conn)?)
}

/// One revision with its content.
pub fn get(
    conn: &mut DbConnection,
    release_id: i64,
    revision: i64,
) -> Result<(Revision, ReleaseContent)> {
    let row = revisions_of!(release_id)
        .filter(release_revisions::revision.eq(revision))
        .select(revision_columns!())
        .first::<RevisionRow>(conn)
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let (json, _) = snapshots::read(conn, release_id, revision)?;
    let content = serde_json::from_slice(&json).map_err(|e| StorageError::DamagedRevision {
        release_id,
        revision,
        reason: e.to_string(),
    })?;
    Ok((to_revision(row), content))
}

/// A revision to store, all but its snapshot.
pub(crate) struct NewRevision<'a> {
    pub release_id: i64,
    pub revision: i64,
    pub slug: &'a str,
    pub status: &'a str,
    pub action: &'a str,
    pub note: &'a str,
    pub author_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// Stores a revision after the ones the release has, its `snapshot` (JSON) packed against the
/// one before, and returns it as the base the next revision may build on. `base` is the revision
/// just before, when the caller wrote it itself (see [`KnownBase`]).
pub(crate) fn insert(
    conn: &mut DbConnection,
    new: &NewRevision<'_>,
    snapshot: &str,
    base: Option<&KnownBase>,
) -> Result<KnownBase> {
    let packed = snapshots::pack_new(conn, new.release_id, new.revision, snapshot, base)?;
    insert_packed(conn, new, &packed)?;
    Ok(KnownBase {
        revision: new.revision,
        snapshot: snapshot.to_owned(),
        depth: packed.depth,
    })
}

/// Stores a revision whose snapshot was packed beforehand, as bulk loading does off the
/// writing thread (see [`pack_history`]).
pub(crate) fn insert_packed(
    conn: &mut DbConnection,
    new: &NewRevision<'_>,
    packed: &Packed,
) -> Result<()> {
    diesel::insert_into(release_revisions::table)
        .values((
            release_revisions::release_id.eq(new.release_id),
            release_revisions::revision.eq(new.revision),
            release_revisions::snapshot.eq(""),
            release_revisions::packed.eq(Some(&packed.frame)),
            release_revisions::packed_base.eq(packed.base),
            release_revisions::slug.eq(new.slug),
            release_revisions::status.eq(new.status),
            release_revisions::action.eq(new.action),
            release_revisions::note.eq(new.note),
            release_revisions::author_id.eq(new.author_id),
            release_revisions::created_at.eq(new.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Revisions whose snapshots were packed beforehand, gathered so bulk loading writes a batch's
/// few thousand in a handful of statements.
#[derive(Default)]
pub(crate) struct PackedRevisions<'a> {
    rows: Vec<PackedRow<'a>>,
}

type PackedRow<'a> = (
    i64,
    i64,
    &'a [u8],
    Option<i64>,
    String,
    String,
    String,
    String,
    Option<i64>,
    NaiveDateTime,
);

/// Rows per statement: eleven values each, well under both backends' limits.
const ROWS_PER_STATEMENT: usize = 500;

impl<'a> PackedRevisions<'a> {
    pub(crate) fn add(&mut self, new: &NewRevision<'_>, packed: &'a Packed) {
        self.rows.push((
            new.release_id,
            new.revision,
            &packed.frame,
            packed.base,
            new.slug.to_owned(),
            new.status.to_owned(),
            new.action.to_owned(),
            new.note.to_owned(),
            new.author_id,
            new.created_at,
        ));
    }

    pub(crate) fn write(self, conn: &mut DbConnection) -> Result<()> {
        for chunk in self.rows.chunks(ROWS_PER_STATEMENT) {
            let values: Vec<_> = chunk
                .iter()
                .map(|r| {
                    (
                        release_revisions::release_id.eq(r.0),
                        release_revisions::revision.eq(r.1),
                        release_revisions::snapshot.eq(""),
                        release_revisions::packed.eq(Some(r.2)),
                        release_revisions::packed_base.eq(r.3),
                        release_revisions::slug.eq(&r.4),
                        release_revisions::status.eq(&r.5),
                        release_revisions::action.eq(&r.6),
                        release_revisions::note.eq(&r.7),
                        release_revisions::author_id.eq(r.8),
                        release_revisions::created_at.eq(r.9),
                    )
                })
                .collect();
            // Multi-row inserts go through each backend's own connection (see `relations`).
            match conn {
                DbConnection::Sqlite(c) => diesel::insert_into(release_revisions::table)
                    .values(values)
                    .execute(c)?,
                DbConnection::Pg(c) => diesel::insert_into(release_revisions::table)
                    .values(values)
                    .execute(c)?,
            };
        }
        Ok(())
    }
}

/// Deletes one revision unless a later one is stored as a difference from it.
pub(crate) fn delete_unless_base(
    conn: &mut DbConnection,
    release_id: i64,
    revision: i64,
) -> Result<usize> {
    if snapshots::is_base(conn, release_id, revision)? {
        return Ok(0);
    }
    Ok(diesel::delete(
        release_revisions::table
            .filter(release_revisions::release_id.eq(release_id))
            .filter(release_revisions::revision.eq(revision)),
    )
    .execute(conn)?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewComment {
    pub id: i64,
    pub author_name: Option<String>,
    pub revision: i64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Newest first.
pub fn comments(conn: &mut DbConnection, release_id: i64) -> Result<Vec<ReviewComment>> {
    Ok(review_comments::table
        .left_join(users::table.on(users::id.nullable().eq(review_comments::author_id)))
        .filter(review_comments::release_id.eq(release_id))
        .order((
            review_comments::created_at.desc(),
            review_comments::id.desc(),
        ))
        .select((
            review_comments::id,
            users::display_name.nullable(),
            review_comments::revision,
            review_comments::body,
            review_comments::created_at,
        ))
        .load::<(i64, Option<String>, i64, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(id, author_name, revision, body, at)| ReviewComment {
            id,
            author_name,
            revision,
            body,
            created_at: from_db(at),
        })
        .collect())
}
