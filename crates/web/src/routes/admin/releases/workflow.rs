//! Workflow actions from the editor. Actions posted from the editor form save the text first
//! (so nothing typed is lost), then move the release through the publish pipeline.

use dateline_core::timezone::parse_instant;
use dateline_core::workflow::{self, Transition};
use dateline_core::{Release, ReleaseStatus, ValidationErrors};
use dateline_storage::repo::pipeline::{Applied, Change};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::Staff;
use crate::routes::admin::releases::editor::{Saved, again, errors, save_posted};
use crate::routes::admin::releases::page::{self, Extras};
use crate::routes::admin::releases::{OnRelease, ReleaseFormBody};
use crate::routes::forms::CsrfForm;
use crate::state::AppState;
use crate::usecases::access::{self, check_edit};
use crate::usecases::input::ReleaseForm;
use crate::usecases::{Caller, releases};
use crate::views;

/// Saves the editor's text when they may still edit it, and returns the release to act on.
async fn save_then(
    state: &AppState,
    staff: &Staff,
    caller: &Caller,
    release: Release,
    form: &ReleaseForm,
) -> WebResult<Result<Release, actix_web::HttpResponse>> {
    if check_edit(caller, &release).is_err() {
        return Ok(Ok(release));
    }
    let extras = || Extras {
        embargo_local: Some(form.embargo_local.clone()),
        embargo_zone: Some(form.embargo_zone.clone()),
        ..Default::default()
    };
    Ok(
        match save_posted(state, staff, caller, &release, form, extras).await? {
            Saved::Done(r) => Ok(*r),
            Saved::Shown(res) => Err(res),
        },
    )
}

/// The answer to a move: back to the release with `notice`, or, for a refusal the editor can fix
/// (a past embargo, a forbidden move, a missing reason), the editor page with the message beside
/// the field.
async fn answer(
    state: &AppState,
    staff: &Staff,
    release: &Release,
    outcome: WebResult<Applied>,
    notice: &str,
    extras: Extras,
) -> WebResult {
    match outcome {
        Ok(applied) => Ok(views::see_other(format!(
            "/admin/releases/{}?notice={notice}",
            applied.release.public_id
        ))),
        Err(WebError::Invalid(errors)) => {
            page::render(state, staff, Some(release), Extras { errors, ..extras }).await
        }
        Err(e) => Err(e),
    }
}

/// Runs a move posted from a small form of its own (no release text to save) on the revision the
/// form was based on. `change` is the refusal instead when the form itself was wrong; either
/// way it is said on the editor page, for a release the person may read.
async fn move_without_text(
    (state, staff, caller, id): OnRelease,
    change: WebResult<Change>,
    revision: Option<i64>,
    notice: &str,
) -> WebResult {
    let release = access::load(&state, &caller, &id).await?;
    let outcome = match change {
        Ok(change) => releases::transition(&state, &caller, &release, change, revision).await,
        Err(refused) => Err(refused),
    };
    answer(&state, &staff, &release, outcome, notice, Extras::default()).await
}

/// Saves the posted text where the editor may still change it, then runs `change` on the
/// revision just saved.
async fn save_and_move(
    (state, staff, caller, id): OnRelease,
    form: &ReleaseForm,
    change: Change,
    notice: &str,
) -> WebResult {
    let release = access::load(&state, &caller, &id).await?;
    let release = match save_then(&state, &staff, &caller, release, form).await? {
        Ok(r) => r,
        Err(shown) => return Ok(shown),
    };
    let outcome =
        releases::transition(&state, &caller, &release, change, Some(release.revision)).await;
    let extras = Extras {
        embargo_local: Some(form.embargo_local.clone()),
        embargo_zone: Some(form.embargo_zone.clone()),
        saved: true,
        ..Default::default()
    };
    answer(&state, &staff, &release, outcome, notice, extras).await
}

/// A move that carries only a note.
fn moving(transition: Transition, note: String) -> Change {
    Change::Move { transition, note }
}

pub async fn submit(on: OnRelease, CsrfForm(form): ReleaseFormBody) -> WebResult {
    let change = moving(Transition::Submit, String::new());
    save_and_move(on, &form, change, "submitted").await
}

