//! Issuing an API token, from `/account/tokens` or with `dateline token add`. Both go through
//! [`issue`], so the name rule, the refusal for a disabled account, the hashing of the secret and
//! the audit row are the same. The secret is returned once and never stored.

use chrono::{DateTime, Utc};
use dateline_auth::tokens::{Scope, new_api_token};
use dateline_core::{Role, User, ValidationErrors};
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::tokens::{self, ApiToken, NewApiToken};
use dateline_storage::{DbConnection, write_tx};

use super::Caller;
use super::users::{AccountError, AccountResult};

/// What a new token is to be.
pub struct Request<'a> {
    pub name: &'a str,
    pub scope: Scope,
    /// Days until it stops working; `None` for until revoked.
    pub days: Option<u16>,
}

/// A token just made, with the secret shown this once.
pub struct Issued {
    pub token: ApiToken,
    pub secret: String,
}

/// Adds the rule for a token's name to `e`, for forms that list it with their own checks.
pub fn check_name(e: &mut ValidationErrors, name: &str) {
    e.line("name", name, true, 100);
}

/// Issues a token for `owner`, who must be the caller unless the caller is an admin (or the
/// command line), and must not be disabled.
pub fn issue(
    conn: &mut DbConnection,
    caller: &Caller,
    owner: &User,
    request: &Request<'_>,
    now: DateTime<Utc>,
) -> AccountResult<Issued> {
    let mut e = ValidationErrors::new();
    check_name(&mut e, request.name);
    if !e.is_empty() {
        return Err(AccountError::Invalid(e));
    }
    let own = caller.user_id == Some(owner.id);
    if !own && caller.role != Role::Admin {
        return Err(AccountError::Forbidden);
    }
    if owner.disabled {
        return Err(AccountError::Disabled(owner.email.clone()));
    }
    let new = new_api_token();
    let expires_at = request
        .days
        .map(|d| now + chrono::Duration::days(i64::from(d)));
    let name = request.name.trim();
    let token = write_tx(conn, |conn| {
        let t = tokens::create_api_token(
            conn,
            &NewApiToken {
                user_id: owner.id,
                name,
                scope: request.scope.as_str(),
                hash: &new.hash,
                prefix: &new.prefix,
                expires_at,
            },
            now,
        )?;
        // Someone issuing a token for another account names whose it is.
        let whose = if own {
            String::new()
        } else {
            format!(" for {}", owner.email)
        };
        let until = t
            .expires_at
            .map_or_else(|| "revoked".to_owned(), |end| end.to_rfc3339());
        Entry::new(
            &caller.actor,
            AuditAction::TokenCreate,
            "api_token",
            t.id,
            now,
        )
        .detail(format!("{} ({}){whose} until {until}", t.name, t.scope))
        .record(conn)?;
        Ok::<_, AccountError>(t)
    })?;
    Ok(Issued {
        token,
        secret: new.secret,
    })
}
