//! Gives every request an id, returned as `X-Request-Id` and carried by every log line logged
//! while serving it, and writes one access-log line per request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub fn new_id() -> String {
    let n: u64 = rand::random();
    format!("{n:016x}")
}

pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = new_id();
    req.extensions_mut().insert(RequestId(id.clone()));
    // The route is filled in once the response is ready: by then it is known without matching
    // the path again (see `route_pattern`), and a path that matched no route is shortened.
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = tracing::field::Empty
    );
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if let Ok(res) = &result
        && !span.is_disabled()
    {
        span.record("route", tracing::field::display(route(res.request())));
    }
    let _enter = span.enter();
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            if status >= 500 {
                tracing::warn!(status, elapsed_ms, "served");
            } else {
                tracing::info!(status, elapsed_ms, "served");
            }
            if let Ok(v) = HeaderValue::from_str(&id) {
                res.headers_mut()
                    .insert(HeaderName::from_static("x-request-id"), v);
            }
            Ok(res)
        }
        Err(e) => {
            tracing::warn!(error = %e, elapsed_ms, "failed");
            Err(e)
        }
    }
}

/// What the log shows of the path. Paths can hold secrets (preview, invitation and reset
/// tokens), so it is the route pattern; unmatched paths are shortened.
fn route(req: &actix_web::HttpRequest) -> String {
    crate::route_pattern::of(req)
        .map(|p| p.to_string())
        .unwrap_or_else(|| req.path().chars().take(80).collect())
}

/// The id of the request being served, for audit rows and error pages.
pub fn of(req: &actix_web::HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}
