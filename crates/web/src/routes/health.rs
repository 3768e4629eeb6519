//! Liveness and readiness for load balancers and orchestrators.

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use dateline_storage::repo::jobs;

use crate::error::{WebError, WebResult};
use crate::extract::State;
use crate::metrics::{Queue, Snapshot};
use crate::middleware::client_ip::client_ip;

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

/// Prometheus metrics, for the addresses in `metrics_allow` only (loopback unless configured).
/// The address is the vetted client address, so a public proxy on loopback does not open it to
/// the world. The page still answers when the database does not, with `dateline_database_up 0`.
pub async fn metrics(req: HttpRequest, state: State) -> WebResult<HttpResponse> {
    let client = client_ip(&req, &state.config.trusted_proxies);
    let allowed = client.parse::<IpAddr>().is_ok_and(|ip| {
        state
            .config
            .metrics_allow
            .iter()
            .any(|net| net.contains(&ip))
    });
    if !allowed {
        return Err(WebError::Forbidden(
            "Metrics are served only to the monitoring addresses set in metrics_allow.".into(),
        ));
    }
    let pool = state.pool.state();
    let now = state.clock.now();
    let queue = match state.db(move |conn| jobs::queue_state(conn, now)).await {
        Ok(q) => Some(Queue {
            open_jobs: q.open,
            due_jobs: q.due,
            lag: q
                .oldest_due
                .and_then(|t| (now - t).to_std().ok())
                .unwrap_or_default(),
        }),
        Err(_) => None,
    };
    let snapshot = Snapshot {
        pool_size: pool.connections,
        pool_idle: pool.idle_connections,
        pool_max: state.pool.max_size(),
        queue,
    };
    let text = state.metrics.render(snapshot).map_err(WebError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(text))
}

fn unavailable(reason: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "5"))
        .content_type("text/plain; charset=utf-8")
        .body(format!("not ready: {reason}\n"))
}
