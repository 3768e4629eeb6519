//! Packing what an older version stored as plain text: release bodies and revision snapshots.
//! Readers take both forms, so this runs while the newsroom works: `dateline migrate` in the
//! foreground, `dateline serve` in the background.

use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::Result;
use crate::repo::releases::pack_body;
use crate::repo::revisions;
use crate::schema::releases;

/// Bodies and revisions still waiting to be packed.
pub fn pending(conn: &mut DbConnection) -> Result<i64> {
    let bodies: i64 = releases::table
        .filter(releases::body_packed.is_null())
        .count()
        .get_result(conn)?;
    Ok(bodies + revisions::unpacked_count(conn)?)
}

/// Packs the bodies of up to `batch` releases in one transaction, then the revisions of up to
/// `batch` releases, and returns how many bodies and revisions it packed. Safe from several
/// instances at once: a row is written only while it is still plain.
pub fn pack(conn: &mut DbConnection, batch: i64) -> Result<usize> {
    let bodies = write_tx(conn, |conn| pack_bodies(conn, batch))?;
    Ok(bodies + revisions::pack_pending(conn, batch)?)
}

fn pack_bodies(conn: &mut DbConnection, batch: i64) -> Result<usize> {
    let plain: Vec<(i64, String)> = releases::table
        .filter(releases::body_packed.is_null())
        .select((releases::id, releases::body))
        .order(releases::id.asc())
        .limit(batch)
        .load(conn)?;
    let mut packed = 0;
    for (id, body) in plain {
        packed += diesel::update(
            releases::table
                .filter(releases::id.eq(id))
                .filter(releases::body_packed.is_null()),
        )
        .set((
            releases::body_packed.eq(Some(pack_body(&body)?)),
            releases::body.eq(""),
        ))
        .execute(conn)?;
    }
    Ok(packed)
}
