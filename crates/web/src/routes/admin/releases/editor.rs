//! Creating and editing releases: the editor page, saves, autosaves, body previews and the
//! reader's-eye preview. Every save carries the revision it started from; a stale save is a 409
//! that shows both versions and keeps the editor's text.

use actix_web::HttpResponse;
use dateline_core::Release;
use dateline_storage::StorageError;
use dateline_storage::repo::organizations;

use crate::error::{WebError, WebResult};
use crate::extract::{Notice, Staff, State, Visitor};
use crate::routes::admin::releases::page::{self, Extras};
use crate::routes::admin::releases::{OnRelease, ReleaseFormBody};
use crate::routes::forms::CsrfForm;
use crate::state::AppState;
use crate::usecases::input::ReleaseForm;
use crate::usecases::releases::{Saving, Via};
use crate::usecases::{self, Caller, access};
use crate::views;

/// Replaces ticked contacts on file with contact rows, reading the organizations they came from.
async fn with_picked_contacts(state: &AppState, mut form: ReleaseForm) -> WebResult<ReleaseForm> {
    let orgs = form.picked_organizations();
    if orgs.is_empty() {
        return Ok(form);
    }
    let on_file = state
        .db(move |conn| -> WebResult<_> {
            let mut out = Vec::new();
            for id in orgs {
                match organizations::get(conn, id) {
                    Ok(o) => out.push((o.id, o.contacts)),
                    // Deleted since the page was shown: its ticks are dropped.
                    Err(StorageError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(out)
        })
        .await?;
    form.add_picked_contacts(&on_file);
    Ok(form)
}

/// The editor page again with the posted text in it, whatever went wrong.
pub(crate) async fn again(
    state: &AppState,
    staff: &Staff,
    release: Option<&Release>,
    form: &ReleaseForm,
    extras: Extras,
) -> WebResult {
    let extras = Extras {
        form: Some(form.clone()),
        ..extras
    };
    page::render(state, staff, release, extras).await
}

/// Problems found reading the form, as the page's extras.
pub(crate) fn errors(errors: dateline_core::ValidationErrors) -> Extras {
    Extras {
        errors,
        ..Default::default()
    }
}

pub async fn new_form(state: State, staff: Staff) -> WebResult {
    page::render(&state, &staff, None, Extras::default()).await
}

pub async fn create(state: State, staff: Staff, CsrfForm(form): ReleaseFormBody) -> WebResult {
    let caller = staff.caller();
    let form = with_picked_contacts(&state, form).await?;
    let (content, problems) = form.to_content();
    let created = if problems.is_empty() {
        usecases::releases::create(&state, &caller, content, Via::Pages).await
    } else {
        Err(WebError::Invalid(problems))
    };
    let r = match created {
        Err(WebError::Invalid(problems)) => {
            return again(&state, &staff, None, &form, errors(problems)).await;
        }
        other => other?,
    };
    Ok(views::see_other(format!(
        "/admin/releases/{}?notice=created",
        r.public_id
    )))
}

pub async fn edit((state, staff, caller, id): OnRelease, notice: Notice) -> WebResult {
    let release = access::load(&state, &caller, &id).await?;
    let extras = Extras {
        notice: notice.0,
        ..Default::default()
    };
    page::render(&state, &staff, Some(&release), extras).await
}

/// The outcome of trying to save the posted form.
pub enum Saved {
    Done(Box<Release>),
    /// The editor page to show instead (errors or a conflict), with the posted text in it.
    Shown(HttpResponse),
}

/// Saves posted content. Errors and conflicts come back as the editor page, never as lost text.
pub async fn save_posted(
    state: &AppState,
    staff: &Staff,
    caller: &Caller,
    release: &Release,
    form: &ReleaseForm,
    extras: impl Fn() -> Extras,
) -> WebResult<Saved> {
    let form = &with_picked_contacts(state, form.clone()).await?;
    let (content, problems) = form.to_content();
    let shown = |release: &Release, more: Extras| {
        let release = release.clone();
        async move {
            Ok(Saved::Shown(
                again(state, staff, Some(&release), form, more).await?,
            ))
        }
    };
    if !problems.is_empty() {
        return shown(
            release,
            Extras {
                errors: problems,
                ..extras()
            },
        )
        .await;
    }
    let expected = form.revision.ok_or_else(|| {
        WebError::BadRequest("The form lacks the revision it was based on; reload the page.".into())
    })?;
    match usecases::releases::save(state, caller, release, content, expected, Saving::Save).await {
        Ok(saved) => Ok(Saved::Done(Box::new(saved))),
        Err(WebError::Conflict {
            current_revision: Some(current),
            ..
        }) if current != release.revision || current != expected => {
            let fresh = access::load(state, caller, release.public_id.as_str()).await?;
            let more = Extras {
                conflict_with: Some(current),
                ..extras()
            };
            shown(&fresh, more).await
        }
        Err(WebError::Invalid(problems)) => {
            shown(
                release,
                Extras {
                    errors: problems,
                    ..extras()
                },
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn save(
    (state, staff, caller, id): OnRelease,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load_editable(&state, &caller, &id).await?;
    match save_posted(&state, &staff, &caller, &release, &form, Extras::default).await? {
        Saved::Done(r) => Ok(views::see_other(format!(
            "/admin/releases/{}?notice=saved",
            r.public_id
        ))),
        Saved::Shown(res) => Ok(res),
    }
}

/// Quiet background saves of drafts (JavaScript only). Answers JSON: the new revision, or a
/// problem (409 when someone else saved first: autosave then stops rather than overwrite).
pub async fn autosave(
    (state, _, caller, id): OnRelease,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load_editable(&state, &caller, &id).await?;
    let (content, problems) = form.to_content();
    if !problems.is_empty() {
        return Err(WebError::Invalid(problems));
    }
    let expected = form
        .revision
        .ok_or_else(|| WebError::BadRequest("The revision is missing.".into()))?;
    let saved = usecases::releases::save(
        &state,
        &caller,
        &release,
        content,
        expected,
        Saving::Autosave,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "revision": saved.revision, "status": saved.status.as_str() })))
}

/// Renders the posted body as it will print, without saving. Needs edit rights (`docs/security.md` Z6).
pub async fn render_preview(
    (state, staff, caller, id): OnRelease,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load_editable(&state, &caller, &id).await?;
    let (_, problems) = form.to_content();
    let extras = Extras {
        preview: true,
        ..errors(problems)
    };
    again(&state, &staff, Some(&release), &form, extras).await
}

/// The release as readers will see it, with a banner while it is not public.
pub async fn preview((state, staff, caller, id): OnRelease) -> WebResult {
    let release = access::load(&state, &caller, &id).await?;
    let now = state.clock.now();
    let loaded = state
        .db(move |conn| crate::views::release_page::load_page(conn, release, now))
        .await?;
    let newsroom = views::load_newsroom(&state).await?;
    let banner = (loaded.release.status != dateline_core::ReleaseStatus::Published).then(|| {
        format!(
            "Preview: this release is {} and not public.",
            loaded.release.status.label().to_lowercase()
        )
    });
    let visitor = Visitor(Some(staff.0.clone()));
    let mut page =
        crate::views::release_page::release_page(&state, &newsroom, &visitor, loaded, banner);
    page.chrome.noindex = true;
    // The address stays private through the staff area's referrer policy.
    views::ok(&page)
}
