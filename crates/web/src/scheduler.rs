//! The in-process, persistent scheduler. Jobs live in the database; every instance polls, and the
//! database decides which one runs a job (row locks with SKIP LOCKED on PostgreSQL, the single
//! writer on SQLite). A job's work and its completion commit together, so each scheduled release
//! is published exactly once, on time, and after downtime as soon as any instance is back.

use std::time::Duration;

use dateline_core::workflow::Transition;
use dateline_storage::repo::audit::Actor;
use dateline_storage::repo::jobs::{self, Job, Ran};
use dateline_storage::repo::pipeline::{self, Change, Request};
use dateline_storage::{DbConnection, StorageError};

use crate::state::AppState;

/// Runs until the process stops.
pub async fn run(state: AppState) {
    loop {
        if state.is_ready() {
            match tick(&state).await {
                Ok(n) if n > 0 => tracing::debug!(jobs = n, "scheduler ran jobs"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "scheduler tick failed; will retry"),
            }
        }
        let wait = next_wait(&state).await;
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.scheduler_wake.notified() => {}
        }
    }
}

/// Sleeps no longer than the poll interval, and less when a job falls due sooner.
async fn next_wait(state: &AppState) -> Duration {
    let interval = state.config.scheduler_interval;
    if !state.is_ready() {
        return interval;
    }
    let now = state.clock.now();
    match state.db(|conn| Ok(jobs::next_due(conn)?)).await {
        Ok(Some(due)) => (due - now).to_std().unwrap_or(Duration::ZERO).min(interval),
        _ => interval,
    }
}

/// Runs every job that is due now. Returns how many ran.
pub async fn tick(state: &AppState) -> crate::error::WebResult<usize> {
    let now = state.clock.now();
    state
        .db(move |conn| {
            let mut count = 0;
            // A bounded batch, so one tick cannot starve the pool.
            while count < 50 {
                match jobs::run_one_due(conn, now, |conn, job| run_job(conn, job, now))? {
                    None => break,
                    Some(Ran::Done(job)) => tracing::info!(job = job.id, release = ?job.release_id, "embargo lifted: release published"),
                    Some(Ran::Dropped(job, why)) => tracing::warn!(job = job.id, %why, "scheduled job dropped"),
                    Some(Ran::Failed(job, why)) => tracing::warn!(job = job.id, %why, "scheduled job failed; will retry"),
                }
                count += 1;
            }
            Ok(count)
        })
        .await
}

fn run_job(
    conn: &mut DbConnection,
    job: &Job,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StorageError> {
    match (job.kind.as_str(), job.release_id) {
        (jobs::PUBLISH_RELEASE, Some(release_id)) => {
            pipeline::apply(
                conn,
                &Request {
                    release_id,
                    expected_revision: None,
                    change: Change::Move {
                        transition: Transition::LiftEmbargo,
                        note: String::new(),
                    },
                    actor: Actor::system("scheduler"),
                    now,
                },
            )?;
            Ok(())
        }
        (kind, _) => Err(StorageError::Invalid(
            dateline_core::ValidationErrors::single("kind", format!("unknown job kind {kind:?}")),
        )),
    }
}
