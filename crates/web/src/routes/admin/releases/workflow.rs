//! Workflow actions from the editor. Actions posted from the editor form save the text first
//! (so nothing typed is lost), then move the release through the publish pipeline.

use actix_web::web;
use dateline_core::timezone::parse_instant;
use dateline_core::workflow::{self, Transition};
use dateline_core::{Release, ReleaseStatus, ValidationErrors};
use dateline_storage::repo::pipeline::Change;
use serde::Deserialize;

use crate::editorial::access::{self, check_edit};
use crate::editorial::actions;
use crate::editorial::input::ReleaseForm;
use crate::error::{WebError, WebResult};
use crate::extract::{Client, Staff};
use crate::routes::admin::releases::ReleaseFormBody;
use crate::routes::admin::releases::editor::{Saved, save_posted};
use crate::routes::admin::releases::page::{self, Extras};
use crate::routes::forms::CsrfForm;
use crate::state::AppState;
use crate::views;

/// Saves the editor's text when they may still edit it, and returns the release to act on.
async fn save_then(
    state: &AppState,
    staff: &Staff,
    client: &Client,
    release: Release,
    form: &ReleaseForm,
) -> WebResult<Result<Release, actix_web::HttpResponse>> {
    if check_edit(staff, &release).is_err() {
        return Ok(Ok(release));
    }
    let embargo = (form.embargo_local.clone(), form.embargo_zone.clone());
    let extras = || Extras {
        embargo_local: Some(embargo.0.clone()),
        embargo_zone: Some(embargo.1.clone()),
        ..Default::default()
    };
    Ok(
        match save_posted(state, staff, client, &release, form, extras).await? {
            Saved::Done(r) => Ok(*r),
            Saved::Shown(res) => Err(res),
        },
    )
}

/// Runs a change; a refusal the editor can fix (a past embargo, a forbidden move) comes back as
/// the editor page with the message beside the field.
async fn act(
    state: &AppState,
    staff: &Staff,
    client: &Client,
    release: &Release,
    change: Change,
    notice: &str,
    form: Option<&ReleaseForm>,
) -> WebResult {
    match actions::apply(
        state,
        staff,
        client,
        release,
        change,
        Some(release.revision),
    )
    .await
    {
        Ok(applied) => Ok(views::see_other(format!(
            "/admin/releases/{}?notice={notice}",
            applied.release.public_id
        ))),
        Err(WebError::Invalid(errors)) => {
            let extras = Extras {
                errors,
                embargo_local: form.map(|f| f.embargo_local.clone()),
                embargo_zone: form.map(|f| f.embargo_zone.clone()),
                saved: form.is_some(),
                ..Default::default()
            };
            page::render(state, staff, Some(release), extras).await
        }
        Err(e) => Err(e),
    }
}

macro_rules! saved_or_shown {
    ($e:expr) => {
        match $e? {
            Ok(r) => r,
            Err(res) => return Ok(res),
        }
    };
}

pub async fn submit(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
    let release = saved_or_shown!(save_then(&state, &staff, &client, release, &form).await);
    act(
        &state,
        &staff,
        &client,
        &release,
        Change::Move {
            transition: Transition::Submit,
            note: String::new(),
        },
        "submitted",
        Some(&form),
    )
    .await
}

pub async fn approve(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
    // Check the embargo before saving anything: a bad time should not half-apply the action.
    let checked = parse_instant(&form.embargo_local, Some(&form.embargo_zone))
        .map_err(|e| crate::error::capitalize(&e.to_string()) + ".")
        .and_then(|t| {
            workflow::check_embargo(t, state.clock.now())
                .map(|()| t)
                .map_err(|refusal| refusal.to_string())
        });
    let embargo_at = match checked {
        Ok(t) => t,
        Err(message) => {
            let extras = Extras {
                form: Some(form.clone()),
                errors: ValidationErrors::single("embargo_at", message),
                embargo_local: Some(form.embargo_local.clone()),
                embargo_zone: Some(form.embargo_zone.clone()),
                ..Default::default()
            };
            return page::render(&state, &staff, Some(&release), extras).await;
        }
    };
    let release = saved_or_shown!(save_then(&state, &staff, &client, release, &form).await);
    act(
        &state,
        &staff,
        &client,
        &release,
        Change::Approve { embargo_at },
        "approved",
        Some(&form),
    )
    .await
}

