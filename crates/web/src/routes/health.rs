//! Liveness and readiness for load balancers and orchestrators.

use crate::extract::State;
use actix_web::{HttpResponse, web};

/// The process is up and serving HTTP.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

/// The database answers and migrations have run. 503 otherwise, so a load balancer sends no
/// traffic here until it can be served.
pub async fn ready(state: State) -> HttpResponse {
    if !state.is_ready() {
        return unavailable("starting: waiting for the database");
    }
    let pool = state.pool.clone();
    let result = web::block(move || -> dateline_storage::Result<()> {
        let mut conn = pool.get()?;
        dateline_storage::connection::ping(&mut conn)
    })
    .await;
    match result {
        Ok(Ok(())) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready\n"),
        // The cause goes to the log, not to whoever asks: it can name hosts and roles.
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            unavailable("database unreachable")
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check could not run");
            unavailable("database check failed")
        }
    }
}

fn unavailable(reason: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "5"))
        .content_type("text/plain; charset=utf-8")
        .body(format!("not ready: {reason}\n"))
}
