//! Asking a signed-in person for their password again before a sensitive change (a new
//! password, turning off the second factor). Wrong answers count against the same per-account
//! throttle as the sign-in form, so a stolen session cannot guess faster than the login page
//! lets anyone guess.

use dateline_auth::password;
use dateline_core::user::normalize_email;
use dateline_storage::repo::users;

use crate::error::WebResult;
use crate::extract::Staff;
use crate::routes::auth::attempts::{self, Limit};
use crate::state::AppState;

/// Whether `candidate` is `staff`'s password. While the account is locked the answer is 429
/// without any argon2 work, whatever was typed; the attempt is counted before the check.
pub async fn current_password_ok(
    state: &AppState,
    staff: &Staff,
    candidate: &str,
) -> WebResult<bool> {
    let user_id = staff.user.id;
    let stored = state
        .db(move |conn| users::credentials(conn, user_id).map(|c| c.password_hash))
        .await?;
    let pw = candidate.to_owned();
    let limit = Limit::account(&state.key, &normalize_email(&staff.user.email));
    let checked = attempts::check_hashed(state, vec![limit], move || {
        password::verify(&pw, &stored)
            .is_ok_and(|v| v.ok)
            .then_some(())
    })
    .await?;
    Ok(checked.passed().is_some())
}
