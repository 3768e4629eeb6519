//! Reading and writing revision snapshots as [`packing`](crate::packing) keeps them, and the
//! conversion of rows written before packing existed.
//!
//! A packed row names in `packed_base` the revision it is a difference from; a row without one is
//! whole (packed or, for rows not yet converted, plain JSON in `snapshot`). A row another builds
//! on is never deleted, and conversion keeps every snapshot's bytes exactly, so a difference
//! always finds the text it was made from.

use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError};
use crate::packing::{self, MAX_CHAIN};
use crate::schema::release_revisions as rr;

/// A snapshot as its row keeps it.
#[derive(Debug, Clone, Queryable)]
pub(crate) struct Stored {
    pub revision: i64,
    pub snapshot: String,
    pub packed: Option<Vec<u8>>,
    pub packed_base: Option<i64>,
}

macro_rules! stored_columns {
    () => {
        (rr::revision, rr::snapshot, rr::packed, rr::packed_base)
    };
}

fn damaged(release_id: i64, revision: i64, reason: impl std::fmt::Display) -> StorageError {
    StorageError::DamagedRevision {
        release_id,
        revision,
        reason: reason.to_string(),
    }
}

/// The snapshot `row` holds, given the expanded text of the revision it builds on.
fn expand(release_id: i64, row: &Stored, base: Option<&[u8]>) -> Result<Vec<u8>> {
    match &row.packed {
        Some(packed) => {
            packing::unpack(packed, base).map_err(|e| damaged(release_id, row.revision, e))
        }
        None => Ok(row.snapshot.as_bytes().to_vec()),
    }
}

fn stored(conn: &mut DbConnection, release_id: i64, revision: i64) -> Result<Option<Stored>> {
    Ok(rr::table
        .filter(rr::release_id.eq(release_id))
        .filter(rr::revision.eq(revision))
        .select(stored_columns!())
        .first::<Stored>(conn)
        .optional()?)
}

/// The snapshot JSON of `revision`, and how many differences it sits behind a whole snapshot.
pub(crate) fn read(
    conn: &mut DbConnection,
    release_id: i64,
    revision: i64,
) -> Result<(Vec<u8>, usize)> {
    let mut chain = Vec::new();
    let mut at = revision;
    loop {
        let row = match stored(conn, release_id, at)? {
            Some(row) => row,
            None if at == revision => return Err(StorageError::NotFound),
            None => {
                return Err(damaged(
                    release_id,
                    revision,
                    format!("its base {at} is gone"),
                ));
            }
        };
        let base = row.packed_base.filter(|_| row.packed.is_some());
        chain.push(row);
        match base {
            None => break,
            // Bases are always older, so the walk ends; a row that says otherwise is damaged.
            Some(b) if b < at => at = b,
            Some(b) => return Err(damaged(release_id, at, format!("names {b} as its base"))),
        }
    }
    let depth = chain.len() - 1;
    let mut text: Option<Vec<u8>> = None;
    for row in chain.iter().rev() {
        text = Some(expand(release_id, row, text.as_deref())?);
    }
    Ok((text.unwrap_or_default(), depth))
}

