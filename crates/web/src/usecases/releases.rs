//! The release use cases: creating, saving, moving through the workflow (approving and
//! publishing included), correcting and restoring. Each checks the permission matrix (in
//! `dateline-auth`) and the object rules ([`access`]), then writes through storage with its audit
//! row; workflow moves go through the one publish pipeline (in `dateline-storage`). The newsroom
//! pages, the JSON API, the scheduler and the demo loader all come here, so no door can skip a
//! rule or an audit row.

use chrono::{DateTime, Utc};
use dateline_auth::permissions::{Permission, for_transition};
use dateline_core::workflow::Transition;
use dateline_core::{Release, ReleaseContent, ReleaseStatus, Role, ValidationErrors};
use dateline_storage::repo::audit::{AuditAction, Entry, Outcome};
use dateline_storage::repo::pipeline::{self, Applied, Change, Request};
use dateline_storage::repo::releases::{self, NewRelease, RevisionAction};
use dateline_storage::repo::revisions;
use dateline_storage::{DbConnection, StorageError, write_tx};

use crate::error::{WebError, WebResult};
use crate::state::AppState;
use crate::usecases::Caller;
use crate::usecases::access::{Principal, check_edit, is_own};

/// Which door a release was created through, as its audit row records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Pages,
    Api,
    /// `dateline import`: a wire text turned into a release.
    WireText,
}

/// Creates a draft written by `caller`, with its audit row, in one transaction.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    content: ReleaseContent,
    via: Via,
) -> WebResult<Release> {
    let (caller, now) = (caller.clone(), state.clock.now());
    state
        .db(move |conn| create_in(conn, &caller, content, via, now))
        .await
}

/// [`create`] on a connection, for callers that do more in the same transaction (an import
/// records the text's fingerprint with it).
pub fn create_in(
    conn: &mut DbConnection,
    caller: &Caller,
    content: ReleaseContent,
    via: Via,
    now: DateTime<Utc>,
) -> Result<Release, StorageError> {
    let detail = match via {
        Via::Pages => "",
        Via::Api => "via API",
        Via::WireText => "imported from wire text",
    };
    write_tx(conn, |conn| {
        let r = releases::create(
            conn,
            &NewRelease {
                content,
                author_id: caller.user_id,
            },
        )?;
        Entry::new(
            &caller.actor,
            AuditAction::ReleaseCreate,
            "release",
            &r.public_id,
            now,
        )
        .detail(detail)
        .record(conn)?;
        Ok(r)
    })
}

/// A plain save from the editor or the API, or a quiet autosave of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saving {
    Save,
    Autosave,
}

/// Saves new content, compare-and-swap on `expected_revision`. Autosaves keep only drafts and
/// leave no audit row (the next plain save or action records the work).
pub async fn save(
    state: &AppState,
    caller: &Caller,
    release: &Release,
    content: ReleaseContent,
    expected_revision: i64,
    saving: Saving,
) -> WebResult<Release> {
    check_edit(caller, release)?;
    let autosave = saving == Saving::Autosave;
    if autosave && release.status != ReleaseStatus::Draft {
        return Err(WebError::Conflict {
            message: "Only drafts are saved automatically.".into(),
            current_revision: Some(release.revision),
        });
    }
    let (id, user, actor, now) = (
        release.id,
        caller.user_id,
        caller.actor.clone(),
        state.clock.now(),
    );
    let object = release.public_id.to_string();
    let action = if autosave {
        RevisionAction::Autosave
    } else {
        RevisionAction::Save
    };
    state
        .db(move |conn| -> WebResult<_> {
            let saved =
                releases::update_content(conn, id, expected_revision, &content, user, action, "")?;
            if saved.revision != expected_revision && !autosave {
                Entry::new(&actor, AuditAction::Save, "release", object, now)
                    .detail(format!("revision {}", saved.revision))
                    .record(conn)?;
            }
            Ok(saved)
        })
        .await
}

/// Why a change on a connection did not happen.
#[derive(Debug)]
pub enum Failed {
    /// The rules refused the caller; the refusal is already in the audit log.
    Refused(WebError),
    Storage(StorageError),
}

impl From<StorageError> for Failed {
    fn from(e: StorageError) -> Self {
        Failed::Storage(e)
    }
}

impl From<Failed> for WebError {
    fn from(f: Failed) -> Self {
        match f {
            Failed::Refused(e) => e,
            Failed::Storage(e) => e.into(),
        }
    }
}

/// For the system's own writes, which run inside a storage transaction (a scheduler job, the
/// demo load): a refusal can never succeed later, so it counts as invalid input.
impl From<Failed> for StorageError {
    fn from(f: Failed) -> Self {
        match f {
            Failed::Refused(e) => {
                StorageError::Invalid(ValidationErrors::single("caller", e.to_string()))
            }
            Failed::Storage(e) => e,
        }
    }
}

