//! The in-process, persistent scheduler. Jobs live in the database; every instance polls, and the
//! database decides which one runs a job (row locks with SKIP LOCKED on PostgreSQL, the single
//! writer on SQLite). A job's work and its completion commit together, so each scheduled release
//! is published exactly once, on time, and after downtime as soon as any instance is back.
//!
//! Each instance also tidies up now and then: it deletes expired sessions and throttle counters
//! that can no longer lock anyone. These are deletes of rows already past their limits, so two
//! instances doing it at once do the work once and get no error; they need no job row (which
//! would itself be a row per run to clean up). After an upgrade, each instance also packs the
//! revisions stored before packing existed, in short batches, until none is left.

use std::time::Duration;

use dateline_core::workflow::Transition;
use dateline_storage::repo::jobs::{self, Job, Ran};
use dateline_storage::repo::pipeline::Change;
use dateline_storage::repo::{compaction, releases, sessions, throttle, webhooks};
use dateline_storage::{DbConnection, StorageError};

use crate::error::WebResult;
use crate::state::AppState;
use crate::usecases::{self, Caller};

/// Runs until the server stops (see [`AppState::stop_scheduler`]), with the webhook sender and
/// the content-version watch beside it. It stops between jobs, never inside one.
pub async fn run(state: AppState) {
    actix_web::rt::spawn(crate::webhooks::run(state.clone()));
    actix_web::rt::spawn(watch_content_version(state.clone()));
    actix_web::rt::spawn(pack_old_revisions(state.clone()));
    let mut last_tidy = None;
    loop {
        if state.is_stopping() {
            tracing::info!("scheduler stopped between jobs");
            return;
        }
        if state.is_ready() {
            match tick(&state).await {
                Ok(n) if n > 0 => tracing::debug!(jobs = n, "scheduler ran jobs"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "scheduler tick failed; will retry"),
            }
            tidy_if_due(&state, &mut last_tidy).await;
        }
        let wait = next_wait(&state).await;
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.scheduler_wake.notified() => {}
        }
    }
}

/// Releases whose plain revisions one step of [`pack_old_revisions`] packs: a short write
/// transaction each, so editors' saves slip in between.
const PACK_RELEASES_PER_STEP: i64 = 50;

/// Packs the bodies and revisions an older version stored as plain text, a few releases at a
/// time, and stops when none is left (`dateline migrate` does the same in the foreground).
/// Readers handle both forms meanwhile, so nothing waits for it.
async fn pack_old_revisions(state: AppState) {
    let mut packed = 0;
    let mut waiting: Option<i64> = None;
    loop {
        if !state.is_ready() {
            tokio::time::sleep(state.config.scheduler_interval).await;
            continue;
        }
        let step = state
            .db(move |conn| -> WebResult<_> {
                let left = compaction::pending(conn)?;
                let n = if left > 0 {
                    compaction::pack(conn, PACK_RELEASES_PER_STEP)?
                } else {
                    0
                };
                Ok((left, n))
            })
            .await;
        match step {
            Ok((0, _)) | Ok((_, 0)) => break,
            Ok((left, n)) => {
                packed += n;
                let total = *waiting.get_or_insert(left);
                if packed % 5_000 < n {
                    tracing::info!(packed, total, "packing old bodies and revisions");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "packing old bodies and revisions failed; will retry");
                tokio::time::sleep(state.config.scheduler_interval).await;
            }
        }
    }
    if packed > 0 {
        tracing::info!(
            packed,
            "packed the bodies and revisions stored before this version"
        );
    }
}

/// How often each instance reads the content version, so a change another instance or the
/// command line made reaches this instance's page cache well within a second.
const CONTENT_VERSION_EVERY: Duration = Duration::from_millis(250);

/// Reads the content version at [`CONTENT_VERSION_EVERY`] (or the scheduler's interval, if
/// shorter): one indexed single-row read.
async fn watch_content_version(state: AppState) {
    let every = CONTENT_VERSION_EVERY.min(state.config.scheduler_interval);
    loop {
        tokio::time::sleep(every).await;
        state.learn_content_version().await;
    }
}

