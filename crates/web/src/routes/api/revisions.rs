//! `/api/v1/releases/{id}/revisions`: the history, one revision's content, and restoring one.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::SecondsFormat;
use dateline_storage::repo::{organizations, revisions, taxonomy};
use dateline_storage::visibility::Scope;
use serde::{Deserialize, Serialize};

use crate::error::{WebError, WebResult};
use crate::extract::{Staff, State};
use crate::routes::api::dto::List;
use crate::routes::api::releases::release_json;
use crate::routes::api::workflow::precondition;
use crate::routes::api::{optional_if_match, optional_json};
use crate::usecases::input::ReleaseInput;
use crate::usecases::{Caller, access, releases};

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct RevisionDto {
    /// A revision is known by its number within the release: what `/revisions/{id}` takes.
    id: i64,
    /// The release's public id.
    release_id: String,
    revision: i64,
    action: String,
    note: String,
    status: String,
    slug: String,
    author: Option<String>,
    created_at: String,
}

fn dto(release_id: &str, r: revisions::Revision) -> RevisionDto {
    RevisionDto {
        id: r.revision,
        release_id: release_id.to_owned(),
        revision: r.revision,
        action: r.action,
        note: r.note,
        status: r.status,
        slug: r.slug,
        author: r.author_name,
        created_at: r.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

pub async fn list(state: State, staff: Staff, id: web::Path<String>) -> WebResult {
    let release = access::load_workings(&state, &staff, &id).await?;
    let rid = release.id;
    let all = state.db(move |conn| revisions::list(conn, rid)).await?;
    Ok(HttpResponse::Ok().json(List {
        items: all
            .into_iter()
            .map(|r| dto(&release.public_id.to_string(), r))
            .collect(),
        next: None,
    }))
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct RevisionContentDto {
    #[serde(flatten)]
    meta: RevisionDto,
    /// The content as it was, in the shape `PUT /api/v1/releases/{id}` accepts (ids resolved to
    /// slugs where they still exist).
    content: ReleaseInput,
}

pub async fn get(state: State, staff: Staff, path: web::Path<(String, i64)>) -> WebResult {
    let (id, n) = path.into_inner();
    let release = access::load_workings(&state, &staff, &id).await?;
    let rid = release.id;
    let (rev, content) = state
        .db(move |conn| -> WebResult<_> {
            let (rev, content) = revisions::get(conn, rid, n)?;
            let organization = content
                .organization_id
                .and_then(|o| organizations::get(conn, o).ok())
                .map(|o| o.slug);
            let categories: Vec<(i64, String)> = taxonomy::all_categories(conn, Scope::All)?
                .into_iter()
                .map(|c| (c.id, c.slug))
                .collect();
            let regions: Vec<(i64, String)> = taxonomy::all_regions(conn, Scope::All)?
                .into_iter()
                .map(|r| (r.id, r.slug))
                .collect();
            let input = ReleaseInput::from_content(&content, organization, &categories, &regions);
            Ok((rev, input))
        })
        .await?;
    Ok(HttpResponse::Ok().json(RevisionContentDto {
        meta: dto(&release.public_id.to_string(), rev),
        content,
    }))
}

/// Restoring onto a live release publishes a correction, so it needs the public note.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    #[serde(default)]
    note: String,
}

pub async fn restore(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> WebResult {
    let (id, n) = path.into_inner();
    let expected = optional_if_match(&req)?;
    let b: RestoreBody = optional_json(&req, &body)?;
    let release = access::load_workings(&state, &caller, &id).await?;
    if n < 1 || n > release.revision {
        return Err(WebError::NotFound);
    }
    let restored = releases::restore(&state, &caller, &release, n, expected, &b.note).await;
    // As for the other actions: a stale If-Match is a failed precondition.
    let restored = precondition(restored, expected)?;
    release_json(&state, &restored, Some(&caller)).await
}
