//! Audit rows written on their own, outside the change they describe: sign-in events, where
//! what happened (a refusal, a session) stands whether or not the row could be written.

use dateline_storage::repo::audit::{Actor, Entry};

use crate::error::{WebError, chain};
use crate::state::AppState;

/// Writes the entry `entry` builds for `actor`. A failure is logged, not shown: the person's
/// request already had its effect, and a sign-in must not fail because the log could not be
/// written.
pub async fn record_apart<F>(state: &AppState, actor: Actor, entry: F)
where
    F: for<'a> FnOnce(&'a Actor) -> Entry<'a> + Send + 'static,
{
    let result = state
        .db(move |conn| {
            let e = entry(&actor);
            e.record(conn)
                .map_err(|err| WebError::internal_in(e.action.as_str(), err))
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %chain(&e), "could not write an audit row");
    }
}
