//! `POST /api/v1/media`: a multipart upload (`file`, `alt`, `caption`, `credit`, and optionally
//! `release` or `organization`), answered with the stored file and its renditions.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use dateline_storage::repo::media::Media;
use serde::Serialize;

use crate::error::WebResult;
use crate::extract::State;
use crate::routes::public::media::url;
use crate::routes::uploads;
use crate::usecases::{Caller, media};

#[derive(Serialize, schemars::JsonSchema)]
pub struct RenditionDto {
    pub width: u32,
    pub height: u32,
    /// `webp`, or the original's format.
    pub format: &'static str,
    pub url: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct MediaDto {
    pub id: i64,
    /// The original, without its metadata.
    pub url: String,
    /// `jpeg`, `png`, `webp`, `gif` or `pdf`.
    pub kind: &'static str,
    /// The uploader's file name, cleaned.
    pub name: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub byte_size: i64,
    /// Narrowest first; empty for a PDF.
    pub renditions: Vec<RenditionDto>,
}

impl From<&Media> for MediaDto {
    fn from(m: &Media) -> Self {
        MediaDto {
            id: m.id,
            url: url(&m.sha256, m.kind),
            kind: m.kind.as_str(),
            name: m.original_name.clone(),
            alt: m.alt.clone(),
            caption: m.caption.clone(),
            credit: m.credit.clone(),
            width: m.dimensions.map(|d| d.0),
            height: m.dimensions.map(|d| d.1),
            byte_size: m.byte_size,
            renditions: m
                .renditions
                .iter()
                .map(|r| RenditionDto {
                    width: r.width,
                    height: r.height,
                    format: r.format.as_str(),
                    url: url(&r.sha256, r.format),
                })
                .collect(),
        }
    }
}

pub async fn create(
    req: HttpRequest,
    state: State,
    caller: Caller,
    payload: web::Payload,
) -> WebResult {
    let received = uploads::read(&req, payload).await?;
    let stored = media::upload(&state, &caller, received.upload).await?;
    let dto = MediaDto::from(&stored);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, dto.url.clone()))
        .json(dto))
}
