//! `/`: the newest releases, a page at a time.

use actix_web::web;
use askama::Template;
use dateline_storage::repo::releases::{self, PublicFilter};
use dateline_storage::{Cursor, PageRequest};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::Visitor;
use crate::state::AppState;
use crate::views::release::Card;
use crate::views::{self, Chrome};

pub const PAGE_SIZE: usize = 20;

#[derive(Template)]
#[template(path = "public/home.html")]
struct HomePage {
    chrome: Chrome,
    cards: Vec<Card>,
    next_page: Option<String>,
    first_page: bool,
    empty_message: &'static str,
}

/// Paging for the home page, listings and feeds: an `after` cursor from the "Older releases"
/// link. Other parameters are ignored, except `page`, which old links and readers try.
#[derive(Deserialize)]
pub struct PageQuery {
    after: Option<String>,
    page: Option<String>,
}

impl PageQuery {
    /// The cursor to start after; a page number other than 1 is a 400 that says how these
    /// lists page, rather than quietly showing the first page again.
    pub fn cursor(&self) -> WebResult<Option<Cursor>> {
        match self.page.as_deref().map(str::trim) {
            None | Some("" | "1") => cursor(self.after.as_deref()),
            Some(_) => Err(WebError::bad_query(
                "page",
                "There are no page numbers here: these lists go back in time with the \"Older releases\" link at the bottom.",
            )),
        }
    }
}

/// Reads the `after` cursor: absent is the first page; anything we did not make is a 400.
pub fn cursor(after: Option<&str>) -> WebResult<Option<Cursor>> {
    match after {
        None | Some("") => Ok(None),
        Some(s) => Cursor::decode(s)
            .map(Some)
            .map_err(|e| WebError::BadRequest(crate::error::capitalize(&e.to_string()) + ".")),
    }
}

pub async fn home(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
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
    let page = state
        .db(move |conn| {
            releases::list_public(
                conn,
                now,
                &PublicFilter::default(),
                &PageRequest::after(after, PAGE_SIZE),
            )
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
        cards: page.items.iter().map(|r| Card::new(r, zone)).collect(),
        next_page: page.next.map(|c| format!("/?after={}", c.encode())),
        first_page,
        empty_message: "No releases have been published yet.",
    };
    Ok(crate::http_cache::finish(
        views::ok(&page_view)?,
        validators.as_ref(),
    ))
}
