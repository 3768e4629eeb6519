//! The release state machine and the rules about every workflow command. Every change of status
//! goes through [`apply`]; every command an editor or the scheduler gives is decided by [`plan`],
//! which says what to write without writing it. Whether the person asking may give the command
//! is a separate question, answered by the permission matrix in `dateline-auth`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::release::ReleaseStatus::{self, *};
use crate::release::{Release, ReleaseContent, RevisionAction};
use crate::slug::{SlugState, is_valid_slug, slug_for_save};

/// The explicit actions that move a release between statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// A contributor hands a draft to the editors.
    Submit,
    /// An editor returns a release to its author with a comment.
    SendBack,
    /// An editor approves a release to go live at its embargo time.
    Approve,
    /// An editor puts a release live now.
    Publish,
    /// The scheduler puts a scheduled release live when its embargo time comes.
    LiftEmbargo,
    /// An editor takes a live release down; its URL then answers 410.
    Withdraw,
    /// An editor puts a withdrawn release back up.
    Reinstate,
    /// An editor publishes a correction to a live release. Status stays published.
    Correct,
}

impl Transition {
    pub const ALL: [Transition; 8] = [
        Transition::Submit,
        Transition::SendBack,
        Transition::Approve,
        Transition::Publish,
        Transition::LiftEmbargo,
        Transition::Withdraw,
        Transition::Reinstate,
        Transition::Correct,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::SendBack => "send_back",
            Transition::Approve => "approve",
            Transition::Publish => "publish",
            Transition::LiftEmbargo => "lift_embargo",
            Transition::Withdraw => "withdraw",
            Transition::Reinstate => "reinstate",
            Transition::Correct => "correct",
        }
    }

    /// Whether the move changes what the public can see, and so must go through the one publish
    /// pipeline that also bumps caches, feeds, the sitemap and the search index.
    pub fn changes_public_view(self) -> bool {
        matches!(
            self,
            Transition::Publish
                | Transition::LiftEmbargo
                | Transition::Withdraw
                | Transition::Reinstate
                | Transition::Correct
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} release cannot be {action}: {hint}", from = from.label().to_lowercase(), action = past_tense(*transition))]
pub struct TransitionError {
    pub from: ReleaseStatus,
    pub transition: Transition,
    pub hint: &'static str,
}

fn past_tense(t: Transition) -> &'static str {
    match t {
        Transition::Submit => "submitted for review",
        Transition::SendBack => "sent back",
        Transition::Approve => "approved for an embargo",
        Transition::Publish => "published",
        Transition::LiftEmbargo => "released from embargo",
        Transition::Withdraw => "withdrawn",
        Transition::Reinstate => "reinstated",
        Transition::Correct => "corrected",
    }
}

/// The status after `transition`, or why it is not allowed from `from`.
pub fn apply(
    from: ReleaseStatus,
    transition: Transition,
) -> Result<ReleaseStatus, TransitionError> {
    let to = match (from, transition) {
        (Draft, Transition::Submit) => Some(InReview),
        (InReview | Scheduled, Transition::SendBack) => Some(Draft),
        (Draft | InReview, Transition::Approve) => Some(Scheduled),
        (Draft | InReview | Scheduled, Transition::Publish) => Some(Published),
        (Scheduled, Transition::LiftEmbargo) => Some(Published),
        (Published, Transition::Withdraw) => Some(Withdrawn),
        (Withdrawn, Transition::Reinstate) => Some(Published),
        (Published, Transition::Correct) => Some(Published),
        _ => None,
    };
    to.ok_or(TransitionError {
        from,
        transition,
        hint: hint(from, transition),
    })
}

fn hint(from: ReleaseStatus, transition: Transition) -> &'static str {
    match (from, transition) {
        (Published, Transition::Submit | Transition::Approve | Transition::Publish) => {
            "it is already live; publish a correction instead"
        }
        (Withdrawn, _) => "it was withdrawn; reinstate it first",
        (_, Transition::Correct) => "only live releases take corrections; edit it instead",
        (_, Transition::Withdraw) => "only live releases can be withdrawn",
        (Scheduled, Transition::Submit | Transition::Approve) => {
            "it is already approved and scheduled"
        }
        (InReview, Transition::Submit) => "it is already waiting for review",
        (Draft, Transition::SendBack) => "it is already a draft",
        (_, Transition::LiftEmbargo) => "only scheduled releases are released by the scheduler",
        (_, Transition::Reinstate) => "only withdrawn releases can be reinstated",
        _ => "this move is not part of the workflow",
    }
}