pub async fn publish(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
    let release = saved_or_shown!(save_then(&state, &staff, &client, release, &form).await);
    act(
        &state,
        &staff,
        &client,
        &release,
        Change::Publish { at: None },
        "published",
        Some(&form),
    )
    .await
}

pub async fn send_back(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
    let release = saved_or_shown!(save_then(&state, &staff, &client, release, &form).await);
    let note = form.comment.chars().take(2000).collect();
    act(
        &state,
        &staff,
        &client,
        &release,
        Change::Move {
            transition: Transition::SendBack,
            note,
        },
        "sent-back",
        Some(&form),
    )
    .await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
    revision: Option<i64>,
}

pub async fn withdraw(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(f): CsrfForm<ReasonForm>,
) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
    if f.reason.chars().count() > 1000 {
        return page::render(
            &state,
            &staff,
            Some(&release),
            Extras {
                errors: ValidationErrors::single(
                    "reason",
                    "Keep the notice under 1000 characters.",
                ),
                ..Default::default()
            },
        )
        .await;
    }
    let change = Change::Move {
        transition: Transition::Withdraw,
        note: f.reason,
    };
    match actions::apply(&state, &staff, &client, &release, change, f.revision).await {
        Ok(_) => Ok(views::see_other(format!(
            "/admin/releases/{}?notice=withdrawn",
            release.public_id
        ))),
        Err(WebError::Invalid(errors)) => {
            page::render(
                &state,
                &staff,
                Some(&release),
                Extras {
                    errors,
                    ..Default::default()
                },
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn reinstate(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(f): CsrfForm<ReasonForm>,
) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
    actions::apply(
        &state,
        &staff,
        &client,
        &release,
        Change::Move {
            transition: Transition::Reinstate,
            note: String::new(),
        },
        f.revision,
    )
    .await?;
    Ok(views::see_other(format!(
        "/admin/releases/{}?notice=reinstated",
        release.public_id
    )))
}

/// The correction form is the editor itself, in correction mode.
pub async fn correct_form(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
    if release.status != ReleaseStatus::Published {
        return Ok(views::see_other(format!(
            "/admin/releases/{}",
            release.public_id
        )));
    }
    page::render(&state, &staff, Some(&release), Extras::default()).await
}

pub async fn correct(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
    let (content, errors) = form.to_content();
    if !errors.is_empty() {
        return page::render(
            &state,
            &staff,
            Some(&release),
            Extras {
                form: Some(form),
                errors,
                ..Default::default()
            },
        )
        .await;
    }
    let expected = form.revision;
    let change = Change::Correct {
        content: Box::new(content),
        note: form.note.clone(),
    };
    match actions::apply(&state, &staff, &client, &release, change, expected).await {
        Ok(applied) => Ok(views::see_other(format!(
            "/admin/releases/{}?notice=corrected",
            applied.release.public_id
        ))),
        Err(WebError::Invalid(errors)) => {
            page::render(
                &state,
                &staff,
                Some(&release),
                Extras {
                    form: Some(form),
                    errors,
                    ..Default::default()
                },
            )
            .await
        }
        Err(WebError::Conflict {
            current_revision: Some(current),
            ..
        }) => {
            page::render(
                &state,
                &staff,
                Some(&release),
                Extras {
                    form: Some(form),
                    conflict_with: Some(current),
                    ..Default::default()
                },
            )
            .await
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

pub async fn change_slug(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(f): CsrfForm<SlugForm>,
) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
    let slug = f.slug.trim().to_owned();
    match actions::apply(
        &state,
        &staff,
        &client,
        &release,
        Change::ChangeSlug { slug },
        f.revision,
    )
    .await
    {
        Ok(_) => Ok(views::see_other(format!(
            "/admin/releases/{}?notice=slug-changed",
            release.public_id
        ))),
        Err(WebError::Invalid(errors)) => {
            page::render(
                &state,
                &staff,
                Some(&release),
                Extras {
                    errors,
                    ..Default::default()
                },
            )
            .await
        }
        Err(e) => Err(e),
    }
}
