//! Server-side sessions, shared by every instance through the database. The cookie holds a random
//! value; the row is keyed by its keyed hash, so the table alone gives no working cookie.

use chrono::{DateTime, NaiveDateTime, Utc};
use dateline_core::User;
use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::Result;
use crate::repo::users::UserRow;
use crate::schema::{sessions, users};
use crate::time::{from_db, to_db};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The stored (hashed) id, never the cookie value.
    pub id: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub mfa_pending: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: String,
    pub user_agent: String,
}

#[derive(Queryable)]
struct SessionRow {
    id: String,
    user_id: i64,
    csrf_token: String,
    mfa_pending: bool,
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    ip: String,
    user_agent: String,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Session {
            id: r.id,
            user_id: r.user_id,
            csrf_token: r.csrf_token,
            mfa_pending: r.mfa_pending,
            created_at: from_db(r.created_at),
            last_seen_at: from_db(r.last_seen_at),
            expires_at: from_db(r.expires_at),
            ip: r.ip,
            user_agent: r.user_agent,
        }
    }
}

pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user_id: i64,
    pub csrf_token: &'a str,
    pub mfa_pending: bool,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub fn create(conn: &mut DbConnection, s: &NewSession<'_>) -> Result<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(s.id_hash),
            sessions::user_id.eq(s.user_id),
            sessions::csrf_token.eq(s.csrf_token),
            sessions::mfa_pending.eq(s.mfa_pending),
            sessions::created_at.eq(to_db(s.now)),
            sessions::last_seen_at.eq(to_db(s.now)),
            sessions::expires_at.eq(to_db(s.expires_at)),
            sessions::ip.eq(s.ip.chars().take(64).collect::<String>()),
            sessions::user_agent.eq(s.user_agent.chars().take(300).collect::<String>()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The session and its user, if the session exists, has not passed its absolute expiry, has not
/// been idle longer than `idle`, and the user is not disabled. The user's role comes from the
/// database on every call. Expired rows are deleted on sight.
pub fn load_active(
    conn: &mut DbConnection,
    id_hash: &str,
    now: DateTime<Utc>,
    idle: chrono::Duration,
) -> Result<Option<(Session, User)>> {
    let found = sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(id_hash))
        .select((sessions::all_columns, users::all_columns))
        .first::<(SessionRow, UserRow)>(conn)
        .optional()?;
    let Some((row, user_row)) = found else {
        return Ok(None);
    };
    let session = Session::from(row);
    let user = user_row.into_user()?;
    if session.expires_at <= now || session.last_seen_at + idle <= now || user.disabled {
        delete(conn, id_hash)?;
        return Ok(None);
    }
    Ok(Some((session, user)))
}

/// Records activity, at most once per `granularity`, so reads do not turn into a write each.
pub fn touch(
    conn: &mut DbConnection,
    session: &Session,
    now: DateTime<Utc>,
    granularity: chrono::Duration,
) -> Result<()> {
    if now - session.last_seen_at >= granularity {
        diesel::update(sessions::table.find(&session.id))
            .set(sessions::last_seen_at.eq(to_db(now)))
            .execute(conn)?;
    }
    Ok(())
}

pub fn complete_second_factor(conn: &mut DbConnection, id_hash: &str) -> Result<()> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::mfa_pending.eq(false))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, id_hash: &str) -> Result<()> {
    diesel::delete(sessions::table.find(id_hash)).execute(conn)?;
    Ok(())
}

/// Ends every session of a user except `keep` (the one making the change, if any).
pub fn delete_for_user(conn: &mut DbConnection, user_id: i64, keep: Option<&str>) -> Result<usize> {
    let q = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .into_boxed();
    let q = match keep {
        Some(k) => q.filter(sessions::id.ne(k.to_owned())),
        None => q,
    };
    let ids: Vec<String> = q.select(sessions::id).load(conn)?;
    Ok(diesel::delete(sessions::table.filter(sessions::id.eq_any(&ids))).execute(conn)?)
}

pub fn list_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Session>> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(to_db(now)))
        .order(sessions::last_seen_at.desc())
        .load::<SessionRow>(conn)?
        .into_iter()
        .map(Session::from)
        .collect())
}

/// Removes rows past their absolute expiry or idle for longer than `idle`.
pub fn purge_expired(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    idle: chrono::Duration,
) -> Result<usize> {
    Ok(diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .le(to_db(now))
                .or(sessions::last_seen_at.le(to_db(now - idle))),
        ),
    )
    .execute(conn)?)
}