/// The moves that make sense from `from`, for offering buttons.
pub fn available(from: ReleaseStatus) -> Vec<Transition> {
    Transition::ALL
        .into_iter()
        .filter(|t| apply(from, *t).is_ok())
        .collect()
}

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
    /// The action name the audit log records.
    pub fn audit_action(&self) -> &'static str {
        match self {
            Change::Move { transition, .. } => transition.as_str(),
            Change::Approve { .. } => "approve",
            Change::Publish { .. } => "publish",
            Change::Correct { .. } => "correct",
            Change::Restore { .. } => "restore",
            Change::ChangeSlug { .. } => "change_slug",
        }
    }

    /// Whether the change alters what readers of a live release see without moving its status.
    fn edits_public_view(&self) -> bool {
        matches!(
            self,
            Change::Correct { .. } | Change::Restore { .. } | Change::ChangeSlug { .. }
        )
    }
}

/// Why a workflow command is refused. The text is what the editor reads, on the page or in the
/// API's problem document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The state machine has no such move from the current status.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("Say why the release is withdrawn: readers see this notice.")]
    WithdrawalReasonMissing,
    /// Approving and correcting carry more than a note, so they have their own commands.
    #[error("Use the approve or correct action for this.")]
    UseOwnCommand,
    #[error("The embargo time must be in the future; to release now, publish instead.")]
    EmbargoNotInFuture,
    #[error("A release cannot be published in the future; approve it with an embargo instead.")]
    PublicationInFuture,
    #[error("A correction needs a public note saying what changed.")]
    CorrectionNoteMissing,
    #[error("Keep the correction note under 1000 characters.")]
    CorrectionNoteTooLong,
    #[error("This release was withdrawn: reinstate it before changing it.")]
    WithdrawnReinstateFirst,
    #[error("That revision's text is what readers see already; there is nothing to restore.")]
    NothingToRestore,
    #[error("There is no revision {0} of this release.")]
    NoSuchRevision(i64),
    #[error("Use lowercase letters, digits and single hyphens.")]
    BadSlug,
}

impl Refusal {
    /// The form field the refusal is about, so a page can show it beside that field; `None` when
    /// it is about the release as a whole.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Refusal::WithdrawalReasonMissing => Some("reason"),
            Refusal::UseOwnCommand => Some("action"),
            Refusal::EmbargoNotInFuture => Some("embargo_at"),
            Refusal::PublicationInFuture => Some("published_at"),
            Refusal::CorrectionNoteMissing | Refusal::CorrectionNoteTooLong => Some("note"),
            Refusal::BadSlug => Some("slug"),
            Refusal::Transition(_)
            | Refusal::WithdrawnReinstateFirst
            | Refusal::NothingToRestore
            | Refusal::NoSuchRevision(_) => None,
        }
    }
}

/// Longest public correction note, in characters.
pub const CORRECTION_NOTE_MAX: usize = 1_000;

/// The release as it stands, read in the transaction that will carry out the plan.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    pub release: &'a Release,
    /// An editor chose the slug, so publication does not derive it from the headline.
    pub slug_chosen: bool,
    /// The text of the revision a [`Change::Restore`] names, if that revision exists. Only the
    /// caller can read it; other commands ignore it.
    pub restoring: Option<&'a ReleaseContent>,
}

/// What carrying out a command writes, decided before anything is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub from: ReleaseStatus,
    pub to: ReleaseStatus,
    /// Field writes, in order: cancelling jobs comes before scheduling a new one.
    pub steps: Vec<Step>,
    /// How the next revision comes about.
    pub record: Record,
    /// Whether readers see something new, so caches, feeds and the search index must follow.
    pub public_changed: bool,
    /// The audit log's name for the command.
    pub action: &'static str,
}

/// One write of a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Drop the release's pending scheduler jobs.
    CancelJobs,
    SetStatus(ReleaseStatus),
    SetEmbargo(Option<DateTime<Utc>>),
    /// Go live: the status, the publication time and the slug the public address keeps.
    Publish {
        at: DateTime<Utc>,
        slug: String,
    },
    /// Keep the withdrawal time and the notice readers see in place of the release.
    Withdraw {
        at: DateTime<Utc>,
        reason: String,
    },
    /// Forget the withdrawal notice.
    Reinstate,
    /// The slug an editor chose; it stays until an editor changes it again.
    ChooseSlug(String),
    /// The editor's comment to the author, kept against the revision they read.
    ReviewComment {
        revision: i64,
        body: String,
    },
    /// A public correction notice, for the revision the new text becomes.
    Correction {
        revision: i64,
        note: String,
    },
    /// Have the scheduler publish the release at this time.
    SchedulePublish(DateTime<Utc>),
}

/// How a command leaves a new revision behind.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// The text stays; a snapshot of it records the move.
    Snapshot {
        action: RevisionAction,
        note: String,
    },
    /// New text replaces the current one.
    NewText {
        content: ReleaseContent,
        action: RevisionAction,
        note: String,
    },
}

