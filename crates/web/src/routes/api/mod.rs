//! The JSON API under `/api/v1`. Bearer tokens authenticate (never cookies); errors are RFC 9457
//! problem+json; permissions are exactly the pages' (both call `crate::usecases`).

pub mod dto;
pub mod media;
pub mod openapi;
pub mod previews;
pub mod releases;
pub mod revisions;
pub mod search;
pub mod taxa;
pub mod workflow;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::{WebError, WebResult};
use crate::routes::media_type::Body;

/// The revision an `If-Match` header names: `"3"`, `W/"3"` or `3`. Required on updates, so a
/// client that did not read first cannot overwrite anything.
pub fn if_match(req: &HttpRequest) -> WebResult<i64> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(WebError::PreconditionRequired)?;
    optional_if_match_value(value.to_str().unwrap_or(""))
}

/// The same, where `If-Match` may be left out.
pub fn optional_if_match(req: &HttpRequest) -> WebResult<Option<i64>> {
    req.headers()
        .get(header::IF_MATCH)
        .map(|v| optional_if_match_value(v.to_str().unwrap_or("")))
        .transpose()
}

fn optional_if_match_value(raw: &str) -> WebResult<i64> {
    let first = raw.split(',').next().unwrap_or("").trim();
    let bare = first.trim_start_matches("W/").trim_matches('"');
    bare.parse::<i64>().map_err(|_| {
        WebError::BadRequest(format!(
            "If-Match must be a revision number in quotes, such as \"3\"; got {raw:?}."
        ))
    })
}

pub fn etag(revision: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{revision}\""))
}

/// A JSON body that may be absent (actions without parameters). Present bodies must be JSON of
/// the right shape: 415 for another content type, 400 for broken JSON, 422 for the wrong fields.
pub fn optional_json<T: DeserializeOwned + Default>(
    req: &HttpRequest,
    body: &[u8],
) -> WebResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    Body::Json.require(req)?;
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| WebError::BadRequest(format!("The body is not valid JSON: {e}")))?;
    decode_json(value)
}

/// A JSON body of type `T`, read under the JSON limit and content-type rules like `web::Json`,
/// with every text checked for NUL before it is decoded (see [`crate::nul`]).
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            Ok(ApiJson(decode_json(value)?))
        })
    }
}

/// Well-formed JSON of the wrong shape (unknown or missing fields, wrong types) is a 422.
fn decode_json<T: DeserializeOwned>(value: serde_json::Value) -> WebResult<T> {
    if let Some(field) = crate::nul::json_field(&value) {
        return Err(crate::nul::refused(&field));
    }
    serde_json::from_value(value).map_err(|e| {
        WebError::Invalid(dateline_core::ValidationErrors::single(
            "body",
            format!("The JSON does not fit: {e}"),
        ))
    })
}
