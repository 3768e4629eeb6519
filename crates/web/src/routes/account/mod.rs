//! A person's own account: profile, password, sessions, two-factor sign-in and API tokens.

pub mod profile;
pub mod tokens;
pub mod two_factor;

use dateline_core::User;
use dateline_storage::repo::sessions::{self, Session};
use dateline_storage::repo::users::{self, UserCredentials};

use crate::error::WebResult;
use crate::state::AppState;

/// An account as its page shows it (one's own at `/account`, anyone's for admins at
/// `/admin/users/{id}`): the person, their sign-in settings and their live sessions.
pub async fn with_sessions(
    state: &AppState,
    id: i64,
) -> WebResult<(User, UserCredentials, Vec<Session>)> {
    let now = state.clock.now();
    state
        .db(move |conn| -> WebResult<_> {
            Ok((
                users::get(conn, id)?,
                users::credentials(conn, id)?,
                sessions::list_for_user(conn, id, now)?,
            ))
        })
        .await
}
