//! Asking a signed-in person for their password again before a sensitive change (a new
//! password, turning off the second factor). Wrong answers count against the same per-account
//! throttle as the sign-in form, so a stolen session cannot guess faster than the login page
//! lets anyone guess.

use dateline_auth::password;
use dateline_core::user::normalize_email;
use dateline_storage::repo::{throttle, users};

use crate::error::{WebError, WebResult};
use crate::extract::Staff;
use crate::routes::auth::login::{ACCOUNT_POLICY, FORGET_AFTER_MINUTES, account_key, retry_after};
use crate::state::AppState;

/// Whether `candidate` is `staff`'s password. While the account is locked the answer is 429
/// without any argon2 work, whatever was typed.
pub async fn current_password_ok(
    state: &AppState,
    staff: &Staff,
    candidate: &str,
) -> WebResult<bool> {
    let key = account_key(&normalize_email(&staff.user.email));
    let now = state.clock.now();
    let user_id = staff.user.id;
    let k = key.clone();
    let (locked, stored) = state
        .db(move |conn| {
            Ok((
                throttle::locked_until(conn, &k, now)?,
                users::credentials(conn, user_id)?.password_hash,
            ))
        })
        .await?;
    if let Some(until) = locked {
        return Err(WebError::TooManyRequests {
            retry_after: retry_after(until, now),
        });
    }
    let pw = candidate.to_owned();
    let ok = state
        .hashing(move || password::verify(&pw, &stored).is_ok_and(|v| v.ok))
        .await?;
    let forget = chrono::Duration::minutes(FORGET_AFTER_MINUTES);
    state
        .db(move |conn| {
            if ok {
                throttle::clear(conn, &key)?;
            } else {
                throttle::record_failure(conn, &key, now, forget, |n| {
                    ACCOUNT_POLICY.lock_after(n)
                })?;
            }
            Ok(())
        })
        .await?;
    Ok(ok)
}
