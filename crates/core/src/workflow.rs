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

    /// The note readers see with a correction (a restore on a live release is one), else "".
    pub fn correction_note(&self) -> &str {
        match self {
            Change::Correct { note, .. } | Change::Restore { note, .. } => note,
            _ => "",
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
    /// What webhook receivers hear of it, if anything.
    pub event: Option<crate::webhook::Event>,
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
        content: Box<ReleaseContent>,
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
        event: crate::webhook::Event::of_change(from, outcome.to, change),
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
            content: Box::new(content.clone()),
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
            content: Box::new(content.clone()),
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
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    use crate::content::SanitizedHtml;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    }

    fn text() -> ReleaseContent {
        ReleaseContent {
            headline: "Harbor opens".into(),
            body: "The harbor opens on Monday.".into(),
            tags: vec!["Port".into(), "city".into()],
            category_ids: vec![1, 2],
            region_ids: vec![5, 3],
            ..Default::default()
        }
    }

    /// A release at revision 4 whose slug still carries a working headline.
    fn release(status: ReleaseStatus) -> Release {
        let public = matches!(status, Published | Withdrawn);
        Release {
            id: 7,
            public_id: "0123456789".parse().unwrap(),
            slug: "working-title".into(),
            content: text(),
            body_html: SanitizedHtml::default(),
            status,
            embargo_at: None,
            published_at: public.then(|| now() - Duration::days(1)),
            corrected_at: None,
            created_at: now() - Duration::days(2),
            updated_at: now() - Duration::days(1),
            revision: 4,
            author_id: Some(1),
            organization: None,
            categories: Vec::new(),
            regions: Vec::new(),
            tags: Vec::new(),
            withdrawn_at: None,
            withdrawal_reason: String::new(),
        }
    }

    fn plan_on(release: &Release, change: &Change) -> Result<Plan, Refusal> {
        plan_restoring(release, None, change)
    }

    fn plan_restoring(
        release: &Release,
        restoring: Option<&ReleaseContent>,
        change: &Change,
    ) -> Result<Plan, Refusal> {
        let current = Current {
            release,
            slug_chosen: false,
            restoring,
        };
        plan(&current, change, now())
    }

    fn moving(transition: Transition, note: &str) -> Change {
        Change::Move {
            transition,
            note: note.into(),
        }
    }

    fn correcting(note: &str) -> Change {
        let mut content = text();
        content.body = "The harbor opens on Tuesday.".into();
        Change::Correct {
            content: Box::new(content),
            note: note.into(),
        }
    }

    fn restoring(revision: i64, note: &str) -> Change {
        Change::Restore {
            revision,
            note: note.into(),
        }
    }

    fn approving(offset: Duration) -> Change {
        Change::Approve {
            embargo_at: now() + offset,
        }
    }

    #[test]
    fn refusals_read_as_before_and_name_their_field() {
        // The pages and the API show these words; a change here is a change users see.
        let table: &[(Refusal, &str, Option<&str>)] = &[
            (
                Refusal::WithdrawalReasonMissing,
                "Say why the release is withdrawn: readers see this notice.",
                Some("reason"),
            ),
            (
                Refusal::UseOwnCommand,
                "Use the approve or correct action for this.",
                Some("action"),
            ),
            (
                Refusal::EmbargoNotInFuture,
                "The embargo time must be in the future; to release now, publish instead.",
                Some("embargo_at"),
            ),
            (
                Refusal::PublicationInFuture,
                "A release cannot be published in the future; approve it with an embargo instead.",
                Some("published_at"),
            ),
            (
                Refusal::CorrectionNoteMissing,
                "A correction needs a public note saying what changed.",
                Some("note"),
            ),
            (
                Refusal::CorrectionNoteTooLong,
                "Keep the correction note under 1000 characters.",
                Some("note"),
            ),
            (
                Refusal::WithdrawnReinstateFirst,
                "This release was withdrawn: reinstate it before changing it.",
                None,
            ),
            (
                Refusal::NothingToRestore,
                "That revision's text is what readers see already; there is nothing to restore.",
                None,
            ),
            (
                Refusal::NoSuchRevision(9),
                "There is no revision 9 of this release.",
                None,
            ),
            (
                Refusal::BadSlug,
                "Use lowercase letters, digits and single hyphens.",
                Some("slug"),
            ),
            (
                Refusal::Transition(apply(Published, Transition::Publish).unwrap_err()),
                "a published release cannot be published: it is already live; publish a correction instead",
                None,
            ),
        ];
        for (refusal, text, field) in table {
            assert_eq!(refusal.to_string(), *text);
            assert_eq!(refusal.field(), *field, "{refusal:?}");
        }
    }

    #[test]
    fn a_withdrawal_needs_a_reason_readers_see() {
        let live = release(Published);
        for blank in ["", "  ", "\n\t"] {
            assert_eq!(
                plan_on(&live, &moving(Transition::Withdraw, blank)),
                Err(Refusal::WithdrawalReasonMissing)
            );
        }
        let plan = plan_on(&live, &moving(Transition::Withdraw, "  Issued in error. ")).unwrap();
        assert_eq!(plan.to, Withdrawn);
        assert!(plan.public_changed);
        assert_eq!(
            plan.steps,
            vec![
                Step::Withdraw {
                    at: now(),
                    reason: "Issued in error.".into()
                },
                Step::SetStatus(Withdrawn)
            ]
        );
        assert_eq!(
            plan.audit_detail(),
            "published -> withdrawn: Issued in error."
        );
        // The state machine speaks first: a draft cannot be withdrawn, reason or not.
        assert!(matches!(
            plan_on(&release(Draft), &moving(Transition::Withdraw, "")),
            Err(Refusal::Transition(_))
        ));
    }

    #[test]
    fn a_send_back_comment_is_kept_against_the_revision_read() {
        let review = release(InReview);
        let plan = plan_on(&review, &moving(Transition::SendBack, "  Check the date. ")).unwrap();
        assert_eq!(plan.to, Draft);
        assert_eq!(
            plan.steps,
            vec![
                Step::CancelJobs,
                Step::SetStatus(Draft),
                Step::SetEmbargo(None),
                Step::ReviewComment {
                    revision: 4,
                    body: "Check the date.".into()
                }
            ]
        );
        // Without a comment nothing is kept for the author to read, and the move still happens.
        let silent = plan_on(&review, &moving(Transition::SendBack, " ")).unwrap();
        assert!(
            !silent
                .steps
                .iter()
                .any(|s| matches!(s, Step::ReviewComment { .. }))
        );
        assert_eq!(silent.audit_detail(), "in_review -> draft");
    }

    #[test]
    fn corrections_need_a_short_public_note() {
        let live = release(Published);
        assert_eq!(
            plan_on(&live, &correcting(" ")),
            Err(Refusal::CorrectionNoteMissing)
        );
        assert_eq!(
            plan_on(&live, &correcting(&"x".repeat(1_001))),
            Err(Refusal::CorrectionNoteTooLong)
        );
        let plan = plan_on(&live, &correcting(&"é".repeat(1_000))).unwrap();
        assert_eq!(plan.steps.len(), 1);
        let plan = plan_on(&live, &correcting(" Tuesday, not Monday. ")).unwrap();
        assert_eq!(
            plan.steps,
            vec![Step::Correction {
                revision: 5,
                note: "Tuesday, not Monday.".into()
            }]
        );
        assert!(matches!(
            &plan.record,
            Record::NewText { action: RevisionAction::Correct, note, content }
                if note == "Tuesday, not Monday." && content.body.contains("Tuesday")
        ));
        assert!(plan.public_changed);
        assert_eq!(plan.audit_detail(), "published -> published");
        assert!(matches!(
            plan_on(&release(Draft), &correcting("note")),
            Err(Refusal::Transition(_))
        ));
    }

    #[test]
    fn approve_and_correct_are_not_plain_moves() {
        for t in [Transition::Approve, Transition::Correct] {
            let from = if t == Transition::Approve {
                Draft
            } else {
                Published
            };
            assert_eq!(
                plan_on(&release(from), &moving(t, "note")),
                Err(Refusal::UseOwnCommand)
            );
        }
    }

    #[test]
    fn the_embargo_must_lie_ahead() {
        let draft = release(Draft);
        for past in [Duration::zero(), Duration::seconds(-1), Duration::days(-30)] {
            assert_eq!(
                plan_on(&draft, &approving(past)),
                Err(Refusal::EmbargoNotInFuture)
            );
            assert_eq!(
                check_embargo(now() + past, now()),
                Err(Refusal::EmbargoNotInFuture)
            );
        }
        let at = now() + Duration::seconds(1);
        let plan = plan_on(&draft, &approving(Duration::seconds(1))).unwrap();
        assert_eq!(plan.to, Scheduled);
        assert!(!plan.public_changed);
        // The old job goes before the new one is scheduled, or the new one would be cancelled.
        assert_eq!(
            plan.steps,
            vec![
                Step::SetEmbargo(Some(at)),
                Step::SetStatus(Scheduled),
                Step::CancelJobs,
                Step::SchedulePublish(at)
            ]
        );
        // A live release is refused by the state machine before its embargo is looked at.
        assert!(matches!(
            plan_on(&release(Published), &approving(Duration::days(-1))),
            Err(Refusal::Transition(_))
        ));
    }

    #[test]
    fn publication_happens_now_or_in_the_past_and_fixes_the_slug() {
        let draft = release(Draft);
        assert_eq!(
            plan_on(
                &draft,
                &Change::Publish {
                    at: Some(now() + Duration::seconds(1))
                }
            ),
            Err(Refusal::PublicationInFuture)
        );
        let earlier = now() - Duration::days(3);
        let plan = plan_on(&draft, &Change::Publish { at: Some(earlier) }).unwrap();
        assert_eq!(
            plan.steps,
            vec![
                Step::CancelJobs,
                Step::Publish {
                    at: earlier,
                    slug: "harbor-opens".into()
                }
            ]
        );
        assert!(plan.public_changed);
        let chosen = Current {
            release: &draft,
            slug_chosen: true,
            restoring: None,
        };
        let kept = super::plan(&chosen, &Change::Publish { at: None }, now()).unwrap();
        assert_eq!(
            kept.steps[1],
            Step::Publish {
                at: now(),
                slug: "working-title".into()
            }
        );
    }

    #[test]
    fn restoring_what_readers_see_is_refused() {
        let live = release(Published);
        let mut same = text();
        same.tags = vec!["CITY".into(), "port".into()];
        same.category_ids = vec![2, 1];
        same.region_ids = vec![3, 5];
        assert_eq!(
            plan_restoring(&live, Some(&same), &restoring(2, "note")),
            Err(Refusal::NothingToRestore)
        );
        // The current revision itself, whatever text was read for it.
        let mut other = text();
        other.body = "Older text.".into();
        assert_eq!(
            plan_restoring(&live, Some(&other), &restoring(4, "note")),
            Err(Refusal::NothingToRestore)
        );
    }

    #[test]
    fn restoring_onto_a_live_release_is_a_correction_with_a_note() {
        let live = release(Published);
        let mut older = text();
        older.body = "Older text.".into();
        assert_eq!(
            plan_restoring(&live, Some(&older), &restoring(2, " ")),
            Err(Refusal::CorrectionNoteMissing)
        );
        let plan = plan_restoring(
            &live,
            Some(&older),
            &restoring(2, "Back to the first figures."),
        )
        .unwrap();
        assert_eq!(
            plan.steps,
            vec![Step::Correction {
                revision: 5,
                note: "Back to the first figures.".into()
            }]
        );
        assert_eq!(
            plan.record,
            Record::NewText {
                content: Box::new(older),
                action: RevisionAction::Restore,
                note: "restored revision 2".into()
            }
        );
        assert!(plan.public_changed);
        assert_eq!(plan.action, "restore");
    }

    #[test]
    fn restoring_elsewhere_is_a_plain_new_revision() {
        let draft = release(Draft);
        let plan = plan_restoring(&draft, Some(&text()), &restoring(4, "")).unwrap();
        assert!(plan.steps.is_empty());
        assert!(!plan.public_changed);
        assert_eq!((plan.from, plan.to), (Draft, Draft));
        assert_eq!(
            plan_on(&draft, &restoring(9, "")),
            Err(Refusal::NoSuchRevision(9))
        );
        // Withdrawn comes first, so a missing revision does not hide why.
        assert_eq!(
            plan_on(&release(Withdrawn), &restoring(9, "note")),
            Err(Refusal::WithdrawnReinstateFirst)
        );
    }

    #[test]
    fn slugs_are_checked_and_chosen() {
        let live = release(Published);
        let too_long = "a".repeat(crate::slug::MAX_SLUG_LEN + 1);
        for bad in [
            "",
            "Harbor",
            "harbor opens",
            "-harbor",
            "harbor--opens",
            too_long.as_str(),
        ] {
            let change = Change::ChangeSlug { slug: bad.into() };
            assert_eq!(plan_on(&live, &change), Err(Refusal::BadSlug), "{bad:?}");
        }
        let change = Change::ChangeSlug {
            slug: "harbor-opens".into(),
        };
        let plan = plan_on(&live, &change).unwrap();
        assert_eq!(plan.steps, vec![Step::ChooseSlug("harbor-opens".into())]);
        assert_eq!(
            plan.record,
            Record::Snapshot {
                action: RevisionAction::Save,
                note: "slug changed from working-title to harbor-opens".into()
            }
        );
        assert!(plan.public_changed, "a live address changed");
        assert_eq!(
            plan.audit_detail(),
            "published -> published: slug changed from working-title to harbor-opens"
        );
        let draft = plan_on(&release(Draft), &change).unwrap();
        assert!(!draft.public_changed);
    }

    fn any_status() -> impl Strategy<Value = ReleaseStatus> {
        proptest::sample::select(ReleaseStatus::ALL.to_vec())
    }

    fn any_transition() -> impl Strategy<Value = Transition> {
        proptest::sample::select(Transition::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn moves_follow_the_state_machine(from in any_status(), t in any_transition(), note in "\\PC{0,20}") {
            let r = release(from);
            let got = plan_on(&r, &moving(t, &note));
            match apply(from, t) {
                Err(e) => prop_assert_eq!(got, Err(Refusal::Transition(e))),
                Ok(_) if matches!(t, Transition::Approve | Transition::Correct) => {
                    prop_assert_eq!(got, Err(Refusal::UseOwnCommand));
                }
                Ok(_) if t == Transition::Withdraw && note.trim().is_empty() => {
                    prop_assert_eq!(got, Err(Refusal::WithdrawalReasonMissing));
                }
                Ok(to) => {
                    let plan = got.unwrap();
                    prop_assert_eq!(plan.to, to);
                    prop_assert_eq!(plan.public_changed, (from == Published) != (to == Published));
                    let goes_live = plan.steps.iter().any(|s| matches!(s, Step::Publish { .. }));
                    prop_assert_eq!(goes_live, from != Published && to == Published && t != Transition::Reinstate);
                }
            }
        }

        #[test]
        fn an_embargo_is_accepted_exactly_when_it_is_ahead(from in any_status(), secs in -100_000i64..100_000) {
            let got = plan_on(&release(from), &approving(Duration::seconds(secs)));
            match apply(from, Transition::Approve) {
                Err(e) => prop_assert_eq!(got, Err(Refusal::Transition(e))),
                Ok(_) if secs <= 0 => prop_assert_eq!(got, Err(Refusal::EmbargoNotInFuture)),
                Ok(_) => prop_assert_eq!(got.unwrap().to, Scheduled),
            }
        }

        #[test]
        fn correction_notes_are_trimmed_and_bounded(note in "\\s{0,3}\\PC{0,1100}\\s{0,3}") {
            let got = plan_on(&release(Published), &correcting(&note));
            let trimmed = note.trim();
            if trimmed.is_empty() {
                prop_assert_eq!(got, Err(Refusal::CorrectionNoteMissing));
            } else if trimmed.chars().count() > CORRECTION_NOTE_MAX {
                prop_assert_eq!(got, Err(Refusal::CorrectionNoteTooLong));
            } else {
                let expected = vec![Step::Correction { revision: 5, note: trimmed.to_owned() }];
                prop_assert_eq!(got.unwrap().steps, expected);
            }
        }

        #[test]
        fn a_slug_is_taken_exactly_when_it_is_valid(from in any_status(), slug in "[a-zA-Z0-9 -]{0,90}") {
            let got = plan_on(&release(from), &Change::ChangeSlug { slug: slug.clone() });
            if is_valid_slug(&slug) {
                prop_assert_eq!(got.unwrap().steps, vec![Step::ChooseSlug(slug)]);
            } else {
                prop_assert_eq!(got, Err(Refusal::BadSlug));
            }
        }

        #[test]
        fn reordered_tags_and_taxa_are_the_same_text(
            tags in proptest::collection::vec("[a-zA-Z]{1,8}", 0..6),
            cats in proptest::collection::vec(1i64..50, 0..6),
            shuffle in any::<u64>(),
        ) {
            let mut live = release(Published);
            live.content.tags = tags.clone();
            live.content.category_ids = cats.clone();
            let mut same = live.content.clone();
            let k = shuffle as usize;
            if !same.tags.is_empty() {
                let n = same.tags.len();
                same.tags.rotate_left(k % n);
            }
            same.tags.iter_mut().for_each(|t| *t = t.to_uppercase());
            same.category_ids.reverse();
            prop_assert_eq!(
                plan_restoring(&live, Some(&same), &restoring(2, "note")),
                Err(Refusal::NothingToRestore)
            );
        }
    }

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
