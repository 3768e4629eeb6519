//! Serving public pages from the page cache (`crate::page_cache`). It sits outside identity and
//! the readiness gate, so a kept page costs no session lookup and no database work, and inside
//! compression, so it sees the page before it is compressed and answers with its own compressed
//! copy (which compression then leaves alone).
//!
//! Only anonymous readers are answered from the cache: a request with a session cookie or an
//! `Authorization` header always reaches its handler. After any request that may have written
//! (any method but GET and HEAD, answered with success or a redirect), the instance reads the
//! content version again, so the next page it serves reflects that write.

use std::time::Instant;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, web};

use crate::http_cache::{Encoding, Validators};
use crate::middleware::identity::session_cookie_name;
use crate::middleware::request_id::Served;
use crate::middleware::{headers, limits, metrics, paths};
use crate::page_cache::{Entry, PageCache, Rendered, STATUS_HEADER, Turn};
use crate::state::AppState;

/// Answers a kept page before any other layer runs, doing itself the little each of them
/// would do to it: the access-log line and request id, the security headers, the count for
/// `/metrics`. Walking the dozen layers cost about a tenth of the time of serving a kept
/// page, measured against nginx serving the same bytes (docs/performance.md).
///
/// Anything the layers would change or refuse goes through them, and is still answered from
/// the cache by [`serve_from_cache`] when it may be: a path they would normalize, headers over
/// the budget, a coding the cache does not keep.
pub async fn answer_kept(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, Error> {
    let started = Instant::now();
    let kept = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| Some((kept_for(&req, state)?, state.clone())));
    let Some(((entry, encoding), state)) = kept else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let served = Served::begin(&req);
    let (https, staff_area) = (headers::is_https(&req), headers::is_staff_area(req.path()));
    let mut res = hit(req, &entry, encoding);
    headers::apply(res.headers_mut(), https, staff_area);
    served.finish(&mut res);
    metrics::answered(&state, &res, started);
    Ok(res.map_into_right_body())
}

/// The kept page for a request the layers would pass to the cache unchanged, and the coding
/// to send it in.
fn kept_for(req: &ServiceRequest, state: &AppState) -> Option<(std::sync::Arc<Entry>, Encoding)> {
    if req.method() != Method::GET || !anonymous(req.request(), state) {
        return None;
    }
    if paths::normal_form(req.path()).is_some()
        || limits::head_too_large(req.headers())
        || limits::declares_body(req.headers())
    {
        return None;
    }
    let encoding = Encoding::negotiate(req.headers());
    // A reader who asked for a coding the cache does not keep (deflate) gets it from the
    // compression layer.
    if encoding == Encoding::Identity && req.headers().contains_key(header::ACCEPT_ENCODING) {
        return None;
    }
    let entry = state
        .page_cache
        .get(&PageCache::key(req.path(), req.query_string()))?;
    Some((entry, encoding))
}

pub async fn serve_from_cache(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let res = next.call(req).await?;
        // A refused request (4xx, 5xx) changed nothing readers see: its transaction rolled
        // back or never began. Skipping it keeps a flood of refused sign-ins off the database.
        if !(res.status().is_client_error() || res.status().is_server_error()) {
            state.learn_content_version().await;
        }
        return Ok(res.map_into_boxed_body());
    }
    if req.method() != Method::GET || !anonymous(req.request(), &state) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let key = PageCache::key(req.path(), req.query_string());
    let encoding = Encoding::negotiate(req.headers());
    if let Some(entry) = state.page_cache.get(&key) {
        return Ok(hit(req, &entry, encoding));
    }
    let _rendering = match state.page_cache.render_once(&key) {
        Turn::Render(rendering) => Some(rendering),
        Turn::Wait(lock) => {
            // Bounded: a render that takes longer than this is not worth waiting for.
            let _ = tokio::time::timeout(RENDER_WAIT, lock.read()).await;
            if let Some(entry) = state.page_cache.get(&key) {
                return Ok(hit(req, &entry, encoding));
            }
            // Not kept (an error, or a page that may not be kept): render it here.
            None
        }
    };
    let res = next.call(req).await?;
    let Some(validators) = res.response().extensions().get::<Validators>().cloned() else {
        return Ok(res.map_into_boxed_body());
    };
    if res.status() != StatusCode::OK {
        return Ok(res.map_into_boxed_body());
    }
    let (request, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let body = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(e) => return Err(actix_web::error::ErrorInternalServerError(e.into())),
    };
    let page = Rendered {
        path: request.path(),
        query: request.query_string(),
        status: head.status(),
        headers: head.headers(),
        validators: &validators,
        body: body.clone(),
        route: crate::route_pattern::of(&request),
    };
    let answer = match state.page_cache.keep(key, page) {
        Some(entry) => {
            let mut res = entry.respond(encoding, &request);
            res.headers_mut()
                .insert(header_name(), HeaderValue::from_static("miss"));
            res
        }
        None => head.set_body(body).map_into_boxed_body(),
    };
    Ok(ServiceResponse::new(request, answer))
}

/// How long a request waits for another to render the page it asked for.
const RENDER_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn hit(req: ServiceRequest, entry: &Entry, encoding: Encoding) -> ServiceResponse<BoxBody> {
    crate::route_pattern::remember(req.request(), entry.rendered_under());
    let mut res = entry.respond(encoding, req.request());
    res.headers_mut()
        .insert(header_name(), HeaderValue::from_static("hit"));
    req.into_response(res)
}

fn header_name() -> header::HeaderName {
    header::HeaderName::from_static(STATUS_HEADER)
}

/// Whether the request carries nothing that could make it someone's: no session cookie and no
/// `Authorization` header. A stale session cookie also goes to the handler, which clears it.
fn anonymous(req: &HttpRequest, state: &AppState) -> bool {
    let https = state.config.is_https();
    !req.headers().contains_key(header::AUTHORIZATION)
        && req.cookie(session_cookie_name(https)).is_none()
        && req.cookie(session_cookie_name(!https)).is_none()
}
