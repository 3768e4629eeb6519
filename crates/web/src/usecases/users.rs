//! Opening an account and setting a password. An account is opened by an admin on
//! `/admin/users`, by someone accepting an invitation, by the first admin through the setup
//! link, or with `dateline user add`; a password is set by its owner, through a reset link, or
//! with `dateline user set-password`. Each goes through [`register`] or [`set_password`] (or
//! their blocking twins for the command line), so the password policy, the unique email, the
//! role rule, the one-time link and the audit row are the same whichever door was used.

use chrono::{DateTime, Utc};
use dateline_auth::password::{self, Policy};
use dateline_auth::permissions::may_assign_role;
use dateline_core::user::is_plausible_email;
use dateline_core::{Role, User, ValidationErrors};
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::sessions;
use dateline_storage::repo::tokens::{self, LinkKind, OneTimeLink};
use dateline_storage::repo::users::{self, NewUser};
use dateline_storage::{DbConnection, StorageError, write_tx};

use super::Caller;
use crate::error::WebError;
use crate::state::AppState;

/// Why an account or token change was refused. The web maps it in `crate::error`; the command
/// line prints its text, which is why the texts read as sentences for a terminal.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Fields a person can correct, worded as the forms show them.
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error(
        "an account for {0} already exists; use `dateline user set-password` to change its password"
    )]
    Taken(String),
    #[error("{0} is disabled; enable the account before giving it a token")]
    Disabled(String),
    #[error("Only admins assign roles.")]
    Forbidden,
    /// The one-time link was used meanwhile, or (setup) an account exists by now.
    #[error("the link no longer works")]
    LinkGone,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Hashing(#[from] dateline_auth::AuthError),
    /// The web layer could not run the work at all (database unreachable, pool closed).
    #[error(transparent)]
    Web(#[from] WebError),
}

impl From<dateline_storage::DieselError> for AccountError {
    fn from(e: dateline_storage::DieselError) -> Self {
        AccountError::Storage(e.into())
    }
}

pub type AccountResult<T> = Result<T, AccountError>;

/// What was typed to open an account. The command line passes the password as `confirm` too:
/// it asked twice itself.
pub struct Typed<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub confirm: &'a str,
}

/// Which door the account comes through; decides its role, the link it uses up and the audit
/// wording.
pub enum Origin {
    /// An admin on `/admin/users`, or the command line, choosing the role.
    Chosen(Role),
    /// An invitation link, which carries the role.
    Invitation(OneTimeLink),
    /// The setup link, identified by its hash: the first admin.
    Setup(String),
}

impl Origin {
    fn role(&self) -> Role {
        match self {
            Origin::Chosen(role) => *role,
            Origin::Invitation(link) => link.role.unwrap_or(Role::Contributor),
            Origin::Setup(_) => Role::Admin,
        }
    }

    fn detail(&self, user: &User) -> String {
        match self {
            Origin::Chosen(_) => format!("{} as {}", user.email, user.role),
            Origin::Invitation(_) => {
                format!("{} joined as {} by invitation", user.email, user.role)
            }
            Origin::Setup(_) => format!("first admin {} via setup link", user.email),
        }
    }
}

/// Opens an account: checks, hashes the password off the request threads, then writes the
/// account and its audit row in one transaction.
pub async fn register(
    state: &AppState,
    caller: &Caller,
    typed: Typed<'_>,
    origin: Origin,
) -> AccountResult<User> {
    check_account(state.password_policy, caller, &typed, &origin)?;
    let pw = typed.password.to_owned();
    let hash = state.hashing(move || password::hash(&pw)).await??;
    let (caller, now) = (caller.clone(), state.clock.now());
    let new = NewUser {
        email: typed.email.to_owned(),
        display_name: typed.name.trim().to_owned(),
        role: origin.role(),
        password_hash: hash,
    };
    state
        .db(move |conn| Ok::<_, WebError>(create(conn, &caller, new, &origin, now)))
        .await?
}

/// [`register`] for the command line, on a connection it holds.
pub fn register_blocking(
    conn: &mut DbConnection,
    caller: &Caller,
    policy: Policy,
    typed: Typed<'_>,
    origin: Origin,
    now: DateTime<Utc>,
) -> AccountResult<User> {
    check_account(policy, caller, &typed, &origin)?;
    let new = NewUser {
        email: typed.email.to_owned(),
        display_name: typed.name.trim().to_owned(),
        role: origin.role(),
        password_hash: password::hash(typed.password)?,
    };
    create(conn, caller, new, &origin, now)
}

/// Refuses an email that already has an account, before anyone is asked for a password.
pub fn ensure_email_free(conn: &mut DbConnection, email: &str) -> AccountResult<()> {
    match users::find_by_email(conn, email)? {
        Some(_) => Err(AccountError::Taken(email.to_owned())),
        None => Ok(()),
    }
}

/// The field rules for a new account, in the order the forms list their messages. Public so
/// that a form refused for another reason too (an unknown role) can list these beside it.
pub fn account_errors(policy: Policy, typed: &Typed<'_>) -> ValidationErrors {
    let mut e = ValidationErrors::new();
    if !is_plausible_email(typed.email) {
        e.add("email", "Enter an email address such as ana@example.com.");
    }
    e.line("name", typed.name, true, 100);
    check_new_password(
        &mut e,
        policy,
        typed.password,
        typed.confirm,
        &[typed.email, typed.name],
    );
    e
}

