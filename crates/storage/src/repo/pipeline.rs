//! The one publish pipeline. Every change of status — and every change to what the public can
//! see of a live release — goes through [`apply`], in one transaction that also writes the
//! revision, the audit row, the scheduler job, the search index and the content-version bump.
//! A crash anywhere before the commit leaves the release exactly as it was (`docs/security.md` R2).

use chrono::{DateTime, Utc};
use dateline_core::workflow::{self, Transition};
use dateline_core::{Release, ReleaseContent, ReleaseStatus, ValidationErrors};
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError};
use crate::repo::audit::{self, Actor, Entry, Outcome};
use crate::repo::releases::{self as release_repo, ReleaseRow, RevisionAction};
use crate::repo::{jobs, settings};
use crate::schema::{corrections, releases, review_comments};
use crate::time::to_db;

/// What to do to a release.
#[derive(Debug, Clone)]
pub enum Change {
    /// A state-machine move. `note` is the send-back comment or the withdrawal reason.
    Move {
        transition: Transition,
        note: String,
    },
    /// Approve for release at `embargo_at`.
    Approve { embargo_at: DateTime<Utc> },
    /// Publish now, or at a given past time (imports and the demo load historical releases).
    Publish { at: Option<DateTime<Utc>> },
    /// Publish a correction on a live release: new content and the public note.
    Correct {
        content: Box<ReleaseContent>,
        note: String,
    },
    /// Put an earlier revision's content back. On a live release this is a correction, and
    /// `note` is its public note; elsewhere the note is not used.
    Restore { revision: i64, note: String },
    /// Give the release a new slug; old links keep working because URLs carry the id.
    ChangeSlug { slug: String },
}

impl Change {
    fn audit_action(&self) -> &'static str {
        match self {
            Change::Move { transition, .. } => transition.as_str(),
            Change::Approve { .. } => "approve",
            Change::Publish { .. } => "publish",
            Change::Correct { .. } => "correct",
            Change::Restore { .. } => "restore",
            Change::ChangeSlug { .. } => "change_slug",
        }
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
        let row = lock_row(conn, req.release_id)?;
        if req
            .expected_revision
            .is_some_and(|expected| expected != row.revision)
        {
            return Err(StorageError::Conflict {
                current: row.revision,
            });
        }
        let from = row.status()?;
        let was_public = from == ReleaseStatus::Published;
        let mut revision_note = String::new();

