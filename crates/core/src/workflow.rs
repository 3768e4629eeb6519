//! The release state machine. Every change of status goes through [`apply`]; whether the person
//! asking may make it is a separate question, answered by the permission matrix in `dateline-auth`.

use serde::{Deserialize, Serialize};

use crate::release::ReleaseStatus::{self, *};

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
