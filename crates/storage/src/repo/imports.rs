//! Fingerprints of imported wire texts: which release a text already became.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::Result;
use crate::schema::wire_imports;
use crate::time::to_db;

/// The release an earlier import made from the text with this fingerprint.
pub fn release_for(conn: &mut DbConnection, fingerprint: &str) -> Result<Option<i64>> {
    Ok(wire_imports::table
        .find(fingerprint)
        .select(wire_imports::release_id)
        .first(conn)
        .optional()?)
}

/// Records that the text with this fingerprint became `release_id`.
pub fn record(
    conn: &mut DbConnection,
    fingerprint: &str,
    release_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    diesel::insert_into(wire_imports::table)
        .values((
            wire_imports::fingerprint.eq(fingerprint),
            wire_imports::release_id.eq(release_id),
            wire_imports::imported_at.eq(to_db(at)),
        ))
        .execute(conn)?;
    Ok(())
}