        let to = match &req.change {
            Change::Move { transition, note } => {
                let to = workflow::apply(from, *transition)?;
                match transition {
                    Transition::SendBack => {
                        jobs::cancel_for_release(conn, row.id, req.now)?;
                        set_status(conn, row.id, to)?;
                        diesel::update(releases::table.find(row.id))
                            .set(releases::embargo_at.eq(None::<chrono::NaiveDateTime>))
                            .execute(conn)?;
                        if !note.trim().is_empty() {
                            diesel::insert_into(review_comments::table)
                                .values((
                                    review_comments::release_id.eq(row.id),
                                    review_comments::author_id.eq(req.actor.user_id),
                                    review_comments::revision.eq(row.revision),
                                    review_comments::body.eq(note.trim()),
                                    review_comments::created_at.eq(to_db(req.now)),
                                ))
                                .execute(conn)?;
                        }
                        revision_note = note.trim().to_owned();
                    }
                    Transition::Withdraw => {
                        if note.trim().is_empty() {
                            return Err(ValidationErrors::single(
                                "reason",
                                "Say why the release is withdrawn: readers see this notice.",
                            )
                            .into());
                        }
                        diesel::update(releases::table.find(row.id))
                            .set((
                                releases::withdrawn_at.eq(Some(to_db(req.now))),
                                releases::withdrawal_reason.eq(note.trim()),
                            ))
                            .execute(conn)?;
                        set_status(conn, row.id, to)?;
                        revision_note = note.trim().to_owned();
                    }
                    Transition::Reinstate => {
                        diesel::update(releases::table.find(row.id))
                            .set((
                                releases::withdrawn_at.eq(None::<chrono::NaiveDateTime>),
                                releases::withdrawal_reason.eq(""),
                            ))
                            .execute(conn)?;
                        set_status(conn, row.id, to)?;
                    }
                    Transition::LiftEmbargo => {
                        // Published when it actually became visible: feed readers polling since
                        // their last fetch must not miss it after a catch-up.
                        publish_row(conn, &row, req.now, req.now)?;
                    }
                    Transition::Publish => publish_row(conn, &row, req.now, req.now)?,
                    Transition::Approve | Transition::Correct => {
                        return Err(ValidationErrors::single(
                            "action",
                            "Use the approve or correct action for this.",
                        )
                        .into());
                    }
                    Transition::Submit => set_status(conn, row.id, to)?,
                }
                to
            }
            Change::Approve { embargo_at } => {
                let to = workflow::apply(from, Transition::Approve)?;
                if *embargo_at <= req.now {
                    return Err(ValidationErrors::single(
                        "embargo_at",
                        "The embargo time must be in the future; to release now, publish instead.",
                    )
                    .into());
                }
                diesel::update(releases::table.find(row.id))
                    .set(releases::embargo_at.eq(Some(to_db(*embargo_at))))
                    .execute(conn)?;
                set_status(conn, row.id, to)?;
                jobs::cancel_for_release(conn, row.id, req.now)?;
                jobs::schedule_publish(conn, row.id, *embargo_at, req.now)?;
                to
            }
            Change::Publish { at } => {
                let to = workflow::apply(from, Transition::Publish)?;
                let at = at.unwrap_or(req.now);
                if at > req.now {
                    return Err(ValidationErrors::single("published_at", "A release cannot be published in the future; approve it with an embargo instead.").into());
                }
                publish_row(conn, &row, at, req.now)?;
                to
            }
            Change::Correct { content, note } => {
                workflow::apply(from, Transition::Correct)?;
                let note = correction_note(note)?;
                release_repo::update_content(
                    conn,
                    row.id,
                    row.revision,
                    content,
                    req.actor.user_id,
                    RevisionAction::Correct,
                    note,
                )?;
                record_correction(conn, req, row.id, row.revision + 1, note)?;
                return finish(conn, req, from, true, None);
            }
            Change::Restore { revision, note } => {
                if from == ReleaseStatus::Withdrawn {
                    return Err(StorageError::Refused(
                        "This release was withdrawn: reinstate it before changing it.",
                    ));
                }
                // Live text changes only as a correction that readers can see.
                let live = from == ReleaseStatus::Published;
                let content = revision_content(conn, row.id, *revision)?;
                // Status moves keep the text, so an older revision can match the live one; a
                // correction notice for no change would mislead readers.
                if live
                    && (*revision == row.revision
                        || same_text(&content, &release_repo::get(conn, row.id)?.content))
                {
                    return Err(StorageError::Refused(
                        "That revision's text is what readers see already; there is nothing to restore.",
                    ));
                }
                let note = if live { correction_note(note)? } else { "" };
                release_repo::update_content(
                    conn,
                    row.id,
                    row.revision,
                    &content,
                    req.actor.user_id,
                    RevisionAction::Restore,
                    &format!("restored revision {revision}"),
                )?;
                if live {
                    record_correction(conn, req, row.id, row.revision + 1, note)?;
                }
                return finish(conn, req, from, was_public, None);
            }
            Change::ChangeSlug { slug } => {
                if !dateline_core::slug::is_valid_slug(slug) {
                    return Err(ValidationErrors::single(
                        "slug",
                        "Use lowercase letters, digits and single hyphens.",
                    )
                    .into());
                }
                diesel::update(releases::table.find(row.id))
                    .set((releases::slug.eq(slug), releases::slug_chosen.eq(true)))
                    .execute(conn)?;
                revision_note = format!("slug changed from {} to {slug}", row.slug);
                from
            }
        };

        // Status moves and slug changes bump the revision and leave a snapshot of the content.
        diesel::update(releases::table.find(row.id))
            .set((
                releases::revision.eq(releases::revision + 1),
                releases::updated_at.eq(to_db(req.now)),
            ))
            .execute(conn)?;
        let updated = release_repo::row(conn, row.id)?;
        let content = current_content(conn, &updated)?;
        let revision_action = if matches!(req.change, Change::ChangeSlug { .. }) {
            RevisionAction::Save
        } else {
            RevisionAction::Transition
        };
        release_repo::record_revision(
            conn,
            &updated,
            &content,
            revision_action,
            &revision_note,
            req.actor.user_id,
        )?;
        let is_public = to == ReleaseStatus::Published;
        let public_changed = was_public != is_public
            || (is_public && matches!(req.change, Change::ChangeSlug { .. }));
        finish(conn, req, from, public_changed, Some(revision_note))
    })
}

