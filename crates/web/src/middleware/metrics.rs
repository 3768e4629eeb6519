//! Counts every answered request for `/metrics`: its route group, status class and latency,
//! and whether the page cache answered it. Outermost but for path normalization, so the time
//! covers everything Dateline does for the request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::middleware::authorize::route_for;
use crate::page_cache::STATUS_HEADER;
use crate::state::AppState;

pub async fn count(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    // The request is read back from the response: holding a clone of it while the router runs
    // would stop the router from writing the matched path into it.
    let result = next.call(req).await;
    match &result {
        Ok(res) => answered(&state, res, started),
        Err(e) => state.metrics.request(
            "unmatched",
            e.as_response_error().status_code().as_u16(),
            started.elapsed(),
        ),
    }
    result
}

/// Counts one answer: its route group, status and time, and whether the page cache served it.
pub fn answered<B>(state: &AppState, res: &ServiceResponse<B>, started: Instant) {
    let group = crate::metrics::route_group(route_for(res.request()).map(|r| r.name));
    state
        .metrics
        .request(group, res.status().as_u16(), started.elapsed());
    if let Some(cache) = res.headers().get(STATUS_HEADER) {
        state.metrics.page_cache(cache.as_bytes() == b"hit");
    }
}
