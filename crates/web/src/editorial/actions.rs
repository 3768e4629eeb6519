//! Workflow actions: the state machine (in `dateline-core`), the permission matrix (in
//! `dateline-auth`) and the object rules, then the one publish pipeline (in `dateline-storage`).

use dateline_auth::permissions::{Permission, for_transition};
use dateline_core::workflow::Transition;
use dateline_core::{Release, ReleaseContent, ReleaseStatus, Role};
use dateline_storage::repo::audit::{AuditAction, Entry, Outcome};
use dateline_storage::repo::pipeline::{self, Applied, Change, Request};
use dateline_storage::repo::releases::{self, RevisionAction};
use dateline_storage::repo::revisions;

use crate::editorial::access::{check_edit, is_own};
use crate::error::{WebError, WebResult};
use crate::extract::Client;
use crate::middleware::identity::Identity;
use crate::state::AppState;

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

/// Applies a workflow change for `identity`, enforcing the matrix and the object rules. Denials
/// are audited.
pub async fn apply(
    state: &AppState,
    identity: &Identity,
    client: &Client,
    release: &Release,
    change: Change,
    expected_revision: Option<i64>,
) -> WebResult<Applied> {
    let transition = transition_of(&change);
    let needed = for_transition(transition);
    let own_submit = transition == Transition::Submit
        && (is_own(identity, release) || identity.role() >= Role::Editor);
    let allowed =
        needed.granted_to(identity.role()) && (transition != Transition::Submit || own_submit);
    if !allowed {
        deny(state, identity, client, release, transition.as_str()).await;
        return Err(
            if identity.role() < Role::Editor && !is_own(identity, release) {
                WebError::NotFound
            } else {
                WebError::Forbidden("Only editors can do this.".into())
            },
        );
    }
    let request = Request {
        release_id: release.id,
        expected_revision,
        change,
        actor: client.actor(Some(identity)),
        now: state.clock.now(),
    };
    let approve = transition == Transition::Approve;
    let applied = state
        .db(move |conn| pipeline::apply(conn, &request))
        .await?;
    if approve {
        state.scheduler_wake.notify_one();
    }
    Ok(applied)
}

async fn deny(
    state: &AppState,
    identity: &Identity,
    client: &Client,
    release: &Release,
    action: &'static str,
) {
    let actor = client.actor(Some(identity));
    let (now, object) = (state.clock.now(), release.public_id.to_string());
    let _ = state
        .db(move |conn| -> WebResult<_> {
            Entry::new(
                &actor,
                AuditAction::PermissionDenied,
                "release",
                object,
                now,
            )
            .detail(format!("tried {action}"))
            .outcome(Outcome::Denied)
            .record(conn)?;
            Ok(())
        })
        .await;
}

/// Saves new content (a plain save or an autosave), compare-and-swap on `expected_revision`.
pub async fn save(
    state: &AppState,
    identity: &Identity,
    client: &Client,
    release: &Release,
    content: ReleaseContent,
    expected_revision: i64,
    autosave: bool,
) -> WebResult<Release> {
    check_edit(identity, release)?;
    let (id, user, actor, now) = (
        release.id,
        identity.user.id,
        client.actor(Some(identity)),
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
            let saved = releases::update_content(
                conn,
                id,
                expected_revision,
                &content,
                Some(user),
                action,
                "",
            )?;
            if saved.revision != expected_revision && !autosave {
                Entry::new(&actor, AuditAction::Save, "release", object, now)
                    .detail(format!("revision {}", saved.revision))
                    .record(conn)?;
            }
            Ok(saved)
        })
        .await
}

/// Restores an earlier revision as a new one. On a live release this is a public change and goes
/// through the publish pipeline, so only editors may do it; an author may restore their own draft.
pub async fn restore(
    state: &AppState,
    identity: &Identity,
    client: &Client,
    release: &Release,
    revision: i64,
    expected_revision: Option<i64>,
    correction_note: &str,
) -> WebResult<Release> {
    let (id, n) = (release.id, revision);
    state.db(move |conn| revisions::get(conn, id, n)).await?;
    if release.status == ReleaseStatus::Published {
        if !Permission::Review.granted_to(identity.role()) {
            return Err(WebError::Forbidden(
                "Only editors can change a live release.".into(),
            ));
        }
        return Ok(apply(
            state,
            identity,
            client,
            release,
            Change::Restore {
                revision,
                note: correction_note.to_owned(),
            },
            expected_revision,
        )
        .await?
        .release);
    }
    check_edit(identity, release)?;
    let (user, actor, now, object) = (
        identity.user.id,
        client.actor(Some(identity)),
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
                Some(user),
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