impl Plan {
    /// The audit row's detail: the status move, and the note a snapshot carries.
    pub fn audit_detail(&self) -> String {
        let note = match &self.record {
            Record::Snapshot { note, .. } if !note.is_empty() => format!(": {note}"),
            _ => String::new(),
        };
        format!("{} -> {}{note}", self.from.as_str(), self.to.as_str())
    }
}

/// The part of a plan each command decides.
struct Outcome {
    to: ReleaseStatus,
    steps: Vec<Step>,
    record: Record,
}

impl Outcome {
    fn snapshot(to: ReleaseStatus, steps: Vec<Step>, action: RevisionAction, note: &str) -> Self {
        let note = note.to_owned();
        Outcome {
            to,
            steps,
            record: Record::Snapshot { action, note },
        }
    }
}

/// Decides `change` on the release as it stands at `now`: what to write, or why not.
pub fn plan(current: &Current<'_>, change: &Change, now: DateTime<Utc>) -> Result<Plan, Refusal> {
    let from = current.release.status;
    let outcome = match change {
        Change::Move { transition, note } => plan_move(current, *transition, note, now)?,
        Change::Approve { embargo_at } => plan_approve(from, *embargo_at, now)?,
        Change::Publish { at } => plan_publish(current, at.unwrap_or(now), now)?,
        Change::Correct { content, note } => plan_correct(current, content, note)?,
        Change::Restore { revision, note } => plan_restore(current, *revision, note)?,
        Change::ChangeSlug { slug } => plan_slug(current, slug)?,
    };
    let (was_public, is_public) = (from == Published, outcome.to == Published);
    Ok(Plan {
        from,
        to: outcome.to,
        steps: outcome.steps,
        record: outcome.record,
        public_changed: was_public != is_public || (is_public && change.edits_public_view()),
        action: change.audit_action(),
    })
}

