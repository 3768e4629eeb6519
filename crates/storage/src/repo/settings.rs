//! Newsroom settings (name, description, time zone, language, security switches) and the
//! site-wide content version that caches key on.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::Result;
use crate::schema::{settings, site_state};
use crate::time::{from_db, now, to_db};

pub fn all(conn: &mut DbConnection) -> Result<HashMap<String, String>> {
    Ok(settings::table
        .select((settings::key, settings::value))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

pub fn get(conn: &mut DbConnection, key: &str) -> Result<Option<String>> {
    Ok(settings::table
        .find(key)
        .select(settings::value)
        .first::<String>(conn)
        .optional()?)
}

/// Inserts or replaces one setting. Upsert SQL differs by backend, and MultiConnection cannot
/// express `ON CONFLICT`, so this is update-then-insert inside the caller's transaction.
pub fn set(conn: &mut DbConnection, key: &str, value: &str) -> Result<()> {
    let at = to_db(now());
    let n = diesel::update(settings::table.find(key))
        .set((settings::value.eq(value), settings::updated_at.eq(at)))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(settings::table)
            .values((
                settings::key.eq(key),
                settings::value.eq(value),
                settings::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The counter every public change bumps, and when it last moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentVersion {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
}

pub fn content_version(conn: &mut DbConnection) -> Result<ContentVersion> {
    let (version, at) = site_state::table
        .find(1)
        .select((site_state::content_version, site_state::changed_at))
        .first::<(i64, NaiveDateTime)>(conn)?;
    Ok(ContentVersion {
        version,
        changed_at: from_db(at),
    })
}

/// Moves the content version on. Called inside the publish pipeline's transaction, so the bump
/// commits with the change it announces.
pub fn bump_content_version(conn: &mut DbConnection, at: DateTime<Utc>) -> Result<()> {
    diesel::update(site_state::table.find(1))
        .set((
            site_state::content_version.eq(site_state::content_version + 1),
            site_state::changed_at.eq(to_db(at)),
        ))
        .execute(conn)?;
    Ok(())
}