/// The embargo the form names, if it is a valid time still to come.
fn embargo(state: &AppState, form: &ReleaseForm) -> Result<chrono::DateTime<chrono::Utc>, String> {
    parse_instant(&form.embargo_local, Some(&form.embargo_zone))
        .map_err(|e| crate::error::capitalize(&e.to_string()) + ".")
        .and_then(|t| {
            workflow::check_embargo(t, state.clock.now())
                .map(|()| t)
                .map_err(|refusal| refusal.to_string())
        })
}

pub async fn approve(on: OnRelease, CsrfForm(form): ReleaseFormBody) -> WebResult {
    // Check the embargo before saving anything: a bad time should not half-apply the action.
    let embargo_at = match embargo(&on.0, &form) {
        Ok(t) => t,
        Err(message) => {
            let (state, staff, _, id) = &on;
            let release = access::load(state, staff, id).await?;
            let extras = Extras {
                embargo_local: Some(form.embargo_local.clone()),
                embargo_zone: Some(form.embargo_zone.clone()),
                ..errors(ValidationErrors::single("embargo_at", message))
            };
            return again(state, staff, Some(&release), &form, extras).await;
        }
    };
    let change = Change::Approve { embargo_at };
    save_and_move(on, &form, change, "approved").await
}

pub async fn publish(on: OnRelease, CsrfForm(form): ReleaseFormBody) -> WebResult {
    let change = Change::Publish { at: None };
    save_and_move(on, &form, change, "published").await
}

pub async fn send_back(on: OnRelease, CsrfForm(form): ReleaseFormBody) -> WebResult {
    let note = form.comment.chars().take(2000).collect();
    save_and_move(on, &form, moving(Transition::SendBack, note), "sent-back").await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
    revision: Option<i64>,
}

pub async fn withdraw(on: OnRelease, CsrfForm(f): CsrfForm<ReasonForm>) -> WebResult {
    let change = if f.reason.chars().count() > 1000 {
        Err(WebError::invalid(
            "reason",
            "Keep the notice under 1000 characters.",
        ))
    } else {
        Ok(moving(Transition::Withdraw, f.reason))
    };
    move_without_text(on, change, f.revision, "withdrawn").await
}

pub async fn reinstate(
    (state, _, caller, id): OnRelease,
    CsrfForm(f): CsrfForm<ReasonForm>,
) -> WebResult {
    let release = access::load(&state, &caller, &id).await?;
    let change = moving(Transition::Reinstate, String::new());
    releases::transition(&state, &caller, &release, change, f.revision).await?;
    Ok(views::see_other(format!(
        "/admin/releases/{}?notice=reinstated",
        release.public_id
    )))
}

/// The correction form is the editor itself, in correction mode.
pub async fn correct_form((state, staff, caller, id): OnRelease) -> WebResult {
    let release = access::load(&state, &caller, &id).await?;
    if release.status != ReleaseStatus::Published {
        return Ok(views::see_other(format!(
            "/admin/releases/{}",
            release.public_id
        )));
    }
    page::render(&state, &staff, Some(&release), Extras::default()).await
}

pub async fn correct(
    (state, staff, caller, id): OnRelease,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load(&state, &caller, &id).await?;
    let (content, problems) = form.to_content();
    if !problems.is_empty() {
        return again(&state, &staff, Some(&release), &form, errors(problems)).await;
    }
    let note = form.note.clone();
    match releases::correct(&state, &caller, &release, content, note, form.revision).await {
        Ok(applied) => Ok(views::see_other(format!(
            "/admin/releases/{}?notice=corrected",
            applied.release.public_id
        ))),
        Err(WebError::Invalid(problems)) => {
            again(&state, &staff, Some(&release), &form, errors(problems)).await
        }
        Err(WebError::Conflict {
            current_revision: Some(current),
            ..
        }) => {
            let extras = Extras {
                conflict_with: Some(current),
                ..Default::default()
            };
            again(&state, &staff, Some(&release), &form, extras).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct SlugForm {
    #[serde(default)]
    slug: String,
    revision: Option<i64>,
}

pub async fn change_slug(on: OnRelease, CsrfForm(f): CsrfForm<SlugForm>) -> WebResult {
    let slug = f.slug.trim().to_owned();
    move_without_text(
        on,
        Ok(Change::ChangeSlug { slug }),
        f.revision,
        "slug-changed",
    )
    .await
}
