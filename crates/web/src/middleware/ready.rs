//! While the database is unreachable at start, everything but health checks, metrics and static
//! files answers 503 with `Retry-After`.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use crate::state::{AppState, not_ready};

pub async fn readiness_gate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let ready = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.is_ready());
    let exempt = req.path().starts_with("/healthz/")
        || req.path().starts_with("/static/")
        || req.path() == "/metrics";
    if !ready && !exempt {
        let res = not_ready().error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
