//! Creating and editing releases: the editor page, saves, autosaves, body previews and the
//! reader's-eye preview. Every save carries the revision it started from; a stale save is a 409
//! that shows both versions and keeps the editor's text.

use actix_web::{HttpResponse, web};
use dateline_storage::StorageError;
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::organizations;
use dateline_storage::repo::releases::{self, NewRelease};

use crate::editorial::access;
use crate::editorial::actions;
use crate::editorial::input::ReleaseForm;
use crate::error::{WebError, WebResult};
use crate::extract::{Client, Notice, Staff, Visitor};
use crate::routes::admin::releases::ReleaseFormBody;
use crate::routes::admin::releases::page::{self, Extras};
use crate::routes::forms::CsrfForm;
use crate::state::AppState;
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

pub async fn new_form(state: web::Data<AppState>, staff: Staff) -> WebResult {
    page::render(&state, &staff, None, Extras::default()).await
}

pub async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let form = with_picked_contacts(&state, form).await?;
    let (content, errors) = form.to_content();
    if !errors.is_empty() {
        return page::render(
            &state,
            &staff,
            None,
            Extras {
                form: Some(form),
                errors,
                ..Default::default()
            },
        )
        .await;
    }
    let (author, actor, now) = (staff.user.id, client.actor(Some(&staff)), state.clock.now());
    let created = state
        .db(move |conn| -> WebResult<_> {
            Ok(dateline_storage::write_tx(conn, |conn| {
                let r = releases::create(
                    conn,
                    &NewRelease {
                        content,
                        author_id: Some(author),
                    },
                )?;
                Entry::new(
                    &actor,
                    AuditAction::ReleaseCreate,
                    "release",
                    &r.public_id,
                    now,
                )
                .record(conn)?;
                Ok::<_, StorageError>(r)
            }))
        })
        .await?;
    match created {
        Ok(r) => Ok(views::see_other(format!(
            "/admin/releases/{}?notice=created",
            r.public_id
        ))),
        Err(StorageError::Invalid(errors)) => {
            page::render(
                &state,
                &staff,
                None,
                Extras {
                    form: Some(form),
                    errors,
                    ..Default::default()
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    notice: Notice,
) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
    page::render(
        &state,
        &staff,
        Some(&release),
        Extras {
            notice: notice.0,
            ..Default::default()
        },
    )
    .await
}

/// The outcome of trying to save the posted form.
pub enum Saved {
    Done(Box<dateline_core::Release>),
    /// The editor page to show instead (errors or a conflict), with the posted text in it.
    Shown(HttpResponse),
}

/// Saves posted content. Errors and conflicts come back as the editor page, never as lost text.
pub async fn save_posted(
    state: &AppState,
    staff: &Staff,
    client: &Client,
    release: &dateline_core::Release,
    form: &ReleaseForm,
    extras: impl Fn() -> Extras,
) -> WebResult<Saved> {
    let form = &with_picked_contacts(state, form.clone()).await?;
    let (content, errors) = form.to_content();
    if !errors.is_empty() {
        return Ok(Saved::Shown(
            page::render(
                state,
                staff,
                Some(release),
                Extras {
                    form: Some(form.clone()),
                    errors,
                    ..extras()
                },
            )
            .await?,
        ));
    }
    let expected = form.revision.ok_or_else(|| {
        WebError::BadRequest("The form lacks the revision it was based on; reload the page.".into())
    })?;
    match actions::save(state, staff, client, release, content, expected, false).await {
        Ok(saved) => Ok(Saved::Done(Box::new(saved))),
        Err(WebError::Conflict {
            current_revision: Some(current),
            ..
        }) if current != release.revision || current != expected => {
            let fresh = access::load(state, staff, release.public_id.as_str()).await?;
            Ok(Saved::Shown(
                page::render(
                    state,
                    staff,
                    Some(&fresh),
                    Extras {
                        form: Some(form.clone()),
                        conflict_with: Some(current),
                        ..extras()
                    },
                )
                .await?,
            ))
        }
        Err(WebError::Invalid(errors)) => Ok(Saved::Shown(
            page::render(
                state,
                staff,
                Some(release),
                Extras {
                    form: Some(form.clone()),
                    errors,
                    ..extras()
                },
            )
            .await?,
        )),
        Err(e) => Err(e),
    }
}

pub async fn save(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load_editable(&state, &staff, &id).await?;
    match save_posted(&state, &staff, &client, &release, &form, Extras::default).await? {
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
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load_editable(&state, &staff, &id).await?;
    if release.status != dateline_core::ReleaseStatus::Draft {
        return Err(WebError::Conflict {
            message: "Only drafts are saved automatically.".into(),
            current_revision: Some(release.revision),
        });
    }
    let (content, errors) = form.to_content();
    if !errors.is_empty() {
        return Err(WebError::Invalid(errors));
    }
    let expected = form
        .revision
        .ok_or_else(|| WebError::BadRequest("The revision is missing.".into()))?;
    let saved = actions::save(&state, &staff, &client, &release, content, expected, true).await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "revision": saved.revision, "status": saved.status.as_str() })))
}

/// Renders the posted body as it will print, without saving. Needs edit rights (`docs/security.md` Z6).
pub async fn render_preview(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    CsrfForm(form): ReleaseFormBody,
) -> WebResult {
    let release = access::load_editable(&state, &staff, &id).await?;
    let (_, errors) = form.to_content();
    page::render(
        &state,
        &staff,
        Some(&release),
        Extras {
            form: Some(form),
            errors,
            preview: true,
            ..Default::default()
        },
    )
    .await
}

/// The release as readers will see it, with a banner while it is not public.
pub async fn preview(state: web::Data<AppState>, staff: Staff, id: web::Path<String>) -> WebResult {
    let release = access::load(&state, &staff, &id).await?;
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
