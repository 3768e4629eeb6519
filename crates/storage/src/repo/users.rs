//! People who sign in.

use chrono::NaiveDateTime;
use dateline_core::user::normalize_email;
use dateline_core::{Role, User};
use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::{Result, StorageError, not_found, unique_as};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::users;
use crate::time::{from_db, now, to_db};

#[derive(Debug, Clone, Queryable)]
pub(crate) struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub disabled: bool,
    pub password_hash: String,
    pub time_zone: Option<String>,
    pub created_at: NaiveDateTime,
    pub _updated_at: NaiveDateTime,
    pub revision: i64,
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
}

impl UserRow {
    pub(crate) fn into_user(self) -> Result<User> {
        let role = self
            .role
            .parse::<Role>()
            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        Ok(User {
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            role,
            disabled: self.disabled,
            time_zone: self.time_zone,
            created_at: from_db(self.created_at),
            revision: self.revision,
        })
    }
}

/// A user with what signing in needs. Never leaves the server.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
}

impl TryFrom<UserRow> for UserCredentials {
    type Error = StorageError;
    fn try_from(row: UserRow) -> Result<Self> {
        let (password_hash, totp_secret, totp_enabled, totp_last_step) = (
            row.password_hash.clone(),
            row.totp_secret.clone(),
            row.totp_enabled,
            row.totp_last_step,
        );
        Ok(UserCredentials {
            user: row.into_user()?,
            password_hash,
            totp_secret,
            totp_enabled,
            totp_last_step,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// A PHC string from `dateline-auth`; storage never sees a password.
    pub password_hash: String,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUserRow<'a> {
    email: &'a str,
    display_name: &'a str,
    role: &'a str,
    disabled: bool,
    password_hash: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    revision: i64,
    totp_enabled: bool,
}

pub fn create(conn: &mut DbConnection, new: &NewUser) -> Result<User> {
    let email = normalize_email(&new.email);
    let at = to_db(now());
    let row = NewUserRow {
        email: &email,
        display_name: new.display_name.trim(),
        role: new.role.as_str(),
        disabled: false,
        password_hash: &new.password_hash,
        created_at: at,
        updated_at: at,
        revision: 1,
        totp_enabled: false,
    };
    diesel::insert_into(users::table)
        .values(&row)
        .get_result::<UserRow>(conn)
        .map_err(unique_as("email", &email))?
        .into_user()
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<User> {
    users::table
        .find(id)
        .first::<UserRow>(conn)
        .map_err(not_found)?
        .into_user()
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<User>> {
    find_row_by_email(conn, email)?
        .map(UserRow::into_user)
        .transpose()
}

pub fn credentials_by_email(
    conn: &mut DbConnection,
    email: &str,
) -> Result<Option<UserCredentials>> {
    find_row_by_email(conn, email)?
        .map(UserCredentials::try_from)
        .transpose()
}

pub fn credentials(conn: &mut DbConnection, id: i64) -> Result<UserCredentials> {
    users::table
        .find(id)
        .first::<UserRow>(conn)
        .map_err(not_found)?
        .try_into()
}

fn find_row_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<UserRow>> {
    Ok(users::table
        .filter(users::email.eq(normalize_email(email)))
        .first::<UserRow>(conn)
        .optional()?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table.count().get_result(conn)?)
}

pub fn count_admins(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)?)
}

/// Counts the active admins inside a write transaction, so that a change that removes one can
/// rely on the count until it commits. On PostgreSQL their rows are locked (`FOR UPDATE`): two
/// admins demoting each other at once take turns, and the second sees the first's change. A
/// SQLite write transaction already holds the database's only write lock.
pub fn lock_active_admins(conn: &mut DbConnection) -> Result<i64> {
    let active = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::disabled.eq(false))
        .select(users::id);
    match conn {
        DbConnection::Pg(c) => Ok(active.for_update().load::<i64>(c)?.len() as i64),
        DbConnection::Sqlite(_) => count_admins(conn),
    }
}

/// Users in id order, a page at a time.
pub fn list(conn: &mut DbConnection, page: &PageRequest) -> Result<Page<User>> {
    let mut q = users::table
        .order(users::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(c) = &page.after {
        q = q.filter(users::id.gt(c.id));
    }
    let rows = q.load::<UserRow>(conn)?;
    let users = rows
        .into_iter()
        .map(UserRow::into_user)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(users, page.limit, |u| {
        Cursor::id(u.id)
    }))
}

/// Every user, for small admin screens and the CLI.
pub fn all(conn: &mut DbConnection) -> Result<Vec<User>> {
    users::table
        .order(users::id.asc())
        .load::<UserRow>(conn)?
        .into_iter()
        .map(UserRow::into_user)
        .collect()
}

/// The profile fields an update may change. Role and disabled are here for admin actions; the
/// web layer decides who may set them.
#[derive(Debug, Clone)]
pub struct UserUpdate {
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub time_zone: Option<String>,
}

/// Compare-and-swap on the revision: a stale update is a `Conflict`, never an overwrite.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    expected_revision: i64,
    changes: &UserUpdate,
) -> Result<User> {
    let n = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::revision.eq(expected_revision)),
    )
    .set((
        users::display_name.eq(changes.display_name.trim()),
        users::role.eq(changes.role.as_str()),
        users::disabled.eq(changes.disabled),
        users::time_zone.eq(&changes.time_zone),
        users::updated_at.eq(to_db(now())),
        users::revision.eq(users::revision + 1),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(conflict_or_missing(conn, id));
    }
    get(conn, id)
}

