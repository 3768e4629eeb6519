//! The route pattern a request matched, worked out once per request.
//!
//! actix-web answers `match_pattern` by trying the path against every route's regular
//! expression again each time it is asked. The access log, the metrics and the permission check
//! each asked, and on a page served from the cache that matching cost more than everything else
//! (a quarter of the time for a release page, whose long path is slow to match). The first
//! answer is kept in the request's extensions, and a kept page carries the pattern it was
//! rendered under, so serving it matches nothing at all.

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};

/// What [`of`] found for this request; `None` when no route matched.
#[derive(Debug, Clone)]
struct Matched(Option<Arc<str>>);

/// The pattern of the route `req` matched (e.g. `/releases/{public_id}/{slug}`).
pub fn of(req: &HttpRequest) -> Option<Arc<str>> {
    if let Some(Matched(known)) = req.extensions().get::<Matched>() {
        return known.clone();
    }
    let found: Option<Arc<str>> = req.match_pattern().map(Arc::from);
    remember(req, found.clone());
    found
}

/// Records the pattern of `req` when it is already known, as for a page served from the cache.
pub fn remember(req: &HttpRequest, pattern: Option<Arc<str>>) {
    req.extensions_mut().insert(Matched(pattern));
}
