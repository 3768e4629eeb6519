//! Journalist preview links: one release, a token stored hashed, an expiry, revocation, and a
//! count of openings.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::{Result, found};
use crate::repo::set_once;
use crate::schema::preview_links;
use crate::time::{from_db, opt_from_db, to_db};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLink {
    pub id: i64,
    pub release_id: i64,
    pub label: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub open_count: i64,
    pub last_opened_at: Option<DateTime<Utc>>,
}

impl PreviewLink {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

#[derive(Queryable)]
struct Row {
    id: i64,
    release_id: i64,
    _token_hash: String,
    label: String,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
    open_count: i64,
    last_opened_at: Option<NaiveDateTime>,
}

impl From<Row> for PreviewLink {
    fn from(r: Row) -> Self {
        PreviewLink {
            id: r.id,
            release_id: r.release_id,
            label: r.label,
            created_by: r.created_by,
            created_at: from_db(r.created_at),
            expires_at: from_db(r.expires_at),
            revoked_at: opt_from_db(r.revoked_at),
            open_count: r.open_count,
            last_opened_at: opt_from_db(r.last_opened_at),
        }
    }
}

pub fn create(
    conn: &mut DbConnection,
    release_id: i64,
    hash: &str,
    label: &str,
    created_by: Option<i64>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<PreviewLink> {
    Ok(diesel::insert_into(preview_links::table)
        .values((
            preview_links::release_id.eq(release_id),
            preview_links::token_hash.eq(hash),
            preview_links::label.eq(label.trim()),
            preview_links::created_by.eq(created_by),
            preview_links::created_at.eq(to_db(now)),
            preview_links::expires_at.eq(to_db(expires_at)),
            preview_links::open_count.eq(0),
        ))
        .get_result::<Row>(conn)?
        .into())
}

/// The live link with this token hash, counting the opening in one statement, so concurrent
/// openings are all counted and exactly one of them sees `open_count == 1`.
pub fn open(
    conn: &mut DbConnection,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<PreviewLink>> {
    Ok(diesel::update(
        preview_links::table
            .filter(preview_links::token_hash.eq(hash))
            .filter(preview_links::revoked_at.is_null())
            .filter(preview_links::expires_at.gt(to_db(now))),
    )
    .set((
        preview_links::open_count.eq(preview_links::open_count + 1),
        preview_links::last_opened_at.eq(Some(to_db(now))),
    ))
    .get_result::<Row>(conn)
    .optional()?
    .map(PreviewLink::from))
}

/// The live link with this token hash, without counting an opening: for the files its page
/// shows, which are fetched alongside the opening already counted.
pub fn live(
    conn: &mut DbConnection,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<PreviewLink>> {
    Ok(preview_links::table
        .filter(preview_links::token_hash.eq(hash))
        .filter(preview_links::revoked_at.is_null())
        .filter(preview_links::expires_at.gt(to_db(now)))
        .first::<Row>(conn)
        .optional()?
        .map(PreviewLink::from))
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<PreviewLink> {
    found(preview_links::table.find(id).first::<Row>(conn))
}

pub fn list_for_release(conn: &mut DbConnection, release_id: i64) -> Result<Vec<PreviewLink>> {
    Ok(preview_links::table
        .filter(preview_links::release_id.eq(release_id))
        .order((preview_links::created_at.desc(), preview_links::id.desc()))
        .load::<Row>(conn)?
        .into_iter()
        .map(PreviewLink::from)
        .collect())
}

pub fn revoke(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<bool> {
    set_once!(conn, preview_links, revoked_at, id, now)
}
