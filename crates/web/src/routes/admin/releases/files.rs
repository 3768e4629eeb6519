//! A release's files in the editor: uploading a picture or a PDF from the page, and removing
//! one. Both go through `usecases::media`, as the API does.

use actix_web::{HttpRequest, web};

use super::OnRelease;
use crate::error::WebResult;
use crate::routes::forms::CsrfOnly;
use crate::routes::uploads;
use crate::usecases::{access, media};
use crate::views;

/// `POST /admin/releases/{id}/media`: the upload form on the editor page.
pub async fn upload(
    req: HttpRequest,
    (state, _, caller, id): OnRelease,
    payload: web::Payload,
) -> WebResult {
    let received = uploads::read_form(&req, payload).await?;
    let release = access::load(&state, &caller, &id).await?;
    let mut upload = received;
    upload.release = Some(release.public_id.to_string());
    upload.organization = None;
    media::upload(&state, &caller, upload).await?;
    Ok(views::see_other(format!(
        "/admin/releases/{id}?notice=file-added#files"
    )))
}

/// `POST /admin/releases/{id}/media/{media}/delete`.
pub async fn remove(
    (state, _, caller, path): (
        crate::extract::State,
        crate::extract::Staff,
        crate::usecases::Caller,
        web::Path<(String, i64)>,
    ),
    _: CsrfOnly,
) -> WebResult {
    let (id, media_id) = path.into_inner();
    let release = access::load(&state, &caller, &id).await?;
    media::remove(&state, &caller, media::Owner::Release(&release), media_id).await?;
    Ok(views::see_other(format!(
        "/admin/releases/{id}?notice=file-removed#files"
    )))
}
