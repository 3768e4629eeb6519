//! The second CSRF layer: state-changing requests that a browser marks as cross-site, or whose
//! `Origin` is not ours, are refused before any handler runs (SECURITY.md C1).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use crate::error::WebError;
use crate::state::AppState;

pub async fn same_origin_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let ours = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.config.origin())
            .unwrap_or_default();
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        // Our configured origin, or the host this request was addressed to: a cross-site page
        // cannot make a browser send our Host with its own Origin. This keeps `localhost` and
        // `127.0.0.1` both working in development.
        let addressed = format!(
            "{}://{}",
            req.connection_info().scheme(),
            req.connection_info().host()
        );
        let (origin, fetch_site) = (header("origin"), header("sec-fetch-site"));
        let allowed = dateline_auth::csrf::same_origin(origin, fetch_site, &ours)
            || dateline_auth::csrf::same_origin(origin, fetch_site, &addressed);
        if !allowed {
            tracing::warn!(
                origin = header("origin").unwrap_or(""),
                "refused a cross-origin write"
            );
            let res = WebError::Csrf.error_response();
            return Ok(req.into_response(res).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