fn finish(
    conn: &mut DbConnection,
    req: &Request,
    from: ReleaseStatus,
    public_changed: bool,
    detail: Option<String>,
) -> Result<Applied> {
    let release = release_repo::get(conn, req.release_id)?;
    if public_changed {
        crate::repo::search::sync(conn, &release)?;
        settings::bump_content_version(conn, req.now)?;
    }
    audit::record(
        conn,
        &Entry {
            actor: &req.actor,
            action: req.change.audit_action(),
            object_type: "release",
            object_id: release.public_id.to_string(),
            outcome: Outcome::Ok,
            detail: format!(
                "{} -> {}{}",
                from.as_str(),
                release.status.as_str(),
                detail
                    .filter(|d| !d.is_empty())
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
            at: req.now,
        },
    )?;
    failpoint("publish.before_commit");
    Ok(Applied {
        release,
        previous_status: from,
        public_changed,
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

fn set_status(conn: &mut DbConnection, id: i64, status: ReleaseStatus) -> Result<()> {
    diesel::update(releases::table.find(id))
        .set(releases::status.eq(status.as_str()))
        .execute(conn)?;
    Ok(())
}

fn publish_row(
    conn: &mut DbConnection,
    row: &ReleaseRow,
    published_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    jobs::cancel_for_release(conn, row.id, now)?;
    // The first publication fixes the slug from the headline going out, whatever a draft carried.
    diesel::update(releases::table.find(row.id))
        .set((
            releases::status.eq(ReleaseStatus::Published.as_str()),
            releases::published_at.eq(Some(to_db(published_at))),
            releases::slug.eq(row.slug_for(&row.headline)),
        ))
        .execute(conn)?;
    Ok(())
}

fn current_content(conn: &mut DbConnection, row: &ReleaseRow) -> Result<ReleaseContent> {
    Ok(release_repo::get(conn, row.id)?.content)
}

/// Whether two versions read the same: tags and taxonomy are sets, whatever order they were
/// typed or stored in.
fn same_text(a: &ReleaseContent, b: &ReleaseContent) -> bool {
    let normal = |c: &ReleaseContent| {
        let mut c = c.clone();
        c.tags.iter_mut().for_each(|t| *t = t.to_lowercase());
        c.tags.sort();
        c.category_ids.sort_unstable();
        c.region_ids.sort_unstable();
        c
    };
    normal(a) == normal(b)
}

/// The public note of a correction: required, trimmed, and short enough to read.
fn correction_note(note: &str) -> Result<&str> {
    let note = note.trim();
    if note.is_empty() {
        return Err(ValidationErrors::single(
            "note",
            "A correction needs a public note saying what changed.",
        )
        .into());
    }
    if note.chars().count() > 1_000 {
        return Err(ValidationErrors::single(
            "note",
            "Keep the correction note under 1000 characters.",
        )
        .into());
    }
    Ok(note)
}

/// Marks the release corrected and keeps the note readers see under it.
fn record_correction(
    conn: &mut DbConnection,
    req: &Request,
    release_id: i64,
    revision: i64,
    note: &str,
) -> Result<()> {
    diesel::update(releases::table.find(release_id))
        .set(releases::corrected_at.eq(Some(to_db(req.now))))
        .execute(conn)?;
    diesel::insert_into(corrections::table)
        .values((
            corrections::release_id.eq(release_id),
            corrections::note.eq(note),
            corrections::revision.eq(revision),
            corrections::editor_id.eq(req.actor.user_id),
            corrections::corrected_at.eq(to_db(req.now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The content snapshot of one revision.
pub fn revision_content(
    conn: &mut DbConnection,
    release_id: i64,
    revision: i64,
) -> Result<ReleaseContent> {
    crate::repo::revisions::get(conn, release_id, revision).map(|(_, content)| content)
}
