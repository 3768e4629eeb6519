//! Object-level rules on top of the permission matrix. A release someone may not read does not
//! exist for them (404), whether asked for by id, revision, history or preview.

use chrono::{DateTime, Utc};
use dateline_auth::permissions::Permission;
use dateline_core::visibility::can_view;
use dateline_core::{PublicId, Release, ReleaseStatus, Role};
use dateline_storage::repo::releases;

use crate::error::{WebError, WebResult};
use crate::middleware::identity::Identity;
use crate::state::AppState;

/// Whether `identity` may read `release` at `now`, by the one visibility rule.
pub fn can_read(identity: &Identity, release: &Release, now: DateTime<Utc>) -> bool {
    can_view(identity.viewer(), &release.visibility_facts(), now)
}

pub fn is_own(identity: &Identity, release: &Release) -> bool {
    release.author_id == Some(identity.user.id)
}

/// Whether `identity` may change the content of `release` with a plain save.
pub fn check_edit(identity: &Identity, release: &Release) -> WebResult<()> {
    let editor = identity.role() >= Role::Editor;
    if !editor && !is_own(identity, release) {
        return Err(WebError::NotFound);
    }
    match release.status {
        ReleaseStatus::Published => Err(WebError::Conflict {
            message: "This release is live: change it by publishing a correction with a note, so readers can see what changed.".into(),
            current_revision: Some(release.revision),
        }),
        ReleaseStatus::Withdrawn => Err(WebError::Conflict { message: "This release was withdrawn: reinstate it before changing it.".into(), current_revision: Some(release.revision) }),
        ReleaseStatus::Draft => Ok(()),
        _ if editor => Ok(()),
        _ => Err(WebError::Forbidden("This release is with the editors now. Ask one to send it back if it needs changes.".into())),
    }
}

/// Loads a release by its public id for someone signed in, or 404 if they may not read it.
pub async fn load(state: &AppState, identity: &Identity, id: &str) -> WebResult<Release> {
    let public_id: PublicId = id.parse().map_err(|_| WebError::NotFound)?;
    let now = state.clock.now();
    let release = state
        .db(move |conn| releases::get_by_public_id(conn, &public_id))
        .await?;
    if can_read(identity, &release, now) {
        Ok(release)
    } else {
        Err(WebError::NotFound)
    }
}

/// Whether `identity` may see a release's working record: earlier revisions, review comments
/// and preview links. A contributor may read a colleague's published release, but not the
/// drafts and editors' notes behind it.
pub fn can_see_workings(identity: &Identity, release: &Release) -> bool {
    sees_workings_of(Some(identity), release.author_id)
}

/// The same rule for a caller who may be anonymous and a release known only by its author, as
/// lists hold them. Those who may not see a release's workings get what its public page shows.
pub fn sees_workings_of(identity: Option<&Identity>, author_id: Option<i64>) -> bool {
    identity
        .is_some_and(|i| Permission::Review.granted_to(i.role()) || author_id == Some(i.user.id))
}

/// Loads a release whose working record `identity` may see, or 404.
pub async fn load_workings(state: &AppState, identity: &Identity, id: &str) -> WebResult<Release> {
    let release = load(state, identity, id).await?;
    if can_see_workings(identity, &release) {
        Ok(release)
    } else {
        Err(WebError::NotFound)
    }
}

/// Loads a release that `identity` may edit.
pub async fn load_editable(state: &AppState, identity: &Identity, id: &str) -> WebResult<Release> {
    let release = load(state, identity, id).await?;
    check_edit(identity, &release)?;
    Ok(release)
}
