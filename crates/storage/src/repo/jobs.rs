//! The persistent scheduler's jobs. A job is claimed and run in the same transaction as the work
//! it does, so a crash before commit leaves it due and a commit leaves it done: each job runs to
//! completion exactly once, however many instances poll.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError};
use crate::schema::jobs;
use crate::time::{from_db, to_db};

pub const PUBLISH_RELEASE: &str = "publish_release";

/// After this many failed attempts a job is given up and left for a person to look at.
pub const MAX_ATTEMPTS: i32 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub release_id: Option<i64>,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
}

#[derive(Queryable)]
struct JobRow {
    id: i64,
    kind: String,
    release_id: Option<i64>,
    run_at: NaiveDateTime,
    _created_at: NaiveDateTime,
    attempts: i32,
    _last_error: String,
    _done_at: Option<NaiveDateTime>,
    _cancelled_at: Option<NaiveDateTime>,
}

impl From<JobRow> for Job {
    fn from(r: JobRow) -> Self {
        Job {
            id: r.id,
            kind: r.kind,
            release_id: r.release_id,
            run_at: from_db(r.run_at),
            attempts: r.attempts,
        }
    }
}

pub fn schedule_publish(
    conn: &mut DbConnection,
    release_id: i64,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(PUBLISH_RELEASE),
            jobs::release_id.eq(Some(release_id)),
            jobs::run_at.eq(to_db(run_at)),
            jobs::created_at.eq(to_db(now)),
            jobs::attempts.eq(0),
            jobs::last_error.eq(""),
        ))
        .execute(conn)?;
    Ok(())
}

/// Cancels the open jobs of a release (it was sent back, published by hand, or re-approved).
pub fn cancel_for_release(
    conn: &mut DbConnection,
    release_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    diesel::update(
        jobs::table
            .filter(jobs::release_id.eq(release_id))
            .filter(jobs::done_at.is_null())
            .filter(jobs::cancelled_at.is_null()),
    )
    .set(jobs::cancelled_at.eq(Some(to_db(now))))
    .execute(conn)?;
    Ok(())
}

/// Open jobs, soonest first: for the dashboard and for tests.
pub fn pending(conn: &mut DbConnection) -> Result<Vec<Job>> {
    Ok(jobs::table
        .filter(jobs::done_at.is_null())
        .filter(jobs::cancelled_at.is_null())
        .order((jobs::run_at.asc(), jobs::id.asc()))
        .load::<JobRow>(conn)?
        .into_iter()
        .map(Job::from)
        .collect())
}

/// The soonest time any open job is due, so the scheduler can sleep until then.
pub fn next_due(conn: &mut DbConnection) -> Result<Option<DateTime<Utc>>> {
    Ok(jobs::table
        .filter(jobs::done_at.is_null())
        .filter(jobs::cancelled_at.is_null())
        .filter(jobs::attempts.lt(MAX_ATTEMPTS))
        .select(diesel::dsl::min(jobs::run_at))
        .first::<Option<NaiveDateTime>>(conn)?
        .map(from_db))
}

/// The queue as an operator sees it: open jobs, those already due, and the oldest due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueState {
    pub open: i64,
    pub due: i64,
    pub oldest_due: Option<DateTime<Utc>>,
}

/// Reads the queue in two indexed aggregates, for `/metrics`. Jobs given up after
/// [`MAX_ATTEMPTS`] are not waiting for the scheduler any more, so they are left out.
pub fn queue_state(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<QueueState> {
    let open = || {
        jobs::table
            .filter(jobs::done_at.is_null())
            .filter(jobs::cancelled_at.is_null())
            .filter(jobs::attempts.lt(MAX_ATTEMPTS))
    };
    let total: i64 = open().count().get_result(conn)?;
    let (due, oldest): (i64, Option<NaiveDateTime>) = open()
        .filter(jobs::run_at.le(to_db(now)))
        .select((diesel::dsl::count_star(), diesel::dsl::min(jobs::run_at)))
        .first(conn)?;
    Ok(QueueState {
        open: total,
        due,
        oldest_due: oldest.map(from_db),
    })
}

/// How a claimed job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    Done(Job),
    /// The work failed and was rolled back; the job stays due until it runs out of attempts.
    Failed(Job, String),
    /// The work can never succeed (e.g. the release is no longer scheduled); the job is closed.
    Dropped(Job, String),
}

/// Claims the oldest due job, if any, and runs `work` on it inside the same transaction. The
/// work's own writes and the job's completion commit together.
pub fn run_one_due<F>(conn: &mut DbConnection, now: DateTime<Utc>, work: F) -> Result<Option<Ran>>
where
    F: FnOnce(&mut DbConnection, &Job) -> Result<()>,
{
    write_tx(conn, |conn| {
        let Some(job) = claim(conn, now)? else {
            return Ok(None);
        };
        // A savepoint: the work's partial writes roll back on failure, the bookkeeping stays.
        let outcome = conn.transaction(|conn| work(conn, &job));
        let ran = match outcome {
            Ok(()) => {
                diesel::update(jobs::table.find(job.id))
                    .set((
                        jobs::done_at.eq(Some(to_db(now))),
                        jobs::attempts.eq(jobs::attempts + 1),
                    ))
                    .execute(conn)?;
                Ran::Done(job)
            }
            Err(
                e @ (StorageError::Domain(_) | StorageError::NotFound | StorageError::Invalid(_)),
            ) => {
                let msg = e.to_string();
                diesel::update(jobs::table.find(job.id))
                    .set((
                        jobs::cancelled_at.eq(Some(to_db(now))),
                        jobs::last_error.eq(&msg),
                        jobs::attempts.eq(jobs::attempts + 1),
                    ))
                    .execute(conn)?;
                Ran::Dropped(job, msg)
            }
            Err(e) => {
                let msg = e.to_string();
                // Back off so a persistent failure does not spin: 5 s, 10 s, 20 s, …
                let delay =
                    chrono::Duration::seconds(5 * 2i64.pow(job.attempts.clamp(0, 10) as u32));
                diesel::update(jobs::table.find(job.id))
                    .set((
                        jobs::last_error.eq(&msg),
                        jobs::attempts.eq(jobs::attempts + 1),
                        jobs::run_at.eq(to_db(now + delay)),
                    ))
                    .execute(conn)?;
                Ran::Failed(job, msg)
            }
        };
        Ok(Some(ran))
    })
}

fn claim(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Option<Job>> {
    let due = jobs::table
        .filter(jobs::done_at.is_null())
        .filter(jobs::cancelled_at.is_null())
        .filter(jobs::attempts.lt(MAX_ATTEMPTS))
        .filter(jobs::run_at.le(to_db(now)))
        .order((jobs::run_at.asc(), jobs::id.asc()))
        .limit(1);
    let row = match conn {
        // Another instance holding a due job's row lock is working on it: skip, don't wait.
        DbConnection::Pg(c) => due
            .for_update()
            .skip_locked()
            .first::<JobRow>(c)
            .optional()?,
        // SQLite: `BEGIN IMMEDIATE` in write_tx already made this the only writer.
        DbConnection::Sqlite(c) => due.first::<JobRow>(c).optional()?,
    };
    Ok(row.map(Job::from))
}
