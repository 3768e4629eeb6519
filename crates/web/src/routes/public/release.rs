//! `/releases/{id}/{slug}`: one release, in full. The id decides; a wrong or old slug, or the id
//! alone, redirects permanently to the current address. Who sees what is
//! `dateline_core::visibility::access`, as in the API: withdrawn releases answer 410, except to
//! the newsroom people who may read them.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use dateline_core::visibility::{Access, access};
use dateline_core::{PublicId, Release};
use dateline_storage::repo::releases;

use crate::error::{WebError, WebResult};
use crate::extract::{State, Visitor};
use crate::state::AppState;
use crate::views::format::Moment;
use crate::views::release::release_path;
use crate::views::release_page::{Loaded, load_page, release_page};
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "public/withdrawn.html")]
struct WithdrawnPage {
    chrome: Chrome,
    headline: String,
    organization: Option<String>,
    withdrawn: Option<Moment>,
    reason: String,
}

enum Found {
    Visible(Box<Loaded>),
    Withdrawn(Box<Release>),
}

async fn find(state: &AppState, visitor: &Visitor, id: &str) -> WebResult<Found> {
    let public_id: PublicId = id.parse().map_err(|_| WebError::NotFound)?;
    let viewer = visitor.viewer();
    let now = state.clock.now();
    state
        .db(move |conn| -> WebResult<_> {
            let release = releases::get_by_public_id(conn, &public_id)?;
            match access(viewer, &release.visibility_facts(), now) {
                Access::Visible => Ok(Found::Visible(Box::new(load_page(conn, release, now)?))),
                Access::Withdrawn => Ok(Found::Withdrawn(Box::new(release))),
                Access::Hidden => Err(WebError::NotFound),
            }
        })
        .await
}

fn moved(to: String) -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, to))
        .finish()
}

pub async fn by_id(state: State, visitor: Visitor, id: web::Path<String>) -> WebResult {
    match find(&state, &visitor, &id).await? {
        Found::Visible(l) => Ok(moved(release_path(
            l.release.public_id.as_str(),
            &l.release.slug,
        ))),
        Found::Withdrawn(r) => withdrawn(&state, &visitor, &r).await,
    }
}

pub async fn release(
    req: actix_web::HttpRequest,
    state: State,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> WebResult {
    let (id, slug) = path.into_inner();
    let (validators, cached) =
        crate::http_cache::check(&state, &req, visitor.0.is_none(), "").await?;
    if let Some(res) = cached {
        return Ok(res);
    }
    let loaded = match find(&state, &visitor, &id).await? {
        Found::Visible(l) => l,
        Found::Withdrawn(r) => return withdrawn(&state, &visitor, &r).await,
    };
    if loaded.release.slug != slug {
        return Ok(moved(release_path(
            loaded.release.public_id.as_str(),
            &loaded.release.slug,
        )));
    }
    let newsroom = views::load_newsroom(&state).await?;
    let page = release_page(&state, &newsroom, &visitor, *loaded, None);
    Ok(crate::http_cache::finish(
        views::ok(&page)?,
        validators.as_ref(),
    ))
}

async fn withdrawn(state: &AppState, visitor: &Visitor, r: &Release) -> WebResult {
    let newsroom = views::load_newsroom(state).await?;
    let mut chrome = Chrome::new("Withdrawn release", &newsroom).with_user(visitor.identity());
    chrome.noindex = true;
    let page = WithdrawnPage {
        chrome,
        headline: r.content.headline.clone(),
        organization: r.organization.as_ref().map(|o| o.name.clone()),
        withdrawn: r.withdrawn_at.map(|t| Moment::new(t, newsroom.time_zone)),
        reason: r.withdrawal_reason.clone(),
    };
    views::render(StatusCode::GONE, &page)
}
