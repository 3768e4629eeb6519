//! `/`: the newest releases, a page at a time.

use actix_web::web;
use askama::Template;
use dateline_storage::PageRequest;
use dateline_storage::repo::releases::{self, PublicFilter};

use crate::error::WebResult;
use crate::extract::{State, Visitor};
use crate::pagination::{PAGE_SIZE, PageQuery};
use crate::views::release::Card;
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "public/home.html")]
struct HomePage {
    chrome: Chrome,
    cards: Vec<Card>,
    next_page: Option<String>,
    first_page: bool,
    empty_message: &'static str,
}

pub async fn home(
    req: actix_web::HttpRequest,
    state: State,
    visitor: Visitor,
    q: web::Query<PageQuery>,
) -> WebResult {
    let after = q.cursor()?;
    let (validators, cached) =
        crate::http_cache::check(&state, &req, visitor.0.is_none(), "").await?;
    if let Some(res) = cached {
        return Ok(res);
    }
    let first_page = after.is_none();
    let now = state.clock.now();
    let (page, files) = state
        .db(move |conn| -> WebResult<_> {
            let page = releases::list_public(
                conn,
                now,
                &PublicFilter::default(),
                &PageRequest::after(after, PAGE_SIZE),
            )?;
            let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
            let files = dateline_storage::repo::media::for_releases(conn, &ids)?;
            Ok((page, files))
        })
        .await?;
    let newsroom = views::load_newsroom(&state).await?;
    let mut chrome = Chrome::new(newsroom.name.clone(), &newsroom)
        .with_user(visitor.identity())
        .section("latest");
    chrome.canonical = Some(state.config.absolute("/"));
    chrome.noindex = !first_page;
    let zone = newsroom.time_zone;
    let page_view = HomePage {
        chrome,
        cards: Card::list(&page.items, zone, &files),
        next_page: page.next.map(|c| format!("/?after={}", c.encode())),
        first_page,
        empty_message: "No releases have been published yet.",
    };
    Ok(crate::http_cache::finish(
        views::ok(&page_view)?,
        validators.as_ref(),
    ))
}