pub(crate) fn conflict_or_missing(conn: &mut DbConnection, id: i64) -> StorageError {
    crate::repo::conflict_or_missing!(conn, users, id)
}

pub fn set_password_hash(conn: &mut DbConnection, id: i64, hash: &str) -> Result<()> {
    let n = diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(to_db(now())),
            users::revision.eq(users::revision + 1),
        ))
        .execute(conn)?;
    if n == 0 {
        Err(StorageError::NotFound)
    } else {
        Ok(())
    }
}

/// Sets `$column` of account `$id` to `$new` only if it still holds `$old`, in one statement,
/// so a concurrent change made in between wins. `true` when this call wrote.
macro_rules! replace_if_still {
    ($conn:expr, $id:expr, $column:ident, $old:expr, $new:expr) => {
        diesel::update(
            users::table
                .filter(users::id.eq($id))
                .filter(users::$column.eq($old)),
        )
        .set(users::$column.eq($new))
        .execute($conn)
        .map(|n| n == 1)
        .map_err(StorageError::from)
    };
}

/// Replaces the stored hash only if it is still `old`: used for transparent rehashing at login,
/// where a concurrent password change must win.
pub fn upgrade_password_hash(
    conn: &mut DbConnection,
    id: i64,
    old: &str,
    new: &str,
) -> Result<bool> {
    replace_if_still!(conn, id, password_hash, old, new)
}

/// Turns two-factor sign-in on (with its secret) or off. `last_step` is the time step of the code that confirmed the change (`None` when turning
/// two-factor off). Keeping it means the code typed to enrol cannot also sign someone in.
pub fn set_totp(
    conn: &mut DbConnection,
    id: i64,
    secret: Option<&str>,
    enabled: bool,
    last_step: Option<i64>,
) -> Result<()> {
    diesel::update(users::table.find(id))
        .set((
            users::totp_secret.eq(secret),
            users::totp_enabled.eq(enabled),
            users::totp_last_step.eq(last_step),
            users::updated_at.eq(to_db(now())),
            users::revision.eq(users::revision + 1),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records that TOTP step `step` was used, only if it is later than any used before. Returns
/// false for a replay; the check and the write are one statement, so two instances cannot both
/// accept the same code.
pub fn claim_totp_step(conn: &mut DbConnection, id: i64, step: i64) -> Result<bool> {
    let n = diesel::update(
        users::table.filter(users::id.eq(id)).filter(
            users::totp_last_step
                .is_null()
                .or(users::totp_last_step.lt(step)),
        ),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)?;
    Ok(n == 1)
}

/// Every stored TOTP secret, as stored, with its account: for sealing old plaintext values and
/// for re-sealing all of them under a new server key.
/// Holds off every other change to accounts until the transaction ends, for a key rotation that
/// must see every two-factor secret, including one enrolled while it runs. SQLite's write
/// transaction already holds the database's only write lock.
pub fn lock_for_key_rotation(conn: &mut DbConnection) -> Result<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(c)?;
    }
    Ok(())
}

pub fn totp_secrets(conn: &mut DbConnection) -> Result<Vec<(i64, String)>> {
    Ok(users::table
        .filter(users::totp_secret.is_not_null())
        .select((users::id, users::totp_secret.assume_not_null()))
        .order(users::id.asc())
        .load(conn)?)
}

/// Replaces a stored TOTP secret with another form of the same secret, only if it is still
/// `old`: a concurrent enrolment or removal wins. Not a profile change, so the revision stays.
pub fn replace_totp_secret(conn: &mut DbConnection, id: i64, old: &str, new: &str) -> Result<bool> {
    replace_if_still!(conn, id, totp_secret, old, new)
}
