//! Uploading a file: the one path the API, the release editor and the organization page share.
//! The rules on the bytes come from `dateline_core::media`; who may attach to what from the
//! release rules in `access`; the pictures are prepared off the async threads, a few at a time,
//! since decoding a 50-megapixel photo takes a core and a few hundred megabytes for a moment.

use dateline_core::Role;
use dateline_core::media::{MediaKind, MediaRefusal, MediaText, check_file};
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::media::{self, Media, NewMedia};
use dateline_storage::repo::{organizations, settings};
use dateline_storage::{StorageError, write_tx};

use super::{Caller, access};
use crate::error::{WebError, WebResult};
use crate::media::process::{self, Prepared};
use crate::state::AppState;

/// What an uploader sent, read in full (within the limits) by the route that received it.
#[derive(Debug, Default)]
pub struct Upload {
    /// The client's name for the file; cleaned, and kept only as metadata.
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub text: MediaText,
    /// The public id of the release the file belongs to.
    pub release: Option<String>,
    /// The slug of the organization the file belongs to (its logo, say).
    pub organization: Option<String>,
}

/// Checks, prepares and stores an upload, and records it in the audit log. Nothing is stored
/// unless every check passed.
pub async fn upload(state: &AppState, caller: &Caller, up: Upload) -> WebResult<Media> {
    let checked = check_file(&up.file_name, &up.bytes).map_err(refused)?;
    up.text.validate(checked.kind).map_err(WebError::Invalid)?;
    let release_id = match up.release.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => {
            let release = access::load(state, caller, id).await?;
            access::check_edit(caller, &release)?;
            Some(release.id)
        }
        _ => None,
    };
    let organization_id = match up.organization.as_deref().map(str::trim) {
        Some(slug) if !slug.is_empty() => Some(organization(state, caller, slug).await?),
        _ => None,
    };
    let kind = checked.kind;
    let prepared = prepare(state, kind, up.bytes).await?;
    let (caller, text, name, now) = (caller.clone(), up.text, checked.name, state.clock.now());
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let stored = media::create(
                    conn,
                    &NewMedia {
                        bytes: &prepared.bytes,
                        kind,
                        original_name: &name,
                        alt: &text.alt,
                        caption: &text.caption,
                        credit: &text.credit,
                        dimensions: prepared.dimensions,
                        release_id,
                        organization_id,
                        uploaded_by: caller.user_id.unwrap_or_default(),
                        renditions: prepared.renditions,
                    },
                    now,
                )?;
                let detail = format!("{name} ({}, {} bytes)", kind.as_str(), stored.byte_size);
                record(
                    conn,
                    &caller,
                    AuditAction::MediaUpload,
                    stored.id,
                    detail,
                    now,
                )?;
                Ok::<_, StorageError>(stored)
            })
        })
        .await
}

async fn organization(state: &AppState, caller: &Caller, slug: &str) -> WebResult<i64> {
    if caller.role < Role::Editor {
        return Err(WebError::Forbidden(
            "Only editors may add files to an organization.".into(),
        ));
    }
    let slug = slug.to_owned();
    let found = state
        .db(move |conn| organizations::get_by_slug(conn, &slug))
        .await;
    match found {
        Ok(o) => Ok(o.id),
        Err(WebError::NotFound) => Err(WebError::invalid(
            "organization",
            "No organization has this slug.",
        )),
        Err(e) => Err(e),
    }
}

/// Runs the CPU-heavy preparation on the blocking pool, a few at a time.
async fn prepare(state: &AppState, kind: MediaKind, bytes: Vec<u8>) -> WebResult<Prepared> {
    let _permit = state
        .media_work
        .acquire()
        .await
        .map_err(|e| WebError::internal_in("waiting to prepare an upload", e))?;
    tokio::task::spawn_blocking(move || process::prepare(kind, bytes))
        .await
        .map_err(|e| WebError::internal_in("preparing an upload", e))?
        .map_err(refused)
}

/// How each refusal reaches the uploader: too large is a 413, a type we do not take a 415, and
/// the rest a 422 on the `file` field. Each says what was wrong in the uploader's words.
pub fn refused(r: MediaRefusal) -> WebError {
    match r {
        MediaRefusal::TooLarge => WebError::PayloadTooLarge(r.to_string()),
        MediaRefusal::UnknownType | MediaRefusal::Markup => {
            WebError::UnsupportedMediaType(r.to_string())
        }
        _ => WebError::invalid(r.field(), r.to_string()),
    }
}

/// What a file belongs to, for removing it.
pub enum Owner<'a> {
    Release(&'a dateline_core::Release),
    Organization(i64),
}

