//! Changes to what releases refer to: organizations, categories, regions and tags. Public pages
//! print their names, so each change bumps the content version that public caches revalidate
//! against and leaves an audit row, in the same transaction as the change itself. The newsroom
//! pages and the JSON API both change the catalogue through [`change`].

use dateline_storage::repo::audit::{Actor, AuditAction, Entry};
use dateline_storage::repo::settings;
use dateline_storage::{DbConnection, write_tx};

use crate::error::{WebError, WebResult};
use crate::state::AppState;

/// How a catalogue change is recorded in the audit log.
pub struct Record {
    actor: Actor,
    action: AuditAction,
    object_kind: &'static str,
    detail: &'static str,
}

impl Record {
    /// `actor` did `action` to an object of `object_kind` ("organization", "category", …).
    pub fn new(actor: Actor, action: AuditAction, object_kind: &'static str) -> Self {
        Record {
            actor,
            action,
            object_kind,
            detail: "",
        }
    }

    /// Marks the change as made through the JSON API.
    pub fn via_api(self) -> Self {
        Record {
            detail: "via API",
            ..self
        }
    }
}

/// Runs `apply` in one write transaction with the content-version bump and the audit row.
/// `apply` returns its result and the id of the object it changed, for the audit row.
pub async fn change<T, F>(state: &AppState, record: Record, apply: F) -> WebResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> WebResult<(T, String)> + Send + 'static,
{
    let now = state.clock.now();
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let (value, object) = apply(conn)?;
                settings::bump_content_version(conn, now)?;
                Entry::new(
                    &record.actor,
                    record.action,
                    record.object_kind,
                    object,
                    now,
                )
                .detail(record.detail)
                .record(conn)?;
                Ok::<_, WebError>(value)
            })
        })
        .await
}
