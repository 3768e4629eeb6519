//! Object-level rules on top of the permission matrix. A release someone may not read does not
//! exist for them (404), whether asked for by id, revision, history or preview.
//!
//! The rules ask only who is acting and in which role ([`Principal`]), so the same rule serves a
//! use case's [`Caller`] and a page's signed-in identity.

use chrono::{DateTime, Utc};
use dateline_auth::permissions::Permission;
use dateline_core::visibility::can_view;
use dateline_core::{PublicId, Release, ReleaseStatus, Role, Viewer};
use dateline_storage::repo::releases;

use crate::error::{WebError, WebResult};
use crate::state::AppState;
use crate::usecases::Caller;

/// Someone the access rules can judge: an account (or the system, with no account) in a role.
pub trait Principal {
    /// The acting account; `None` for the system itself.
    fn user_id(&self) -> Option<i64>;
    fn role(&self) -> Role;
}

impl Principal for Caller {
    fn user_id(&self) -> Option<i64> {
        self.user_id
    }

    fn role(&self) -> Role {
        self.role
    }
}

/// Whether `who` may read `release` at `now`, by the one visibility rule. The system, acting for
/// no account, reads every release.
pub fn can_read<P: Principal + ?Sized>(who: &P, release: &Release, now: DateTime<Utc>) -> bool {
    who.user_id().is_none_or(|user_id| {
        let viewer = Viewer::Staff {
            user_id,
            role: who.role(),
        };
        can_view(viewer, &release.visibility_facts(), now)
    })
}

pub fn is_own<P: Principal + ?Sized>(who: &P, release: &Release) -> bool {
    who.user_id().is_some() && release.author_id == who.user_id()
}

/// Whether `who` may change the content of `release` with a plain save.
pub fn check_edit<P: Principal + ?Sized>(who: &P, release: &Release) -> WebResult<()> {
    let editor = who.role() >= Role::Editor;
    if !editor && !is_own(who, release) {
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

/// Loads a release by its public id for `who`, or 404 if they may not read it.
pub async fn load<P: Principal + ?Sized>(
    state: &AppState,
    who: &P,
    id: &str,
) -> WebResult<Release> {
    let public_id: PublicId = id.parse().map_err(|_| WebError::NotFound)?;
    let now = state.clock.now();
    let release = state
        .db(move |conn| releases::get_by_public_id(conn, &public_id))
        .await?;
    if can_read(who, &release, now) {
        Ok(release)
    } else {
        Err(WebError::NotFound)
    }
}

/// Whether `who` may see a release's working record: earlier revisions, review comments and
/// preview links. A contributor may read a colleague's published release, but not the drafts
/// and editors' notes behind it.
pub fn can_see_workings<P: Principal + ?Sized>(who: &P, release: &Release) -> bool {
    sees_workings_of(Some(who), release.author_id)
}

/// The same rule for a caller who may be anonymous and a release known only by its author, as
/// lists hold them. Those who may not see a release's workings get what its public page shows.
pub fn sees_workings_of<P: Principal + ?Sized>(who: Option<&P>, author_id: Option<i64>) -> bool {
    who.is_some_and(|w| {
        Permission::Review.granted_to(w.role()) || (author_id.is_some() && author_id == w.user_id())
    })
}

/// Loads a release `who` may read, then holds it to `rule`.
async fn load_under<P: Principal + ?Sized>(
    state: &AppState,
    who: &P,
    id: &str,
    rule: impl FnOnce(&P, &Release) -> WebResult<()>,
) -> WebResult<Release> {
    let release = load(state, who, id).await?;
    rule(who, &release)?;
    Ok(release)
}

/// Loads a release whose working record `who` may see, or 404.
pub async fn load_workings<P: Principal + ?Sized>(
    state: &AppState,
    who: &P,
    id: &str,
) -> WebResult<Release> {
    let workings = |who: &P, release: &Release| {
        if can_see_workings(who, release) {
            Ok(())
        } else {
            Err(WebError::NotFound)
        }
    };
    load_under(state, who, id, workings).await
}

/// Loads a release that `who` may edit.
pub async fn load_editable<P: Principal + ?Sized>(
    state: &AppState,
    who: &P,
    id: &str,
) -> WebResult<Release> {
    load_under(state, who, id, check_edit).await
}
