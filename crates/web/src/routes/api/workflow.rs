//! Workflow actions over the API: submit, approve, publish, send back, withdraw, reinstate and
//! corrections. Each may carry `If-Match` to act only on the revision the caller saw.

use actix_web::{HttpRequest, web};
use dateline_core::timezone::parse_instant;
use dateline_core::workflow::Transition;
use dateline_storage::repo::pipeline::Change;
use serde::Deserialize;

use crate::editorial::{access, actions};
use crate::error::{WebError, WebResult};
use crate::extract::{Client, Staff};
use crate::routes::api::releases::release_json;
use crate::routes::api::{optional_if_match, optional_json};
use crate::state::AppState;

async fn run(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    client: &Client,
    id: &str,
    change: Change,
) -> WebResult {
    run_based_on(req, state, staff, client, id, change, None).await
}

/// `based_on`: the revision a change was built from, when it carries content. Without
/// `If-Match` the change must still apply to that revision, or it could undo someone's edit.
async fn run_based_on(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    client: &Client,
    id: &str,
    change: Change,
    based_on: Option<i64>,
) -> WebResult {
    let if_match = optional_if_match(req)?;
    let release = access::load(state, staff, id).await?;
    let expected = if_match.or(based_on);
    let applied = match actions::apply(state, staff, client, &release, change, expected).await {
        Err(WebError::Conflict {
            current_revision: Some(current),
            ..
        }) if if_match.is_some_and(|e| e != current) => {
            return Err(WebError::PreconditionFailed {
                message: format!("The release is at revision {current}, not the one in If-Match."),
                current_revision: Some(current),
            });
        }
        other => other?,
    };
    release_json(state, &applied.release, Some(&**staff)).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Nothing {}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    body: web::Bytes,
) -> WebResult {
    optional_json::<Nothing>(&req, &body)?;
    run(
        &req,
        &state,
        &staff,
        &client,
        &id,
        Change::Move {
            transition: Transition::Submit,
            note: String::new(),
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    #[serde(default)]
    embargo_at: Option<String>,
}

pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    body: web::Bytes,
) -> WebResult {
    let b: ApproveBody = optional_json(&req, &body)?;
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
    run(
        &req,
        &state,
        &staff,
        &client,
        &id,
        Change::Approve { embargo_at },
    )
    .await
}

pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    body: web::Bytes,
) -> WebResult {
    optional_json::<Nothing>(&req, &body)?;
    run(
        &req,
        &state,
        &staff,
        &client,
        &id,
        Change::Publish { at: None },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    #[serde(default)]
    comment: String,
}

pub async fn send_back(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    body: web::Bytes,
) -> WebResult {
    let b: CommentBody = optional_json(&req, &body)?;
    if b.comment.chars().count() > 2000 {
        return Err(WebError::invalid(
            "comment",
            "Keep the comment under 2000 characters.",
        ));
    }
    run(
        &req,
        &state,
        &staff,
        &client,
        &id,
        Change::Move {
            transition: Transition::SendBack,
            note: b.comment,
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default)]
    reason: String,
}

pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    body: web::Bytes,
) -> WebResult {
    let b: ReasonBody = optional_json(&req, &body)?;
    if b.reason.chars().count() > 1000 {
        return Err(WebError::invalid(
            "reason",
            "Keep the notice under 1000 characters.",
        ));
    }
    run(
        &req,
        &state,
        &staff,
        &client,
        &id,
        Change::Move {
            transition: Transition::Withdraw,
            note: b.reason,
        },
    )
    .await
}

pub async fn reinstate(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    body: web::Bytes,
) -> WebResult {
    optional_json::<Nothing>(&req, &body)?;
    run(
        &req,
        &state,
        &staff,
        &client,
        &id,
        Change::Move {
            transition: Transition::Reinstate,
            note: String::new(),
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    /// The corrected body, in Markdown. Left out, the body stays as it is.
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    note: String,
}

pub async fn correct(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    body: web::Bytes,
) -> WebResult {
    let b: CorrectionBody = optional_json(&req, &body)?;
    let release = access::load(&state, &staff, &id).await?;
    let mut content = release.content.clone();
    if let Some(new_body) = b.body {
        content.body = new_body;
    }
    run_based_on(
        &req,
        &state,
        &staff,
        &client,
        &id,
        Change::Correct {
            content: Box::new(content),
            note: b.note,
        },
        Some(release.revision),
    )
    .await
}
