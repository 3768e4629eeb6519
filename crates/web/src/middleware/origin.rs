//! The second CSRF layer: state-changing requests that a browser marks as cross-site, or whose
//! `Origin` is not ours, are refused before any handler runs (`docs/security.md` C1).

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
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return Err(actix_web::error::ErrorInternalServerError("no app state"));
        };
        let ours = state.config.origin();
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        // Our configured origin, or the Host this request was addressed to: a cross-site page
        // cannot make a browser send our Host with its own Origin. This keeps `localhost` and
        // `127.0.0.1` both working in development. Forwarding headers are not used here: any
        // client can send them, and only a trusted proxy's say-so about the scheme counts.
        let https = req.app_config().secure()
            || super::client_ip::forwarded_https(req.request(), &state.config.trusted_proxies);
        let addressed = format!(
            "{}://{}",
            if https { "https" } else { "http" },
            header("host").unwrap_or_default()
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
