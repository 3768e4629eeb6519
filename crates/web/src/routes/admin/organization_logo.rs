//! An organization's logo, uploaded on its edit page. A new logo replaces the old one: the old
//! file is removed once the new one is stored, so a failed upload leaves the old logo in place.

use actix_web::{HttpRequest, web};
use dateline_storage::repo::{media as stored_media, organizations};

use crate::error::{WebError, WebResult};
use crate::extract::{Staff, State};
use crate::routes::forms::CsrfOnly;
use crate::routes::uploads;
use crate::usecases::media::{self, Owner};
use crate::views;

/// `POST /admin/organizations/{id}/logo`.
pub async fn upload(
    req: HttpRequest,
    state: State,
    staff: Staff,
    id: web::Path<i64>,
    payload: web::Payload,
) -> WebResult {
    let id = id.into_inner();
    let received = uploads::read_form(&req, payload).await?;
    let org = state.db(move |conn| organizations::get(conn, id)).await?;
    let earlier = state
        .db(move |conn| stored_media::for_organization(conn, id))
        .await?;
    let caller = staff.caller();
    let mut upload = received;
    if dateline_core::media::MediaKind::sniff(&upload.bytes)
        == Some(dateline_core::media::MediaKind::Pdf)
    {
        return Err(WebError::invalid(
            "file",
            "A logo must be a picture (JPEG, PNG, WebP or GIF).",
        ));
    }
    upload.organization = Some(org.slug);
    upload.release = None;
    media::upload(&state, &caller, upload).await?;
    for old in earlier {
        media::remove(&state, &caller, Owner::Organization(id), old.id).await?;
    }
    Ok(views::see_other(format!(
        "/admin/organizations/{id}?notice=logo-saved#logo"
    )))
}

/// `POST /admin/organizations/{id}/logo/{media}/delete`.
pub async fn remove(
    state: State,
    staff: Staff,
    path: web::Path<(i64, i64)>,
    _: CsrfOnly,
) -> WebResult {
    let (id, media_id) = path.into_inner();
    media::remove(&state, &staff.caller(), Owner::Organization(id), media_id).await?;
    Ok(views::see_other(format!(
        "/admin/organizations/{id}?notice=logo-removed#logo"
    )))
}