/// Sleeps no longer than the poll interval, and less when a job falls due sooner.
async fn next_wait(state: &AppState) -> Duration {
    let interval = state.config.scheduler_interval;
    if !state.is_ready() {
        return interval;
    }
    let now = state.clock.now();
    match state.db(jobs::next_due).await {
        Ok(Some(due)) => (due - now).to_std().unwrap_or(Duration::ZERO).min(interval),
        _ => interval,
    }
}

/// Runs every job that is due now. Returns how many ran.
pub async fn tick(state: &AppState) -> crate::error::WebResult<usize> {
    let now = state.clock.now();
    let due = state.db(jobs::next_due).await?;
    if due.is_none_or(|at| at > now) {
        return Ok(0);
    }
    // A job may put a release live. From before its commit until the new content version is
    // known, the page cache answers nothing, so no reader gets a page from before the lift.
    let _paused = state.page_cache.pause();
    let ran = run_due(state, now).await;
    state.learn_content_version().await;
    ran
}

async fn run_due(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> WebResult<usize> {
    let stopping = state.stopping.clone();
    state
        .db(move |conn| -> WebResult<_> {
            let mut count = 0;
            // A bounded batch, so one tick cannot starve the pool; a stopping server runs no
            // further job once the one in hand has committed.
            while count < 50 && !stopping.load(std::sync::atomic::Ordering::Acquire) {
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

/// Tidying runs once every this many scheduler intervals (a minute with the default interval):
/// often enough that nothing piles up, rare enough to cost nothing.
const TIDY_EVERY_INTERVALS: u32 = 60;

async fn tidy_if_due(state: &AppState, last: &mut Option<chrono::DateTime<chrono::Utc>>) {
    let now = state.clock.now();
    let every = chrono::Duration::from_std(state.config.scheduler_interval * TIDY_EVERY_INTERVALS)
        .unwrap_or(chrono::Duration::minutes(1));
    if last.is_some_and(|t| now - t < every) {
        return;
    }
    *last = Some(now);
    match tidy(state).await {
        Ok(t) if t != Tidied::default() => tracing::info!(
            sessions = t.sessions,
            throttle_counters = t.throttle_counters,
            webhook_deliveries = t.webhook_deliveries,
            "removed expired rows"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "tidying failed; will retry"),
    }
}

/// What one tidy removed or refreshed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tidied {
    pub sessions: usize,
    pub throttle_counters: usize,
    pub webhook_deliveries: usize,
}

/// How long finished webhook deliveries stay in the admin's log.
const WEBHOOK_LOG_DAYS: i64 = 30;

/// Deletes sessions past their absolute or idle limit and throttle counters past the forget
/// window with no lock running, and forgets
/// webhook deliveries finished more than [`WEBHOOK_LOG_DAYS`] ago.
pub async fn tidy(state: &AppState) -> crate::error::WebResult<Tidied> {
    let now = state.clock.now();
    let idle = chrono::Duration::from_std(state.config.session_idle)
        .unwrap_or(chrono::Duration::minutes(30));
    let forget = chrono::Duration::minutes(crate::routes::auth::attempts::FORGET_AFTER_MINUTES);
    state
        .db(move |conn| -> WebResult<_> {
            Ok(Tidied {
                sessions: sessions::purge_expired(conn, now, idle)?,
                throttle_counters: throttle::purge_stale(conn, now, forget)?,
                webhook_deliveries: webhooks::purge_finished(
                    conn,
                    now - chrono::Duration::days(WEBHOOK_LOG_DAYS),
                )?,
            })
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
            // A deleted release is not found here, and the job is dropped.
            let release = releases::get(conn, release_id)?;
            let lift = Change::Move {
                transition: Transition::LiftEmbargo,
                note: String::new(),
            };
            let scheduler = Caller::system("scheduler");
            usecases::releases::transition_in(conn, &scheduler, &release, lift, None, now)?;
            Ok(())
        }
        (kind, _) => Err(StorageError::Invalid(
            dateline_core::ValidationErrors::single("kind", format!("unknown job kind {kind:?}")),
        )),
    }
}
