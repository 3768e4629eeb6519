//! `/api/v1/releases`: list, read, create and update releases.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use dateline_core::visibility::{Access, access};
use dateline_core::{PublicId, Release, ReleaseStatus, ValidationErrors};
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::releases::{self, NewRelease, PublicFilter, StaffFilter};
use dateline_storage::repo::{organizations, taxonomy, users};
use dateline_storage::{PageRequest, StorageError};
use serde::Deserialize;

use crate::editorial::access;
use crate::editorial::actions;
use crate::editorial::input::ReleaseInput;
use crate::error::{WebError, WebResult};
use crate::extract::{Client, Staff, Visitor};
use crate::middleware::identity::Identity;
use crate::pagination::cursor;
use crate::query::{self, Day};
use crate::routes::api::dto::{AuthorDto, ItemDto, List, PublicReleaseDto, ReleaseDto};
use crate::routes::api::{ApiJson, etag, if_match};
use crate::state::AppState;

/// The filters a list accepts; anything else is refused (`docs/security.md` Z8).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    organization: Option<String>,
    category: Option<String>,
    region: Option<String>,
    tag: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

/// An unknown slug in a filter is a 400 naming it rather than an empty list: it is usually a typo.
fn unknown_filter<'a>(
    field: &'static str,
    slug: &'a str,
) -> impl FnOnce(StorageError) -> WebError + 'a {
    move |e| {
        if e.is_not_found() {
            WebError::bad_query(field, format!("There is no {field} {slug:?}."))
        } else {
            e.into()
        }
    }
}

pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<ListQuery>,
) -> WebResult {
    let after = cursor(q.after.as_deref())?;
    let limit = query::limit(q.limit.as_deref(), 20)?;
    let from = Day::param(q.from.as_deref(), "from")?;
    let to = Day::param(q.to.as_deref(), "to")?;
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.parse::<ReleaseStatus>()
                .map_err(|e| WebError::bad_query("status", e.to_string()))?,
        ),
    };
    if status.is_some() && visitor.0.is_none() {
        return Err(WebError::bad_query(
            "status",
            "Filtering by status needs an API token; without one only published releases are listed.",
        ));
    }
    // An empty parameter (`?tag=`, as an empty form field sends it) is no filter at all.
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (org, cat, reg, tag) = (
        given(&q.organization),
        given(&q.category),
        given(&q.region),
        given(&q.tag),
    );
    if status.is_some() {
        // The newsroom's own list filters by status and organization only; saying so beats
        // quietly ignoring the rest.
        let mut e = ValidationErrors::new();
        for (field, given) in [
            ("category", cat.is_some()),
            ("region", reg.is_some()),
            ("tag", tag.is_some()),
            ("from", from.is_some()),
            ("to", to.is_some()),
        ] {
            if given {
                e.add(field, format!("`{field}` cannot be combined with `status`: list by status and organization, or leave `status` out to filter public releases."));
            }
        }
        e.into_result().map_err(WebError::BadQuery)?;
    }
    let (viewer, now) = (visitor.viewer(), state.clock.now());
    let scope = crate::taxa::tag_scope(visitor.identity(), now);
    let newsroom_scope = crate::taxa::newsroom_scope(visitor.identity(), now);
    let page = state
        .db(move |conn| -> WebResult<_> {
            // One this caller may not learn of is as unknown as a typo.
            let hidden = |field, s: &str| unknown_filter(field, s)(StorageError::NotFound);
            let org = match &org {
                Some(s) => {
                    let o = organizations::get_by_slug(conn, s)
                        .map_err(unknown_filter("organization", s))?;
                    if !organizations::visible(conn, o.id, newsroom_scope)? {
                        return Err(hidden("organization", s));
                    }
                    Some(o.id)
                }
                None => None,
            };
            let cat = match &cat {
                Some(s) => {
                    let c = taxonomy::category_by_slug(conn, s)
                        .map_err(unknown_filter("category", s))?;
                    if !taxonomy::category_visible(conn, c.id, newsroom_scope)? {
                        return Err(hidden("category", s));
                    }
                    Some(taxonomy::category_and_descendants(conn, c.id)?)
                }
                None => None,
            };
            let reg = match &reg {
                Some(s) => {
                    let r =
                        taxonomy::region_by_slug(conn, s).map_err(unknown_filter("region", s))?;
                    if !taxonomy::region_visible(conn, r.id, newsroom_scope)? {
                        return Err(hidden("region", s));
                    }
                    Some(r.id)
                }
                None => None,
            };
            let tag = match &tag {
                Some(s) => {
                    let t = taxonomy::tag_by_slug(conn, s).map_err(unknown_filter("tag", s))?;
                    if !taxonomy::tag_visible(conn, t.id, scope)? {
                        return Err(hidden("tag", s));
                    }
                    Some(t.id)
                }
                None => None,
            };
            let req = PageRequest::after(after, limit);
            Ok(match status {
                Some(status) => releases::list_for_staff(
                    conn,
                    viewer,
                    now,
                    &StaffFilter {
                        status: Some(status),
                        organization_id: org,
                        ..Default::default()
                    },
                    &req,
                )?,
                None => releases::list_public(
                    conn,
                    now,
                    &PublicFilter {
                        organization_id: org,
                        category_ids: cat,
                        region_id: reg,
                        tag_id: tag,
                        from: from.map(Day::start),
                        until: to.and_then(Day::end),
                        exclude_id: None,
                    },
                    &req,
                )?,
            })
        })
        .await?;
    let identity = visitor.identity();
    let body = List {
        items: page
            .items
            .iter()
            .map(|r| {
                let workings = access::sees_workings_of(identity, r.author_id);
                ItemDto::new(&state.config, r, workings)
            })
            .collect(),
        next: page.next.map(|c| c.encode()),
    };
    Ok(HttpResponse::Ok().json(body))
}

