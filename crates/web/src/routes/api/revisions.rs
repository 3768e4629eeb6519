//! `/api/v1/releases/{id}/revisions`: the history, one revision's content, and restoring one.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::SecondsFormat;
use dateline_storage::repo::revisions;
use serde::{Deserialize, Serialize};

use crate::editorial::input::{ContactInput, DatelineInput, ReleaseInput, SourceInput};
use crate::editorial::{access, actions};
use crate::error::{WebError, WebResult};
use crate::extract::{Client, Staff};
use crate::routes::api::dto::List;
use crate::routes::api::releases::release_json;
use crate::routes::api::{optional_if_match, optional_json};
use crate::state::AppState;

#[derive(Serialize)]
struct RevisionDto {
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

pub async fn list(state: web::Data<AppState>, staff: Staff, id: web::Path<String>) -> WebResult {
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

#[derive(Serialize)]
struct RevisionContentDto {
    #[serde(flatten)]
    meta: RevisionDto,
    /// The content as it was, in the shape `PUT /api/v1/releases/{id}` accepts (ids resolved to
    /// slugs where they still exist).
    content: ReleaseInput,
}

pub async fn get(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
) -> WebResult {
    let (id, n) = path.into_inner();
    let release = access::load_workings(&state, &staff, &id).await?;
    let rid = release.id;
    let (rev, content, org, cats, regs) = state
        .db(move |conn| -> WebResult<_> {
            let (rev, content) = revisions::get(conn, rid, n)?;
            let org = content
                .organization_id
                .and_then(|o| dateline_storage::repo::organizations::get(conn, o).ok())
                .map(|o| o.slug);
            let cats = dateline_storage::repo::taxonomy::all_categories(
                conn,
                dateline_storage::visibility::Scope::All,
            )?;
            let regs = dateline_storage::repo::taxonomy::all_regions(
                conn,
                dateline_storage::visibility::Scope::All,
            )?;
            Ok((rev, content, org, cats, regs))
        })
        .await?;
    let input = ReleaseInput {
        headline: content.headline.clone(),
        subheadline: content.subheadline.clone(),
        dateline: DatelineInput {
            city: content.dateline.city.clone(),
            region: content.dateline.region.clone(),
            date: content
                .dateline
                .date
                .map(|d| d.format("%Y-%m-%d").to_string()),
            distributor: content.dateline.distributor.clone(),
        },
        source: SourceInput {
            label: content.source.label.clone(),
            url: content.source.url.clone(),
        },
        summary: content.summary.clone(),
        body: content.body.clone(),
        language: Some(content.language.clone()),
        organization: org,
        contacts: content
            .contacts
            .iter()
            .map(|c| ContactInput {
                name: c.name.clone(),
                title: c.title.clone(),
                email: c.email.clone(),
                phone: c.phone.clone(),
            })
            .collect(),
        categories: content
            .category_ids
            .iter()
            .filter_map(|id| cats.iter().find(|c| c.id == *id))
            .map(|c| c.slug.clone())
            .collect(),
        regions: content
            .region_ids
            .iter()
            .filter_map(|id| regs.iter().find(|c| c.id == *id))
            .map(|c| c.slug.clone())
            .collect(),
        tags: content.tags.clone(),
    };
    Ok(HttpResponse::Ok().json(RevisionContentDto {
        meta: dto(&release.public_id.to_string(), rev),
        content: input,
    }))
}

/// Restoring onto a live release publishes a correction, so it needs the public note.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    #[serde(default)]
    note: String,
}

pub async fn restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> WebResult {
    let (id, n) = path.into_inner();
    let expected = optional_if_match(&req)?;
    let b: RestoreBody = optional_json(&req, &body)?;
    let release = access::load_workings(&state, &staff, &id).await?;
    if n < 1 || n > release.revision {
        return Err(WebError::NotFound);
    }
    let restored = match actions::restore(&state, &staff, &client, &release, n, expected, &b.note)
        .await
    {
        // As for the other actions: a stale If-Match is a failed precondition.
        Err(WebError::Conflict {
            current_revision: Some(current),
            ..
        }) if expected.is_some_and(|e| e != current) => {
            return Err(WebError::PreconditionFailed {
                message: format!("The release is at revision {current}, not the one in If-Match."),
                current_revision: Some(current),
            });
        }
        other => other?,
    };
    release_json(&state, &restored, Some(&*staff)).await
}
