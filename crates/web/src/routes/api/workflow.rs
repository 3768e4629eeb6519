//! Workflow actions over the API: submit, approve, publish, send back, withdraw, reinstate and
//! corrections. Each may carry `If-Match` to act only on the revision the caller saw.

use actix_web::{HttpRequest, web};
use dateline_core::timezone::parse_instant;
use dateline_core::workflow::Transition;
use dateline_storage::repo::pipeline::Change;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{WebError, WebResult};
use crate::extract::State;
use crate::routes::api::releases::release_json;
use crate::routes::api::{optional_if_match, optional_json};
use crate::usecases::{Caller, access, releases};

/// What every workflow action takes from a request: the request itself (for `If-Match` and the
/// body's type), the state, who acts, and the release's id from the address.
pub(crate) type Act = (HttpRequest, State, Caller, web::Path<String>);

/// A stale `If-Match` is a failed precondition rather than a conflict: the caller named the
/// revision it expected, and it is not the current one.
pub(crate) fn precondition<T>(outcome: WebResult<T>, if_match: Option<i64>) -> WebResult<T> {
    match outcome {
        Err(WebError::Conflict {
            current_revision: Some(current),
            ..
        }) if if_match.is_some_and(|e| e != current) => Err(WebError::PreconditionFailed {
            message: format!("The release is at revision {current}, not the one in If-Match."),
            current_revision: Some(current),
        }),
        other => other,
    }
}

/// Runs `change`, on the revision in `If-Match` when one is given.
async fn run((req, state, caller, id): Act, change: Change) -> WebResult {
    let if_match = optional_if_match(&req)?;
    let release = access::load(&state, &caller, &id).await?;
    let outcome = releases::transition(&state, &caller, &release, change, if_match).await;
    let applied = precondition(outcome, if_match)?;
    release_json(&state, &applied.release, Some(&caller)).await
}

/// A move that carries only a note.
fn moving(transition: Transition, note: String) -> Change {
    Change::Move { transition, note }
}

/// What a move's note is called and how long it may be.
struct NoteRule {
    field: &'static str,
    what: &'static str,
    max: usize,
}

/// Sending back: the comment for the author.
const COMMENT: NoteRule = NoteRule {
    field: "comment",
    what: "comment",
    max: 2000,
};

/// Withdrawing: the notice readers see in place of the release.
const REASON: NoteRule = NoteRule {
    field: "reason",
    what: "notice",
    max: 1000,
};

/// A move that carries a note from its body, refused with a 422 naming the field when too long.
async fn noted<B: DeserializeOwned + Default>(
    act: Act,
    body: web::Bytes,
    transition: Transition,
    rule: NoteRule,
    note: fn(B) -> String,
) -> WebResult {
    let note = note(optional_json(&act.0, &body)?);
    if note.chars().count() > rule.max {
        return Err(WebError::invalid(
            rule.field,
            format!("Keep the {} under {} characters.", rule.what, rule.max),
        ));
    }
    run(act, moving(transition, note)).await
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Nothing {}

/// A move that takes no body (an empty JSON object at most).
async fn bare(act: Act, body: web::Bytes, transition: Transition) -> WebResult {
    optional_json::<Nothing>(&act.0, &body)?;
    run(act, moving(transition, String::new())).await
}

pub async fn submit(act: Act, body: web::Bytes) -> WebResult {
    bare(act, body, Transition::Submit).await
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    #[serde(default)]
    embargo_at: Option<String>,
}

pub async fn approve(act: Act, body: web::Bytes) -> WebResult {
    let b: ApproveBody = optional_json(&act.0, &body)?;
    let raw = b
        .embargo_at
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            WebError::invalid(
                "embargo_at",
                "Give the embargo time in RFC 3339 with an offset, e.g. 2026-12-01T09:00:00+01:00.",
            )
        })?;
    let embargo_at = parse_instant(&raw, None).map_err(|e| {
        WebError::invalid("embargo_at", crate::error::capitalize(&e.to_string()) + ".")
    })?;
    run(act, Change::Approve { embargo_at }).await
}

pub async fn publish(act: Act, body: web::Bytes) -> WebResult {
    optional_json::<Nothing>(&act.0, &body)?;
    run(act, Change::Publish { at: None }).await
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    #[serde(default)]
    comment: String,
}

pub async fn send_back(act: Act, body: web::Bytes) -> WebResult {
    noted(
        act,
        body,
        Transition::SendBack,
        COMMENT,
        |b: CommentBody| b.comment,
    )
    .await
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default)]
    reason: String,
}

pub async fn withdraw(act: Act, body: web::Bytes) -> WebResult {
    noted(act, body, Transition::Withdraw, REASON, |b: ReasonBody| {
        b.reason
    })
    .await
}

pub async fn reinstate(act: Act, body: web::Bytes) -> WebResult {
    bare(act, body, Transition::Reinstate).await
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    /// The corrected body, in Markdown. Left out, the body stays as it is.
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    note: String,
}

/// Without `If-Match` the correction must still apply to the revision its content was built
/// from, or it could undo someone's edit.
pub async fn correct((req, state, caller, id): Act, body: web::Bytes) -> WebResult {
    let b: CorrectionBody = optional_json(&req, &body)?;
    let release = access::load(&state, &caller, &id).await?;
    let if_match = optional_if_match(&req)?;
    let mut content = release.content.clone();
    if let Some(new_body) = b.body {
        content.body = new_body;
    }
    let expected = if_match.or(Some(release.revision));
    let outcome = releases::correct(&state, &caller, &release, content, b.note, expected).await;
    let applied = precondition(outcome, if_match)?;
    release_json(&state, &applied.release, Some(&caller)).await
}
