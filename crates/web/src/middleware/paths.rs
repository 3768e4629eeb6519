//! One spelling per path, settled before routing so no check can be bypassed by spelling a path
//! differently (`docs/security.md` Z7). `NormalizePath` merges slashes and drops a trailing one; this
//! refuses what remains ambiguous: percent-encoding and dot segments. Dateline's own paths
//! never contain either. A query string may not carry NUL (`%00`): no parameter means anything
//! with it, and PostgreSQL cannot compare text that holds it, so it is refused here once rather
//! than in every handler that looks a value up.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::error::WebError;

pub async fn reject_ambiguous(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let path = req.path();
    let ambiguous =
        path.contains('%') || path.split('/').any(|s| s == "." || s == "..") || path.contains('\\');
    let refusal = if ambiguous {
        Some(WebError::NotFound)
    } else {
        crate::nul::urlencoded_field(req.query_string().as_bytes()).map(|name| {
            WebError::bad_query(
                &name,
                "This holds a NUL character (%00), which no parameter accepts.",
            )
        })
    };
    if let Some(e) = refusal {
        let res = e.error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