/// The JSON of a release for this caller: the working copy, with its revision as the `ETag` for
/// `If-Match`, for those who may see its workings; what the page shows for everyone else.
pub async fn release_json(
    state: &AppState,
    release: &Release,
    identity: Option<&Identity>,
) -> WebResult<HttpResponse> {
    let workings = access::sees_workings_of(identity, release.author_id);
    let (rid, author_id) = (release.id, release.author_id);
    let (corrections, author) = state
        .db(move |conn| -> WebResult<_> {
            let author = match (workings, author_id) {
                (true, Some(a)) => users::get(conn, a).ok().map(|u| AuthorDto {
                    id: u.id,
                    name: u.display_name,
                }),
                _ => None,
            };
            Ok((releases::corrections(conn, rid)?, author))
        })
        .await?;
    if !workings {
        return Ok(HttpResponse::Ok().json(PublicReleaseDto::new(
            &state.config,
            release,
            &corrections,
        )));
    }
    Ok(HttpResponse::Ok()
        .insert_header(etag(release.revision))
        .json(ReleaseDto::new(
            &state.config,
            release,
            &corrections,
            author,
        )))
}

pub async fn get(state: web::Data<AppState>, visitor: Visitor, id: web::Path<String>) -> WebResult {
    let public_id: PublicId = id.parse().map_err(|_| WebError::NotFound)?;
    let release = state
        .db(move |conn| releases::get_by_public_id(conn, &public_id))
        .await?;
    match access(
        visitor.viewer(),
        &release.visibility_facts(),
        state.clock.now(),
    ) {
        Access::Visible => release_json(&state, &release, visitor.identity()).await,
        Access::Withdrawn => Err(WebError::Gone(format!(
            "This release was withdrawn. {}",
            release.withdrawal_reason
        ))),
        Access::Hidden => Err(WebError::NotFound),
    }
}

pub async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    input: ApiJson<ReleaseInput>,
) -> WebResult {
    let newsroom = crate::views::load_newsroom(&state).await?;
    let (author, actor, now) = (staff.user.id, client.actor(Some(&staff)), state.clock.now());
    let input = input.into_inner();
    let created = state
        .db(move |conn| -> WebResult<_> {
            let content = input.resolve(conn, &newsroom.language)?;
            Ok(dateline_storage::write_tx(conn, |conn| {
                let r = releases::create(
                    conn,
                    &NewRelease {
                        content,
                        author_id: Some(author),
                    },
                )?;
                Entry::new(
                    &actor,
                    AuditAction::ReleaseCreate,
                    "release",
                    &r.public_id,
                    now,
                )
                .detail("via API")
                .record(conn)?;
                Ok::<_, StorageError>(r)
            })?)
        })
        .await?;
    let mut res = release_json(&state, &created, Some(&*staff)).await?;
    *res.status_mut() = actix_web::http::StatusCode::CREATED;
    res.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&format!("/api/v1/releases/{}", created.public_id))
            .map_err(WebError::internal)?,
    );
    Ok(res)
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    input: ApiJson<ReleaseInput>,
) -> WebResult {
    let expected = if_match(&req)?;
    let release = access::load(&state, &staff, &id).await?;
    // A live or withdrawn release says why it cannot be edited, whatever revision was sent.
    access::check_edit(&staff, &release)?;
    let newsroom = crate::views::load_newsroom(&state).await?;
    let input = input.into_inner();
    let content = state
        .db(move |conn| input.resolve(conn, &newsroom.language))
        .await?;
    let saved = match actions::save(&state, &staff, &client, &release, content, expected, false)
        .await
    {
        Err(WebError::Conflict {
            current_revision: Some(current),
            ..
        }) if current != expected => {
            return Err(WebError::PreconditionFailed {
                message: format!(
                    "The release is at revision {current}, not {expected}: someone changed it since you read it. Fetch it again and reapply your change."
                ),
                current_revision: Some(current),
            });
        }
        other => other?,
    };
    release_json(&state, &saved, Some(&*staff)).await
}
