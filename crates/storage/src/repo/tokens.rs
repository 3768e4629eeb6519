//! API tokens, one-time links (setup, invitation, password reset) and recovery codes. Only
//! hashes are stored; the secrets are shown once.

use chrono::{DateTime, NaiveDateTime, Utc};
use dateline_core::Role;
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError, found};
use crate::repo::set_once;
use crate::schema::{api_tokens, one_time_tokens, recovery_codes, users};
use crate::time::{from_db, opt_from_db, to_db};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// After this the token no longer authenticates. `None`: until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}

#[derive(Queryable)]
struct ApiTokenRow {
    id: i64,
    user_id: i64,
    name: String,
    scope: String,
    _token_hash: String,
    prefix: String,
    created_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
    expires_at: Option<NaiveDateTime>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(r: ApiTokenRow) -> Self {
        ApiToken {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            scope: r.scope,
            prefix: r.prefix,
            created_at: from_db(r.created_at),
            last_used_at: opt_from_db(r.last_used_at),
            revoked_at: opt_from_db(r.revoked_at),
            expires_at: opt_from_db(r.expires_at),
        }
    }
}

/// What a new token is: its owner, name, scope, secret's hash and visible prefix, and end.
#[derive(Debug, Clone)]
pub struct NewApiToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub scope: &'a str,
    pub hash: &'a str,
    pub prefix: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
}

pub fn create_api_token(
    conn: &mut DbConnection,
    t: &NewApiToken<'_>,
    now: DateTime<Utc>,
) -> Result<ApiToken> {
    let NewApiToken {
        user_id,
        name,
        scope,
        hash,
        prefix,
        expires_at,
    } = *t;
    Ok(diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(name.trim()),
            api_tokens::scope.eq(scope),
            api_tokens::token_hash.eq(hash),
            api_tokens::prefix.eq(prefix),
            api_tokens::created_at.eq(to_db(now)),
            api_tokens::expires_at.eq(expires_at.map(to_db)),
        ))
        .get_result::<ApiTokenRow>(conn)?
        .into())
}

/// The live (unrevoked, unexpired) token with this hash, and its owner if the owner is not
/// disabled.
/// Marks it used, at most once a minute.
pub fn authenticate_api_token(
    conn: &mut DbConnection,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(ApiToken, dateline_core::User)>> {
    let found = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(to_db(now))),
        )
        .select((api_tokens::all_columns, users::all_columns))
        .first::<(ApiTokenRow, crate::repo::users::UserRow)>(conn)
        .optional()?;
    let Some((token, user)) = found else {
        return Ok(None);
    };
    let user = user.into_user()?;
    if user.disabled {
        return Ok(None);
    }
    let token = ApiToken::from(token);
    if token
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::minutes(1))
    {
        diesel::update(api_tokens::table.find(token.id))
            .set(api_tokens::last_used_at.eq(Some(to_db(now))))
            .execute(conn)?;
    }
    Ok(Some((token, user)))
}

pub fn list_api_tokens(conn: &mut DbConnection, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
    let mut q = api_tokens::table
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .into_boxed();
    if let Some(u) = user_id {
        q = q.filter(api_tokens::user_id.eq(u));
    }
    Ok(q.load::<ApiTokenRow>(conn)?
        .into_iter()
        .map(ApiToken::from)
        .collect())
}

pub fn get_api_token(conn: &mut DbConnection, id: i64) -> Result<ApiToken> {
    found(api_tokens::table.find(id).first::<ApiTokenRow>(conn))
}

pub fn revoke_api_token(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<bool> {
    set_once!(conn, api_tokens, revoked_at, id, now)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Setup,
    Invite,
    Reset,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Setup => "setup",
            LinkKind::Invite => "invite",
            LinkKind::Reset => "reset",
        }
    }
}

/// A one-time link as stored (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeLink {
    pub id: i64,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub expires_at: DateTime<Utc>,
}

pub struct NewLink<'a> {
    pub kind: LinkKind,
    pub hash: &'a str,
    pub user_id: Option<i64>,
    pub email: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub role: Option<Role>,
    pub created_by: Option<i64>,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub fn create_link(conn: &mut DbConnection, l: &NewLink<'_>) -> Result<()> {
    diesel::insert_into(one_time_tokens::table)
        .values((
            one_time_tokens::kind.eq(l.kind.as_str()),
            one_time_tokens::token_hash.eq(l.hash),
            one_time_tokens::user_id.eq(l.user_id),
            one_time_tokens::email.eq(l.email),
            one_time_tokens::display_name.eq(l.display_name),
            one_time_tokens::role.eq(l.role.map(|r| r.as_str())),
            one_time_tokens::created_by.eq(l.created_by),
            one_time_tokens::created_at.eq(to_db(l.now)),
            one_time_tokens::expires_at.eq(to_db(l.expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

type LinkRow = (
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    NaiveDateTime,
);

/// The unused, unexpired link of this kind with this hash.
pub fn find_link(
    conn: &mut DbConnection,
    kind: LinkKind,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<OneTimeLink>> {
    let row = one_time_tokens::table
        .filter(one_time_tokens::kind.eq(kind.as_str()))
        .filter(one_time_tokens::token_hash.eq(hash))
        .filter(one_time_tokens::used_at.is_null())
        .filter(one_time_tokens::expires_at.gt(to_db(now)))
        .select((
            one_time_tokens::id,
            one_time_tokens::user_id,
            one_time_tokens::email,
            one_time_tokens::display_name,
            one_time_tokens::role,
            one_time_tokens::expires_at,
        ))
        .first::<LinkRow>(conn)
        .optional()?;
    row.map(|(id, user_id, email, display_name, role, expires_at)| {
        let role = role
            .map(|r| r.parse::<Role>())
            .transpose()
            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        Ok(OneTimeLink {
            id,
            user_id,
            email,
            display_name,
            role,
            expires_at: from_db(expires_at),
        })
    })
    .transpose()
}

/// Marks a link used. Returns false if someone used it first: exactly one use wins.
pub fn consume_link(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<bool> {
    set_once!(conn, one_time_tokens, used_at, id, now)
}

/// Invalidates every open link of a kind (e.g. all setup links once an admin exists).
pub fn expire_links(
    conn: &mut DbConnection,
    kind: LinkKind,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut q = diesel::update(one_time_tokens::table)
        .filter(one_time_tokens::kind.eq(kind.as_str()))
        .filter(one_time_tokens::used_at.is_null())
        .into_boxed();
    if let Some(u) = user_id {
        q = q.filter(one_time_tokens::user_id.eq(u));
    }
    q.set(one_time_tokens::used_at.eq(Some(to_db(now))))
        .execute(conn)?;
    Ok(())
}

/// Replaces a user's recovery codes with new hashes.
pub fn replace_recovery_codes(
    conn: &mut DbConnection,
    user_id: i64,
    hashes: &[String],
) -> Result<()> {
    write_tx(conn, |conn| {
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
            .execute(conn)?;
        for h in hashes {
            diesel::insert_into(recovery_codes::table)
                .values((
                    recovery_codes::user_id.eq(user_id),
                    recovery_codes::code_hash.eq(h),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Uses a recovery code once. Returns false if it does not exist or was used.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    user_id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(to_db(now))))
    .execute(conn)?
        == 1)
}

pub fn unused_recovery_codes(conn: &mut DbConnection, user_id: i64) -> Result<i64> {
    Ok(recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}
