//! `/api/v1/releases`: list, read, create and update releases.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use dateline_core::visibility::{Access, Viewer, access};
use dateline_core::{PublicId, Release, ReleaseStatus, ReleaseSummary, ValidationErrors};
use dateline_storage::repo::releases::{self, PublicFilter, StaffFilter};
use dateline_storage::repo::{organizations, taxonomy, users};
use dateline_storage::visibility::Scope;
use dateline_storage::{DbConnection, Page, PageRequest, StorageError};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{State, Visitor};
use crate::http_cache;
use crate::middleware::identity::Identity;
use crate::pagination::cursor;
use crate::query::{self, Day};
use crate::routes::api::dto::{AuthorDto, ItemDto, List, PublicReleaseDto, ReleaseDto};
use crate::routes::api::{ApiJson, etag, if_match};
use crate::state::AppState;
use crate::usecases::access::{self, Principal};
use crate::usecases::input::ReleaseInput;
use crate::usecases::releases::{Saving, Via};
use crate::usecases::{self, Caller};

/// The filters a list accepts; anything else is refused (`docs/security.md` Z8).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ReleaseListQuery")]
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

/// A list query, read and checked: what to list and how much.
struct Wanted {
    status: Option<ReleaseStatus>,
    organization: Option<String>,
    category: Option<String>,
    region: Option<String>,
    tag: Option<String>,
    from: Option<Day>,
    to: Option<Day>,
    page: PageRequest,
}