/// What a new revision is packed against: the latest one before it, unless the chain behind that
/// one is already [`MAX_CHAIN`] long or cannot be read (a damaged revision must not stop anyone
/// saving; the new one is then stored whole).
fn base_for(conn: &mut DbConnection, release_id: i64, revision: i64) -> Result<Option<Base>> {
    let latest = rr::table
        .filter(rr::release_id.eq(release_id))
        .filter(rr::revision.lt(revision))
        .select(diesel::dsl::max(rr::revision))
        .first::<Option<i64>>(conn)?;
    let Some(latest) = latest else {
        return Ok(None);
    };
    match read(conn, release_id, latest) {
        Ok((text, depth)) if depth + 1 < MAX_CHAIN => Ok(Some(Base {
            revision: latest,
            text,
            depth,
        })),
        Ok(_) => Ok(None),
        Err(StorageError::DamagedRevision { .. }) => {
            tracing::warn!(
                release_id,
                revision = latest,
                "revision is damaged; storing the next one whole"
            );
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

struct Base {
    revision: i64,
    text: Vec<u8>,
    depth: usize,
}

/// The revision a new one is packed against, when the caller wrote it in the same transaction
/// (bulk loading) and so need not read it back.
#[derive(Debug, Clone)]
pub(crate) struct KnownBase {
    pub revision: i64,
    pub snapshot: String,
    /// How many differences it sits behind a whole snapshot.
    pub depth: usize,
}

/// A snapshot packed for its revision: the frame, the revision it is a difference from (if
/// any), and how many differences it sits behind a whole snapshot.
#[derive(Debug, Clone)]
pub(crate) struct Packed {
    pub frame: Vec<u8>,
    pub base: Option<i64>,
    pub depth: usize,
}

/// The packed form of `snapshot` for a new revision `revision`.
pub(crate) fn pack_new(
    conn: &mut DbConnection,
    release_id: i64,
    revision: i64,
    snapshot: &str,
    known: Option<&KnownBase>,
) -> Result<Packed> {
    let base = match known {
        Some(k) if k.depth + 1 < MAX_CHAIN => Some(Base {
            revision: k.revision,
            text: k.snapshot.as_bytes().to_vec(),
            depth: k.depth,
        }),
        Some(_) => None,
        None => base_for(conn, release_id, revision)?,
    };
    pack_on(snapshot.as_bytes(), base.as_ref())
}

/// Packs the snapshots of a new release's revisions 1, 2, 3 … exactly as writing them one by
/// one would (each a difference from the one before, whole again every [`MAX_CHAIN`]), without
/// a connection, so bulk loading can do it on another thread.
pub(crate) fn pack_history(snapshots: &[&str]) -> Result<Vec<Packed>> {
    let mut out: Vec<Packed> = Vec::with_capacity(snapshots.len());
    for (i, snapshot) in snapshots.iter().enumerate() {
        let base = match (i.checked_sub(1), out.last()) {
            (Some(before), Some(p)) if p.depth + 1 < MAX_CHAIN => Some(Base {
                revision: before as i64 + 1,
                text: snapshots[before].as_bytes().to_vec(),
                depth: p.depth,
            }),
            _ => None,
        };
        out.push(pack_on(snapshot.as_bytes(), base.as_ref())?);
    }
    Ok(out)
}

fn pack_on(snapshot: &[u8], base: Option<&Base>) -> Result<Packed> {
    let frame = packing::pack(snapshot, base.map(|b| b.text.as_slice()))
        .map_err(|e| StorageError::Corrupt(format!("cannot compress a snapshot: {e}")))?;
    Ok(match base {
        Some(b) => Packed {
            frame,
            base: Some(b.revision),
            depth: b.depth + 1,
        },
        None => Packed {
            frame,
            base: None,
            depth: 0,
        },
    })
}

/// Whether some revision of the release is a difference from `revision`, so it must stay.
pub(crate) fn is_base(conn: &mut DbConnection, release_id: i64, revision: i64) -> Result<bool> {
    Ok(rr::table
        .filter(rr::release_id.eq(release_id))
        .filter(rr::packed_base.eq(revision))
        .filter(rr::packed.is_not_null())
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Expands every snapshot of one release, oldest first, as the archive export reads them.
/// `rows` must be all the release's rows in revision order.
pub(crate) fn expand_in_order(release_id: i64, rows: &[Stored]) -> Vec<Result<Vec<u8>>> {
    let mut done: std::collections::HashMap<i64, Vec<u8>> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let base = match row.packed_base.filter(|_| row.packed.is_some()) {
            None => Ok(None),
            Some(b) => done.get(&b).map(|t| Some(t.as_slice())).ok_or_else(|| {
                damaged(
                    release_id,
                    row.revision,
                    format!("its base {b} cannot be read"),
                )
            }),
        };
        let text = base.and_then(|base| expand(release_id, row, base));
        if let Ok(text) = &text {
            done.insert(row.revision, text.clone());
        }
        out.push(text);
    }
    out
}

/// The rows of `release_id`, oldest first.
fn all_of(conn: &mut DbConnection, release_id: i64) -> Result<Vec<(i64, Stored)>> {
    Ok(rr::table
        .filter(rr::release_id.eq(release_id))
        .order(rr::revision.asc())
        .select((rr::id, stored_columns!()))
        .load::<(i64, Stored)>(conn)?)
}

/// Revisions still kept as plain JSON, waiting for [`pack_pending`].
pub fn unpacked_count(conn: &mut DbConnection) -> Result<i64> {
    Ok(rr::table
        .filter(rr::packed.is_null())
        .count()
        .get_result(conn)?)
}

/// Packs the plain revisions of up to `releases` releases, each release in its own short
/// transaction, and returns how many revisions it packed. Several instances may run it at once:
/// a row is written only while it is still plain, and packing is deterministic.
pub fn pack_pending(conn: &mut DbConnection, releases: i64) -> Result<usize> {
    let pending: Vec<i64> = rr::table
        .filter(rr::packed.is_null())
        .select(rr::release_id)
        .distinct()
        .order(rr::release_id.asc())
        .limit(releases)
        .load(conn)?;
    let mut packed = 0;
    for release_id in pending {
        packed += write_tx(conn, |conn| pack_release(conn, release_id))?;
    }
    Ok(packed)
}

fn pack_release(conn: &mut DbConnection, release_id: i64) -> Result<usize> {
    let rows = all_of(conn, release_id)?;
    let stored: Vec<Stored> = rows.iter().map(|(_, s)| s.clone()).collect();
    let texts = expand_in_order(release_id, &stored);
    let mut packed = 0;
    // The previous row's text and how deep in a chain it sits, if it could be read.
    let mut previous: Option<(i64, &[u8], usize)> = None;
    let mut depths: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for ((id, row), text) in rows.iter().zip(&texts) {
        let depth = row
            .packed_base
            .filter(|_| row.packed.is_some())
            .and_then(|b| depths.get(&b).map(|d| d + 1))
            .unwrap_or(0);
        let Ok(text) = text else {
            tracing::warn!(
                release_id,
                revision = row.revision,
                "revision is damaged; left as it is"
            );
            previous = None;
            continue;
        };
        if row.packed.is_some() {
            depths.insert(row.revision, depth);
            previous = Some((row.revision, text, depth));
            continue;
        }
        let base = previous.filter(|p| p.2 + 1 < MAX_CHAIN);
        let bytes = packing::pack(text, base.map(|b| b.1))
            .map_err(|e| StorageError::Corrupt(format!("cannot compress a snapshot: {e}")))?;
        packed += diesel::update(rr::table.filter(rr::id.eq(id)).filter(rr::packed.is_null()))
            .set((
                rr::packed.eq(Some(bytes)),
                rr::packed_base.eq(base.map(|b| b.0)),
                rr::snapshot.eq(""),
            ))
            .execute(conn)?;
        let depth = base.map_or(0, |b| b.2 + 1);
        depths.insert(row.revision, depth);
        previous = Some((row.revision, text, depth));
    }
    Ok(packed)
}
