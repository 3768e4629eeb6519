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
    let served = Served::begin(&req);
    let result = next.call(req).instrument(served.span.clone()).await;
    match result {
        Ok(mut res) => {
            served.finish(&mut res);
            Ok(res)
        }
        Err(e) => {
            served.failed(&e);
            Err(e)
        }
    }
}

/// One request on its way through: its id, its log span and when it arrived. The page cache's
/// early answer (`page_cache::answer_kept`) goes through the same steps without the layers.
pub struct Served {
    id: String,
    span: tracing::Span,
    started: Instant,
}

impl Served {
    pub fn begin(req: &ServiceRequest) -> Self {
        let id = new_id();
        req.extensions_mut().insert(RequestId(id.clone()));
        // The route is filled in once the response is ready: by then it is known without
        // matching the path again (see `route_pattern`), and a path that matched no route is
        // shortened.
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = %req.method(),
            route = tracing::field::Empty
        );
        Served {
            id,
            span,
            started: Instant::now(),
        }
    }

    /// Logs the answer and marks it with the request's id.
    pub fn finish<B>(self, res: &mut ServiceResponse<B>) {
        let elapsed_ms = self.started.elapsed().as_millis() as u64;
        if !self.span.is_disabled() {
            self.span
                .record("route", tracing::field::display(route(res.request())));
        }
        let _enter = self.span.enter();
        let status = res.status().as_u16();
        if status >= 500 {
            tracing::warn!(status, elapsed_ms, "served");
        } else {
            tracing::info!(status, elapsed_ms, "served");
        }
        if let Ok(v) = HeaderValue::from_str(&self.id) {
            res.headers_mut()
                .insert(HeaderName::from_static("x-request-id"), v);
        }
    }

    fn failed(self, e: &Error) {
        let elapsed_ms = self.started.elapsed().as_millis() as u64;
        let _enter = self.span.enter();
        tracing::warn!(error = %e, elapsed_ms, "failed");
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