/// Reads the query. Status filters need a token, and go with the organization filter only:
/// saying so beats quietly ignoring the rest.
fn parse_query(q: &ListQuery, signed_in: bool) -> WebResult<Wanted> {
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
    if status.is_some() && !signed_in {
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
    let wanted = Wanted {
        status,
        organization: given(&q.organization),
        category: given(&q.category),
        region: given(&q.region),
        tag: given(&q.tag),
        from,
        to,
        page: PageRequest::after(after, limit),
    };
    if wanted.status.is_some() {
        let mut e = ValidationErrors::new();
        for (field, given) in [
            ("category", wanted.category.is_some()),
            ("region", wanted.region.is_some()),
            ("tag", wanted.tag.is_some()),
            ("from", from.is_some()),
            ("to", to.is_some()),
        ] {
            if given {
                e.add(field, format!("`{field}` cannot be combined with `status`: list by status and organization, or leave `status` out to filter public releases."));
            }
        }
        e.into_result().map_err(WebError::BadQuery)?;
    }
    Ok(wanted)
}

/// What a list can be filtered by, named as the query names it.
#[derive(Clone, Copy)]
enum By {
    Organization,
    Category,
    Region,
    Tag,
}

/// The id behind a filter's slug, or a 400 naming it. One this caller may not learn of (outside
/// `scope`) is as unknown as a typo.
fn filter_id(
    conn: &mut DbConnection,
    by: By,
    slug: Option<&str>,
    scope: Scope,
) -> WebResult<Option<i64>> {
    let Some(slug) = slug else {
        return Ok(None);
    };
    let field = match by {
        By::Organization => "organization",
        By::Category => "category",
        By::Region => "region",
        By::Tag => "tag",
    };
    let found = match by {
        By::Organization => organizations::get_by_slug(conn, slug).map(|o| o.id),
        By::Category => taxonomy::category_by_slug(conn, slug).map(|c| c.id),
        By::Region => taxonomy::region_by_slug(conn, slug).map(|r| r.id),
        By::Tag => taxonomy::tag_by_slug(conn, slug).map(|t| t.id),
    };
    let id = found.map_err(unknown_filter(field, slug))?;
    let visible = match by {
        By::Organization => organizations::visible(conn, id, scope)?,
        By::Category => taxonomy::category_visible(conn, id, scope)?,
        By::Region => taxonomy::region_visible(conn, id, scope)?,
        By::Tag => taxonomy::tag_visible(conn, id, scope)?,
    };
    if !visible {
        return Err(unknown_filter(field, slug)(StorageError::NotFound));
    }
    Ok(Some(id))
}

/// The filter the query's slugs name, for this caller.
fn build_filter(
    conn: &mut DbConnection,
    wanted: &Wanted,
    who: Option<&Identity>,
    now: DateTime<Utc>,
) -> WebResult<PublicFilter> {
    let (tags, newsroom) = (
        crate::taxa::tag_scope(who, now),
        crate::taxa::newsroom_scope(who, now),
    );
    let mut id = |by, slug: &Option<String>, scope| filter_id(conn, by, slug.as_deref(), scope);
    let organization_id = id(By::Organization, &wanted.organization, newsroom)?;
    let category_id = id(By::Category, &wanted.category, newsroom)?;
    let region_id = id(By::Region, &wanted.region, newsroom)?;
    let tag_id = id(By::Tag, &wanted.tag, tags)?;
    // A category lists its sub-categories' releases too.
    let category_ids = category_id
        .map(|c| taxonomy::category_and_descendants(conn, c))
        .transpose()?;
    Ok(PublicFilter {
        organization_id,
        category_ids,
        region_id,
        tag_id,
        from: wanted.from.map(Day::start),
        until: wanted.to.and_then(Day::end),
        exclude_id: None,
    })
}

/// One page of the list: by status from the newsroom's own list, or public releases.
fn page(
    conn: &mut DbConnection,
    wanted: &Wanted,
    filter: PublicFilter,
    viewer: Viewer,
    now: DateTime<Utc>,
) -> WebResult<Page<ReleaseSummary>> {
    Ok(match wanted.status {
        Some(status) => releases::list_for_staff(
            conn,
            viewer,
            now,
            &StaffFilter {
                status: Some(status),
                organization_id: filter.organization_id,
                ..Default::default()
            },
            &wanted.page,
        )?,
        None => releases::list_public(conn, now, &filter, &wanted.page)?,
    })
}

/// The page as JSON: each item with its workings for those who may see them.
fn render_list(
    state: &AppState,
    page: Page<ReleaseSummary>,
    who: Option<&Identity>,
) -> HttpResponse {
    let body = List {
        items: page
            .items
            .iter()
            .map(|r| {
                let workings = access::sees_workings_of(who, r.author_id);
                ItemDto::new(&state.config, r, workings)
            })
            .collect(),
        next: page.next.map(|c| c.encode()),
    };
    HttpResponse::Ok().json(body)
}

/// Anonymous callers get the public list through the page cache, kept and validated like the
/// public pages (it changes only with the content version); callers with a token get it fresh.
pub async fn list(
    state: State,
    req: HttpRequest,
    visitor: Visitor,
    q: web::Query<ListQuery>,
) -> WebResult {
    let wanted = parse_query(&q, visitor.0.is_some())?;
    let (validators, cached) = http_cache::check(&state, &req, visitor.0.is_none(), "").await?;
    if let Some(not_modified) = cached {
        return Ok(not_modified);
    }
    let (viewer, now, who) = (visitor.viewer(), state.clock.now(), visitor.0.clone());
    let page = state
        .db(move |conn| -> WebResult<_> {
            let filter = build_filter(conn, &wanted, who.as_deref(), now)?;
            page(conn, &wanted, filter, viewer, now)
        })
        .await?;
    let res = render_list(&state, page, visitor.identity());
    Ok(http_cache::finish(res, validators.as_ref()))
}

/// The JSON of a release for this caller: the working copy, with its revision as the `ETag` for
/// `If-Match`, for those who may see its workings; what the page shows for everyone else.
pub async fn release_json<P: Principal + ?Sized>(
    state: &AppState,
    release: &Release,
    identity: Option<&P>,
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

pub async fn get(state: State, visitor: Visitor, id: web::Path<String>) -> WebResult {
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

pub async fn create(state: State, caller: Caller, input: ApiJson<ReleaseInput>) -> WebResult {
    let newsroom = crate::views::load_newsroom(&state).await?;
    let input = input.into_inner();
    let content = state
        .db(move |conn| input.resolve(conn, &newsroom.language))
        .await?;
    let created = usecases::releases::create(&state, &caller, content, Via::Api).await?;
    let mut res = release_json(&state, &created, Some(&caller)).await?;
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
    state: State,
    caller: Caller,
    id: web::Path<String>,
    input: ApiJson<ReleaseInput>,
) -> WebResult {
    let expected = if_match(&req)?;
    let release = access::load(&state, &caller, &id).await?;
    // A live or withdrawn release says why it cannot be edited, whatever revision was sent.
    access::check_edit(&caller, &release)?;
    let newsroom = crate::views::load_newsroom(&state).await?;
    let input = input.into_inner();
    let content = state
        .db(move |conn| input.resolve(conn, &newsroom.language))
        .await?;
    let saved =
        usecases::releases::save(&state, &caller, &release, content, expected, Saving::Save);
    let saved = match saved.await {
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
    release_json(&state, &saved, Some(&caller)).await
}
