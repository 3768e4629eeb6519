//! The one publish pipeline. Every change of status — and every change to what the public can
//! see of a live release — goes through [`apply`], in one transaction that also writes the
//! revision, the audit row, the scheduler job, the search index, the content-version bump and
//! the webhook deliveries the change owes.
//! A crash anywhere before the commit leaves the release exactly as it was (`docs/security.md` R2).
//!
//! What a command does, and whether it is allowed, is decided by [`workflow::plan`] in
//! `dateline-core`; this module reads the release, asks for the plan and carries it out.

use chrono::{DateTime, Utc};
use dateline_core::workflow::{self, Current, Plan, Record, Step, Transition};
use dateline_core::{Release, ReleaseContent, ReleaseStatus};
use diesel::prelude::*;

pub use dateline_core::workflow::Change;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError};
use crate::repo::audit::{Actor, AuditAction, Entry};
use crate::repo::releases::{self as release_repo, ReleaseRow};
use crate::repo::{jobs, settings, webhooks};
use crate::schema::{corrections, releases, review_comments};
use crate::time::{opt_to_db, to_db};

/// The audit log's name for a command.
fn audit_action(change: &Change) -> AuditAction {
    match change {
        Change::Move { transition, .. } => AuditAction::Transition(*transition),
        Change::Approve { .. } => AuditAction::Transition(Transition::Approve),
        Change::Publish { .. } => AuditAction::Transition(Transition::Publish),
        Change::Correct { .. } => AuditAction::Transition(Transition::Correct),
        Change::Restore { .. } => AuditAction::Restore,
        Change::ChangeSlug { .. } => AuditAction::ChangeSlug,
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub release_id: i64,
    /// When set, the change only applies to this revision: a stale page gets `Conflict`.
    pub expected_revision: Option<i64>,
    pub change: Change,
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

/// What happened, for the caller's response and cache invalidation.
#[derive(Debug, Clone)]
pub struct Applied {
    pub release: Release,
    pub previous_status: ReleaseStatus,
    pub public_changed: bool,
}

/// Test builds can stop here to prove a kill in the middle leaves no half-published release.
fn failpoint(_name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("DATELINE_FAILPOINT").is_ok_and(|v| v == _name) {
        tracing::warn!(
            failpoint = _name,
            "failpoint reached: sleeping so a test can kill the process"
        );
        std::thread::sleep(std::time::Duration::from_secs(30));
    }
}

pub fn apply(conn: &mut DbConnection, req: &Request) -> Result<Applied> {
    write_tx(conn, |conn| {
        let (current, slug_chosen) = load_current(conn, req)?;
        let restoring = restored_text(conn, &current, &req.change)?;
        let current_view = Current {
            release: &current,
            slug_chosen,
            restoring: restoring.as_ref(),
        };
        let plan = workflow::plan(&current_view, &req.change, req.now)?;
        for step in &plan.steps {
            execute(conn, req, step)?;
        }
        let release = record(conn, req, &current, &plan.record)?;
        finish(conn, req, &plan, release)
    })
}

/// The release as it stands, locked for the rest of the transaction, and whether its slug was
/// chosen by an editor. A stale page (`expected_revision` behind) gets `Conflict`.
fn load_current(conn: &mut DbConnection, req: &Request) -> Result<(Release, bool)> {
    let row = lock_row(conn, req.release_id)?;
    if req
        .expected_revision
        .is_some_and(|expected| expected != row.revision)
    {
        return Err(StorageError::Conflict {
            current: row.revision,
        });
    }
    let slug_chosen = row.slug_chosen;
    Ok((release_repo::load(conn, row)?, slug_chosen))
}

/// The text of the revision a restore names, or `None` when there is no such revision (the plan
/// says so) or the change is not a restore.
fn restored_text(
    conn: &mut DbConnection,
    current: &Release,
    change: &Change,
) -> Result<Option<ReleaseContent>> {
    let Change::Restore { revision, .. } = change else {
        return Ok(None);
    };
    match revision_content(conn, current.id, *revision) {
        Ok(content) => Ok(Some(content)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Carries out one step of the plan.
fn execute(conn: &mut DbConnection, req: &Request, step: &Step) -> Result<()> {
    let (id, now) = (req.release_id, req.now);
    let row = releases::table.find(id);
    let written = match step {
        Step::CancelJobs => return jobs::cancel_for_release(conn, id, now),
        Step::SchedulePublish(at) => return jobs::schedule_publish(conn, id, *at, now).map(drop),
        Step::ReviewComment { revision, body } => {
            return add_review_comment(conn, req, *revision, body);
        }
        Step::Correction { revision, note } => return add_correction(conn, req, *revision, note),
        Step::SetStatus(status) => diesel::update(row)
            .set(releases::status.eq(status.as_str()))
            .execute(conn),
        Step::SetEmbargo(at) => diesel::update(row)
            .set(releases::embargo_at.eq(opt_to_db(*at)))
            .execute(conn),
        Step::Publish { at, slug } => diesel::update(row)
            .set((
                releases::status.eq(ReleaseStatus::Published.as_str()),
                releases::published_at.eq(Some(to_db(*at))),
                releases::slug.eq(slug),
            ))
            .execute(conn),
        Step::Withdraw { at, reason } => diesel::update(row)
            .set((
                releases::withdrawn_at.eq(Some(to_db(*at))),
                releases::withdrawal_reason.eq(reason),
            ))
            .execute(conn),
        Step::Reinstate => diesel::update(row)
            .set((
                releases::withdrawn_at.eq(None::<chrono::NaiveDateTime>),
                releases::withdrawal_reason.eq(""),
            ))
            .execute(conn),
        Step::ChooseSlug(slug) => diesel::update(row)
            .set((releases::slug.eq(slug), releases::slug_chosen.eq(true)))
            .execute(conn),
    };
    written?;
    Ok(())
}

fn add_review_comment(
    conn: &mut DbConnection,
    req: &Request,
    revision: i64,
    body: &str,
) -> Result<()> {
    diesel::insert_into(review_comments::table)
        .values((
            review_comments::release_id.eq(req.release_id),
            review_comments::author_id.eq(req.actor.user_id),
            review_comments::revision.eq(revision),
            review_comments::body.eq(body),
            review_comments::created_at.eq(to_db(req.now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the release corrected and keeps the note readers see under it.
fn add_correction(conn: &mut DbConnection, req: &Request, revision: i64, note: &str) -> Result<()> {
    diesel::update(releases::table.find(req.release_id))
        .set(releases::corrected_at.eq(Some(to_db(req.now))))
        .execute(conn)?;
    diesel::insert_into(corrections::table)
        .values((
            corrections::release_id.eq(req.release_id),
            corrections::note.eq(note),
            corrections::revision.eq(revision),
            corrections::editor_id.eq(req.actor.user_id),
            corrections::corrected_at.eq(to_db(req.now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes the next revision and returns the release as it now stands. Status moves and slug
/// changes keep the text and leave a snapshot of it; corrections and restores save new text.
fn record(
    conn: &mut DbConnection,
    req: &Request,
    current: &Release,
    record: &Record,
) -> Result<Release> {
    match record {
        Record::NewText {
            content,
            action,
            note,
        } => release_repo::update_content(
            conn,
            current.id,
            current.revision,
            content,
            req.actor.user_id,
            *action,
            note,
        ),
        Record::Snapshot { action, note } => {
            diesel::update(releases::table.find(current.id))
                .set((
                    releases::revision.eq(releases::revision + 1),
                    releases::updated_at.eq(to_db(req.now)),
                ))
                .execute(conn)?;
            let row = release_repo::row(conn, current.id)?;
            let release = release_repo::load(conn, row.clone())?;
            release_repo::record_revision(
                conn,
                &row,
                &release.content,
                *action,
                note,
                req.actor.user_id,
            )?;
            Ok(release)
        }
    }
}

/// Brings caches and the search index along when readers see something new, and audits.
fn finish(
    conn: &mut DbConnection,
    req: &Request,
    plan: &Plan,
    release: Release,
) -> Result<Applied> {
    if plan.public_changed {
        crate::repo::search::sync(conn, &release)?;
        settings::bump_content_version(conn, req.now)?;
    }
    Entry::new(
        &req.actor,
        audit_action(&req.change),
        "release",
        &release.public_id,
        req.now,
    )
    .detail(plan.audit_detail())
    .record(conn)?;
    if let Some(event) = plan.event {
        webhooks::enqueue(conn, event, &release, req.change.correction_note(), req.now)?;
    }
    failpoint("publish.before_commit");
    Ok(Applied {
        release,
        previous_status: plan.from,
        public_changed: plan.public_changed,
    })
}

/// Reads the row for update. SQLite's `BEGIN IMMEDIATE` already holds the write lock; PostgreSQL
/// needs the row lock so two instances cannot both move the same release.
fn lock_row(conn: &mut DbConnection, id: i64) -> Result<ReleaseRow> {
    match conn {
        DbConnection::Pg(c) => release_repo::lock_for_update(c, id),
        DbConnection::Sqlite(_) => release_repo::row(conn, id),
    }
}

/// The content snapshot of one revision.
pub fn revision_content(
    conn: &mut DbConnection,
    release_id: i64,
    revision: i64,
) -> Result<ReleaseContent> {
    crate::repo::revisions::get(conn, release_id, revision).map(|(_, content)| content)
}
