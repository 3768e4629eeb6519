//! Sending the deliveries the publish pipeline owes (`dateline_storage::repo::webhooks` keeps
//! them). Every instance runs [`run`] beside its scheduler, in a loop of its own so a slow
//! receiver never delays an embargo; the database decides which instance sends which delivery.
//! Each attempt is signed afresh (the signature binds the time) and written to the log with the
//! receiver's status code.

pub mod secrets;
pub mod send;

use chrono::Duration;
use dateline_auth::webhook_signature;
use dateline_core::webhook::retry_after;
use dateline_storage::repo::webhooks::{self, Attempt, Next, Outgoing};

use crate::error::WebResult;
use crate::state::AppState;

/// How long a claimed delivery is reserved for the instance sending it: well beyond the request
/// time limit, so a slow receiver is never sent the same delivery twice at once.
const LEASE_SECONDS: i64 = 60;

/// Deliveries sent per pass; the rest wait for the next pass.
const BATCH: i64 = 20;

/// Runs until the process stops, polling at the scheduler's interval.
pub async fn run(state: AppState) {
    loop {
        if state.is_ready()
            && let Err(e) = deliver_due(&state).await
        {
            tracing::warn!(error = %e, "webhook delivery pass failed; will retry");
        }
        tokio::time::sleep(state.config.scheduler_interval).await;
    }
}

/// Sends every delivery that is due, side by side. Returns how many were attempted.
pub async fn deliver_due(state: &AppState) -> WebResult<usize> {
    let now = state.clock.now();
    let claimed = state
        .db(move |conn| webhooks::claim(conn, now, Duration::seconds(LEASE_SECONDS), BATCH))
        .await?;
    let count = claimed.len();
    let results =
        futures_util::future::join_all(claimed.into_iter().map(|out| deliver(state, out))).await;
    results.into_iter().collect::<WebResult<Vec<()>>>()?;
    Ok(count)
}

async fn deliver(state: &AppState, out: Outgoing) -> WebResult<()> {
    let attempted_at = state.clock.now();
    let outcome = match secrets::open(&state.key, &out.webhook.secret) {
        Some(secret) => {
            let body = body(state, &out.payload);
            let signature =
                webhook_signature::sign(&secret, attempted_at.timestamp(), body.as_bytes());
            let request = send::Request {
                url: &out.webhook.url,
                allow_private: out.webhook.allow_private,
                body,
                headers: vec![
                    (webhook_signature::HEADER, signature),
                    ("Dateline-Event", out.event.clone()),
                    ("Dateline-Delivery", out.delivery_id.to_string()),
                ],
            };
            send::post(&state.webhook_clients, request).await
        }
        None => send::Outcome {
            status: None,
            error: "the endpoint's secret does not open with the server key; rotate the secret"
                .into(),
            duration: std::time::Duration::ZERO,
        },
    };
    let attempts = out.attempts + 1;
    let next = if outcome.delivered() {
        Next::Delivered
    } else {
        match retry_after(attempts).and_then(|d| Duration::from_std(d).ok()) {
            Some(wait) => Next::RetryAt(attempted_at + wait),
            None => Next::GiveUp,
        }
    };
    log(&out, &outcome, next);
    let attempt = Attempt {
        attempted_at,
        status: outcome.status.map(i32::from),
        error: outcome.error,
        duration_ms: i32::try_from(outcome.duration.as_millis()).unwrap_or(i32::MAX),
    };
    let id = out.delivery_id;
    state
        .db(move |conn| webhooks::record_attempt(conn, id, &attempt, next))
        .await
}

/// The stored notice with the release's full address added: the address can only be known
/// here, where the site's public URL is configured.
fn body(state: &AppState, payload: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(payload) else {
        return payload.to_owned();
    };
    if let Some(release) = value.get_mut("release").and_then(|r| r.as_object_mut()) {
        let path = release
            .get("path")
            .and_then(|p| p.as_str())
            .unwrap_or_default()
            .to_owned();
        let id = release
            .get("id")
            .and_then(|p| p.as_str())
            .unwrap_or_default()
            .to_owned();
        let base = state.config.public_url.as_str().trim_end_matches('/');
        release.insert("url".into(), format!("{base}{path}").into());
        release.insert(
            "api_url".into(),
            format!("{base}/api/v1/releases/{id}").into(),
        );
    }
    value.to_string()
}

fn log(out: &Outgoing, outcome: &send::Outcome, next: Next) {
    let (id, url) = (out.delivery_id, out.webhook.url.as_str());
    match next {
        Next::Delivered => {
            tracing::info!(delivery = id, %url, status = ?outcome.status, "webhook delivered");
        }
        Next::RetryAt(at) => tracing::warn!(
            delivery = id, %url, status = ?outcome.status, error = %outcome.error, retry_at = %at,
            "webhook not delivered; will retry"
        ),
        Next::GiveUp => tracing::error!(
            delivery = id, %url, status = ?outcome.status, error = %outcome.error,
            "webhook not delivered after the last retry; given up"
        ),
    }
}