fn check_account(
    policy: Policy,
    caller: &Caller,
    typed: &Typed<'_>,
    origin: &Origin,
) -> AccountResult<()> {
    let e = account_errors(policy, typed);
    if !e.is_empty() {
        return Err(AccountError::Invalid(e));
    }
    // A link carries its own authority; a chosen role needs someone allowed to assign it.
    if let Origin::Chosen(role) = origin
        && !may_assign_role(caller.role, *role)
    {
        return Err(AccountError::Forbidden);
    }
    Ok(())
}

/// Adds the password rules to `e`: the policy (which also refuses the person's own name and
/// email) and the confirmation.
pub fn check_new_password(
    e: &mut ValidationErrors,
    policy: Policy,
    password: &str,
    confirm: &str,
    personal: &[&str],
) {
    if let Err(p) = policy.check(password, personal) {
        e.add("password", p.to_string());
    } else if password != confirm {
        e.add("confirm", "The two passwords differ.");
    }
}

fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    new: NewUser,
    origin: &Origin,
    now: DateTime<Utc>,
) -> AccountResult<User> {
    let email = new.email.clone();
    write_tx(conn, |conn| {
        match origin {
            Origin::Chosen(_) => {}
            Origin::Invitation(link) => {
                if !tokens::consume_link(conn, link.id, now)? {
                    return Err(AccountError::LinkGone);
                }
            }
            Origin::Setup(hash) => {
                // Re-checked inside the transaction: two browsers racing on one link make one
                // admin.
                let link = tokens::find_link(conn, LinkKind::Setup, hash, now)?
                    .ok_or(AccountError::LinkGone)?;
                if users::count(conn)? > 0 || !tokens::consume_link(conn, link.id, now)? {
                    return Err(AccountError::LinkGone);
                }
                tokens::expire_links(conn, LinkKind::Setup, None, now)?;
            }
        }
        ensure_email_free(conn, &new.email)?;
        let user = users::create(conn, &new)?;
        Entry::new(&caller.actor, AuditAction::UserCreate, "user", user.id, now)
            .detail(origin.detail(&user))
            .record(conn)?;
        Ok(user)
    })
    .map_err(|e| match e {
        AccountError::Storage(StorageError::Duplicate { .. }) => AccountError::Taken(email),
        other => other,
    })
}

/// How a password comes to be set; decides the link it uses up and the audit row.
pub enum PasswordVia {
    /// Its owner, on `/account`, after giving the current one.
    Owner,
    /// A reset link an admin made.
    ResetLink(i64),
    /// `dateline user set-password`.
    CommandLine,
}

/// Sets `user`'s password after checking it against the policy, and ends all of their
/// sessions in the same transaction. Returns how many sessions ended.
pub async fn set_password(
    state: &AppState,
    caller: &Caller,
    user: &User,
    password: &str,
    confirm: &str,
    via: PasswordVia,
) -> AccountResult<usize> {
    check_password(state.password_policy, user, password, confirm)?;
    let pw = password.to_owned();
    let hash = state.hashing(move || password::hash(&pw)).await??;
    let (caller, now, user_id) = (caller.clone(), state.clock.now(), user.id);
    state
        .db(move |conn| Ok::<_, WebError>(store_password(conn, &caller, user_id, &hash, &via, now)))
        .await?
}

/// [`set_password`] for the command line, on a connection it holds.
pub fn set_password_blocking(
    conn: &mut DbConnection,
    caller: &Caller,
    policy: Policy,
    user: &User,
    password: &str,
    now: DateTime<Utc>,
) -> AccountResult<usize> {
    check_password(policy, user, password, password)?;
    let hash = password::hash(password)?;
    store_password(conn, caller, user.id, &hash, &PasswordVia::CommandLine, now)
}

fn check_password(policy: Policy, user: &User, password: &str, confirm: &str) -> AccountResult<()> {
    let mut e = ValidationErrors::new();
    let personal = [user.email.as_str(), user.display_name.as_str()];
    check_new_password(&mut e, policy, password, confirm, &personal);
    if e.is_empty() {
        Ok(())
    } else {
        Err(AccountError::Invalid(e))
    }
}

fn store_password(
    conn: &mut DbConnection,
    caller: &Caller,
    user_id: i64,
    hash: &str,
    via: &PasswordVia,
    now: DateTime<Utc>,
) -> AccountResult<usize> {
    write_tx(conn, |conn| {
        if let PasswordVia::ResetLink(link) = via {
            if !tokens::consume_link(conn, *link, now)? {
                return Err(AccountError::LinkGone);
            }
            // Only one reset at a time: the others stop working with this one.
            tokens::expire_links(conn, LinkKind::Reset, Some(user_id), now)?;
        }
        users::set_password_hash(conn, user_id, hash)?;
        let ended = sessions::delete_for_user(conn, user_id, None)?;
        let (action, detail) = match via {
            PasswordVia::Owner => (
                AuditAction::PasswordChange,
                format!("{ended} session(s) ended"),
            ),
            PasswordVia::ResetLink(_) => (
                AuditAction::PasswordReset,
                format!("by reset link; {ended} session(s) ended"),
            ),
            PasswordVia::CommandLine => (
                AuditAction::PasswordChange,
                format!("set from the command line; {ended} session(s) ended"),
            ),
        };
        Entry::new(&caller.actor, action, "user", user_id, now)
            .detail(detail)
            .record(conn)?;
        Ok(ended)
    })
}
