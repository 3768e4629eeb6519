//! One spelling per path, settled before routing so no check can be bypassed by spelling a path
//! differently (`docs/security.md` Z7). [`normalize`] merges slashes and drops a trailing one;
//! [`reject_ambiguous`] refuses what remains ambiguous: percent-encoding and dot segments. Dateline's own paths
//! never contain either. A query string may not carry NUL (`%00`): no parameter means anything
//! with it, and PostgreSQL cannot compare text that holds it, so it is refused here once rather
//! than in every handler that looks a value up.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::http::uri::PathAndQuery;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::error::WebError;

/// The path with repeated slashes merged and a trailing slash dropped (`/` stays `/`), or
/// `None` when it is already in that form, which is the common case and costs one scan.
/// actix-web's `NormalizePath` does the same with a regular expression on every request; on
/// the page cache's path that cost more than the rest of serving a kept page.
pub fn normal_form(path: &str) -> Option<String> {
    let trailing = path.len() > 1 && path.ends_with('/');
    if !trailing && !path.contains("//") {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    while out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    if out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// Rewrites the request to the normal form of its path. Outermost: the request is rewritten in
/// place, which actix only allows while nothing else holds it.
pub async fn normalize(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(path) = normal_form(req.path()) {
        let mut parts = req.head().uri.clone().into_parts();
        let with_query = match req.query_string() {
            "" => path,
            q => format!("{path}?{q}"),
        };
        if let Ok(pq) = PathAndQuery::try_from(with_query)
            && let Ok(uri) = {
                parts.path_and_query = Some(pq);
                Uri::from_parts(parts)
            }
        {
            req.match_info_mut().get_mut().update(&uri);
            req.head_mut().uri = uri;
        }
    }
    next.call(req).await
}

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

#[cfg(test)]
mod tests {
    use super::normal_form;

    #[test]
    fn one_spelling_per_path() {
        assert_eq!(normal_form("/"), None);
        assert_eq!(normal_form("/releases/abc/slug"), None);
        assert_eq!(normal_form("/releases/"), Some("/releases".into()));
        assert_eq!(
            normal_form("//releases//abc///"),
            Some("/releases/abc".into())
        );
        assert_eq!(normal_form("///"), Some("/".into()));
    }
}