fn transition_of(change: &Change) -> Transition {
    match change {
        Change::Move { transition, .. } => *transition,
        Change::Approve { .. } => Transition::Approve,
        Change::Publish { .. } => Transition::Publish,
        Change::Correct { .. } | Change::Restore { .. } | Change::ChangeSlug { .. } => {
            Transition::Correct
        }
    }
}

/// The matrix and the object rules for `transition`: the answer to give when refused. Someone
/// who may not read a colleague's release is not told it exists.
fn refusal(caller: &Caller, release: &Release, transition: Transition) -> Option<WebError> {
    let role = caller.role();
    let own_submit =
        transition == Transition::Submit && (is_own(caller, release) || role >= Role::Editor);
    let allowed = for_transition(transition).granted_to(role)
        && (transition != Transition::Submit || own_submit);
    if allowed {
        None
    } else if role < Role::Editor && !is_own(caller, release) {
        Some(WebError::NotFound)
    } else {
        Some(WebError::Forbidden("Only editors can do this.".into()))
    }
}

/// Moves `release` through the publish pipeline for `caller`, on a connection: the scheduler
/// and the demo loader call this inside their own transactions. A refusal is audited.
pub fn transition_in(
    conn: &mut DbConnection,
    caller: &Caller,
    release: &Release,
    change: Change,
    expected_revision: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Applied, Failed> {
    let transition = transition_of(&change);
    if let Some(refused) = refusal(caller, release, transition) {
        let entry = Entry::new(
            &caller.actor,
            AuditAction::PermissionDenied,
            "release",
            release.public_id.to_string(),
            now,
        )
        .detail(format!("tried {}", transition.as_str()))
        .outcome(Outcome::Denied);
        // The refusal stands whether or not the log takes it.
        let _ = entry.record(conn);
        return Err(Failed::Refused(refused));
    }
    let request = Request {
        release_id: release.id,
        expected_revision,
        change,
        actor: caller.actor.clone(),
        now,
    };
    Ok(pipeline::apply(conn, &request)?)
}

/// Applies a workflow change (submit, approve, publish, send back, withdraw, reinstate, a slug
/// change) for `caller`, compare-and-swap on `expected_revision` when given.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    release: &Release,
    change: Change,
    expected_revision: Option<i64>,
) -> WebResult<Applied> {
    let approve = matches!(change, Change::Approve { .. });
    let (caller, release, now) = (caller.clone(), release.clone(), state.clock.now());
    let applied = state
        .db(move |conn| transition_in(conn, &caller, &release, change, expected_revision, now))
        .await?;
    if approve {
        // A new embargo may fall due before the scheduler's next poll.
        state.scheduler_wake.notify_one();
    }
    Ok(applied)
}

/// Publishes a correction of a live release: new content and the public note saying what changed.
pub async fn correct(
    state: &AppState,
    caller: &Caller,
    release: &Release,
    content: ReleaseContent,
    note: String,
    expected_revision: Option<i64>,
) -> WebResult<Applied> {
    let change = Change::Correct {
        content: Box::new(content),
        note,
    };
    transition(state, caller, release, change, expected_revision).await
}

/// Restores an earlier revision as a new one. On a live release this is a public change and goes
/// through the publish pipeline, so only editors may do it; an author may restore their own draft.
pub async fn restore(
    state: &AppState,
    caller: &Caller,
    release: &Release,
    revision: i64,
    expected_revision: Option<i64>,
    correction_note: &str,
) -> WebResult<Release> {
    let (id, n) = (release.id, revision);
    state.db(move |conn| revisions::get(conn, id, n)).await?;
    if release.status == ReleaseStatus::Published {
        if !Permission::Review.granted_to(caller.role) {
            return Err(WebError::Forbidden(
                "Only editors can change a live release.".into(),
            ));
        }
        let change = Change::Restore {
            revision,
            note: correction_note.to_owned(),
        };
        let applied = transition(state, caller, release, change, expected_revision).await?;
        return Ok(applied.release);
    }
    check_edit(caller, release)?;
    let (user, actor, now, object) = (
        caller.user_id,
        caller.actor.clone(),
        state.clock.now(),
        release.public_id.to_string(),
    );
    let current = expected_revision.unwrap_or(release.revision);
    state
        .db(move |conn| -> WebResult<_> {
            let content = revisions::get(conn, id, n)?.1;
            let saved = releases::update_content(
                conn,
                id,
                current,
                &content,
                user,
                RevisionAction::Restore,
                &format!("restored revision {n}"),
            )?;
            Entry::new(&actor, AuditAction::Restore, "release", object, now)
                .detail(format!("revision {n} restored as {}", saved.revision))
                .record(conn)?;
            Ok(saved)
        })
        .await
}