fn plan_move(
    current: &Current<'_>,
    transition: Transition,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, Refusal> {
    let to = apply(current.release.status, transition)?;
    let note = note.trim();
    let (steps, note) = match transition {
        Transition::Submit => (vec![Step::SetStatus(to)], ""),
        Transition::SendBack => (send_back_steps(current.release, to, note), note),
        Transition::Withdraw => (withdraw_steps(to, note, now)?, note),
        Transition::Reinstate => (vec![Step::Reinstate, Step::SetStatus(to)], ""),
        // Published when it actually became visible: feed readers polling since their last fetch
        // must not miss it after a catch-up.
        Transition::LiftEmbargo | Transition::Publish => (publish_steps(current, now), ""),
        Transition::Approve | Transition::Correct => return Err(Refusal::UseOwnCommand),
    };
    Ok(Outcome::snapshot(
        to,
        steps,
        RevisionAction::Transition,
        note,
    ))
}

fn send_back_steps(release: &Release, to: ReleaseStatus, note: &str) -> Vec<Step> {
    let mut steps = vec![
        Step::CancelJobs,
        Step::SetStatus(to),
        Step::SetEmbargo(None),
    ];
    if !note.is_empty() {
        steps.push(Step::ReviewComment {
            revision: release.revision,
            body: note.to_owned(),
        });
    }
    steps
}

fn withdraw_steps(
    to: ReleaseStatus,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Step>, Refusal> {
    if reason.is_empty() {
        return Err(Refusal::WithdrawalReasonMissing);
    }
    Ok(vec![
        Step::Withdraw {
            at: now,
            reason: reason.to_owned(),
        },
        Step::SetStatus(to),
    ])
}

fn publish_steps(current: &Current<'_>, at: DateTime<Utc>) -> Vec<Step> {
    let release = current.release;
    // The first publication fixes the slug from the headline going out, whatever a draft carried.
    let slug = slug_for_save(
        SlugState {
            current: &release.slug,
            chosen: current.slug_chosen,
            published_before: release.published_at.is_some(),
        },
        &release.content.headline,
    );
    vec![Step::CancelJobs, Step::Publish { at, slug }]
}

/// An embargo must lie ahead: a past one would publish at once, which is what publishing is for.
pub fn check_embargo(embargo_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Refusal> {
    if embargo_at <= now {
        return Err(Refusal::EmbargoNotInFuture);
    }
    Ok(())
}

fn plan_approve(
    from: ReleaseStatus,
    embargo_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Outcome, Refusal> {
    let to = apply(from, Transition::Approve)?;
    check_embargo(embargo_at, now)?;
    let steps = vec![
        Step::SetEmbargo(Some(embargo_at)),
        Step::SetStatus(to),
        Step::CancelJobs,
        Step::SchedulePublish(embargo_at),
    ];
    Ok(Outcome::snapshot(to, steps, RevisionAction::Transition, ""))
}

fn plan_publish(
    current: &Current<'_>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Outcome, Refusal> {
    let to = apply(current.release.status, Transition::Publish)?;
    if at > now {
        return Err(Refusal::PublicationInFuture);
    }
    let steps = publish_steps(current, at);
    Ok(Outcome::snapshot(to, steps, RevisionAction::Transition, ""))
}

/// The public note of a correction: required, trimmed, and short enough to read.
fn correction_note(note: &str) -> Result<&str, Refusal> {
    let note = note.trim();
    if note.is_empty() {
        return Err(Refusal::CorrectionNoteMissing);
    }
    if note.chars().count() > CORRECTION_NOTE_MAX {
        return Err(Refusal::CorrectionNoteTooLong);
    }
    Ok(note)
}

/// The notice readers see under a live release whose text changes.
fn correction(release: &Release, note: &str) -> Step {
    Step::Correction {
        revision: release.revision + 1,
        note: note.to_owned(),
    }
}

fn plan_correct(
    current: &Current<'_>,
    content: &ReleaseContent,
    note: &str,
) -> Result<Outcome, Refusal> {
    let to = apply(current.release.status, Transition::Correct)?;
    let note = correction_note(note)?;
    Ok(Outcome {
        to,
        steps: vec![correction(current.release, note)],
        record: Record::NewText {
            content: content.clone(),
            action: RevisionAction::Correct,
            note: note.to_owned(),
        },
    })
}

fn plan_restore(current: &Current<'_>, revision: i64, note: &str) -> Result<Outcome, Refusal> {
    let release = current.release;
    if release.status == Withdrawn {
        return Err(Refusal::WithdrawnReinstateFirst);
    }
    let content = current.restoring.ok_or(Refusal::NoSuchRevision(revision))?;
    // Live text changes only as a correction that readers can see. Status moves keep the text,
    // so an older revision can match the live one; a correction notice for no change would
    // mislead readers.
    let live = release.status == Published;
    if live && (revision == release.revision || same_text(content, &release.content)) {
        return Err(Refusal::NothingToRestore);
    }
    let steps = if live {
        vec![correction(release, correction_note(note)?)]
    } else {
        Vec::new()
    };
    Ok(Outcome {
        to: release.status,
        steps,
        record: Record::NewText {
            content: content.clone(),
            action: RevisionAction::Restore,
            note: format!("restored revision {revision}"),
        },
    })
}

fn plan_slug(current: &Current<'_>, slug: &str) -> Result<Outcome, Refusal> {
    if !is_valid_slug(slug) {
        return Err(Refusal::BadSlug);
    }
    let release = current.release;
    let note = format!("slug changed from {} to {slug}", release.slug);
    let steps = vec![Step::ChooseSlug(slug.to_owned())];
    Ok(Outcome::snapshot(
        release.status,
        steps,
        RevisionAction::Save,
        &note,
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path() {
        let s = apply(Draft, Transition::Submit).unwrap();
        let s = apply(s, Transition::Approve).unwrap();
        assert_eq!(s, Scheduled);
        let s = apply(s, Transition::LiftEmbargo).unwrap();
        assert_eq!(s, Published);
        assert_eq!(apply(s, Transition::Correct), Ok(Published));
        let s = apply(s, Transition::Withdraw).unwrap();
        assert_eq!(s, Withdrawn);
        assert_eq!(apply(s, Transition::Reinstate), Ok(Published));
    }

    #[test]
    fn the_full_table() {
        // Every (status, transition) pair, so a change to the machine is a visible change here.
        let allowed: &[(ReleaseStatus, Transition, ReleaseStatus)] = &[
            (Draft, Transition::Submit, InReview),
            (Draft, Transition::Approve, Scheduled),
            (Draft, Transition::Publish, Published),
            (InReview, Transition::SendBack, Draft),
            (InReview, Transition::Approve, Scheduled),
            (InReview, Transition::Publish, Published),
            (Scheduled, Transition::SendBack, Draft),
            (Scheduled, Transition::Publish, Published),
            (Scheduled, Transition::LiftEmbargo, Published),
            (Published, Transition::Withdraw, Withdrawn),
            (Published, Transition::Correct, Published),
            (Withdrawn, Transition::Reinstate, Published),
        ];
        for from in ReleaseStatus::ALL {
            for t in Transition::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, tr, _)| *f == from && *tr == t)
                    .map(|a| a.2);
                match (apply(from, t), expected) {
                    (Ok(to), Some(e)) => assert_eq!(to, e, "{from:?} {t:?}"),
                    (Err(err), None) => {
                        assert_eq!(err.from, from);
                        assert!(!err.to_string().is_empty());
                    }
                    (got, want) => panic!("{from:?} {t:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn errors_read_well() {
        let err = apply(Published, Transition::Publish).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a published release cannot be published: it is already live; publish a correction instead"
        );
        assert_eq!(
            available(Draft),
            vec![Transition::Submit, Transition::Approve, Transition::Publish]
        );
    }
}