/// Removes a file from a release the caller may edit, or from an organization (editors), with
/// its renditions and any bytes nothing else uses.
pub async fn remove(
    state: &AppState,
    caller: &Caller,
    owner: Owner<'_>,
    media_id: i64,
) -> WebResult<Media> {
    let belongs: Box<dyn Fn(&Media) -> bool + Send> = match owner {
        Owner::Release(release) => {
            access::check_edit(caller, release)?;
            let id = release.id;
            Box::new(move |m| m.release_id == Some(id))
        }
        Owner::Organization(id) => {
            if caller.role < Role::Editor {
                return Err(WebError::Forbidden(
                    "Only editors may change an organization's files.".into(),
                ));
            }
            Box::new(move |m| m.organization_id == Some(id) && m.release_id.is_none())
        }
    };
    let (caller, now) = (caller.clone(), state.clock.now());
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let found = media::get(conn, media_id)?;
                if !belongs(&found) {
                    return Err(StorageError::NotFound);
                }
                let gone = media::delete(conn, media_id)?;
                let detail = gone.original_name.clone();
                record(
                    conn,
                    &caller,
                    AuditAction::MediaDelete,
                    media_id,
                    detail,
                    now,
                )?;
                Ok::<_, StorageError>(gone)
            })
        })
        .await
}

/// Puts a new file under an existing upload from the media library (editors): everything that
/// shows the file shows the new one. A picture is replaced by a picture, a PDF by a PDF.
pub async fn replace(
    state: &AppState,
    caller: &Caller,
    media_id: i64,
    file_name: &str,
    bytes: Vec<u8>,
) -> WebResult<Media> {
    editors_only(caller)?;
    let checked = check_file(file_name, &bytes).map_err(refused)?;
    let current = state.db(move |conn| media::get(conn, media_id)).await?;
    if current.kind.is_image() != checked.kind.is_image() {
        let what = if current.kind.is_image() {
            "a picture"
        } else {
            "a PDF"
        };
        return Err(WebError::invalid(
            "file",
            format!("This file is {what}; replace it with {what}."),
        ));
    }
    let kind = checked.kind;
    let prepared = prepare(state, kind, bytes).await?;
    let (caller, name, now) = (caller.clone(), checked.name, state.clock.now());
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let new = NewMedia {
                    bytes: &prepared.bytes,
                    kind,
                    original_name: &name,
                    alt: &current.alt,
                    caption: &current.caption,
                    credit: &current.credit,
                    dimensions: prepared.dimensions,
                    release_id: current.release_id,
                    organization_id: current.organization_id,
                    uploaded_by: current.uploaded_by,
                    renditions: prepared.renditions,
                };
                let replaced = media::replace(conn, media_id, &new, now)?;
                let detail = format!("{} with {name}", current.original_name);
                record(
                    conn,
                    &caller,
                    AuditAction::MediaReplace,
                    media_id,
                    detail,
                    now,
                )?;
                Ok::<_, StorageError>(replaced)
            })
        })
        .await
}

/// Deletes a file from the media library (editors). One that a release or an organization
/// uses goes only when `confirmed`: the page then loses the picture.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    media_id: i64,
    confirmed: bool,
) -> WebResult<Media> {
    editors_only(caller)?;
    let (caller, now) = (caller.clone(), state.clock.now());
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let found = media::get(conn, media_id)?;
                let used = found.release_id.is_some() || found.organization_id.is_some();
                if used && !confirmed {
                    return Err(WebError::Conflict {
                        message: format!(
                            "{} is in use. Confirm that it should be deleted anyway; the pages that show it lose it.",
                            found.original_name
                        ),
                        current_revision: None,
                    });
                }
                let gone = media::delete(conn, media_id)?;
                let detail = gone.original_name.clone();
                record(conn, &caller, AuditAction::MediaDelete, media_id, detail, now)?;
                Ok(gone)
            })
        })
        .await
}

/// What every change to media owes, in its transaction: the audit entry, and a new content
/// version, so pages that show the file (an organization's logo on every release of it) are
/// rendered again here and on every other instance.
fn record(
    conn: &mut dateline_storage::DbConnection,
    caller: &Caller,
    action: AuditAction,
    media_id: i64,
    detail: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StorageError> {
    settings::bump_content_version(conn, now)?;
    Entry::new(&caller.actor, action, "media", media_id, now)
        .detail(detail)
        .record(conn)?;
    Ok(())
}

fn editors_only(caller: &Caller) -> WebResult<()> {
    if caller.role < Role::Editor {
        return Err(WebError::Forbidden(
            "Only editors may manage the media library.".into(),
        ));
    }
    Ok(())
}
