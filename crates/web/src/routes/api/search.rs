//! `GET /api/v1/search`: the same full-text search as `/search`, as JSON.

use actix_web::{HttpResponse, web};
use dateline_storage::repo::search;
use serde::Serialize;

use crate::error::WebResult;
use crate::extract::{State, Visitor};
use crate::routes::api::dto::ItemDto;
use crate::search::{PER_PAGE, SearchParams};
use crate::usecases::access;

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Hit {
    #[serde(flatten)]
    release: ItemDto,
    /// The matching passage, with matches between `[[` and `]]` markers.
    snippet: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Results {
    query: String,
    /// How many releases match, counted up to 10,000.
    total: i64,
    /// Present and true when more releases match than `total` says.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    total_capped: bool,
    page: i64,
    per_page: i64,
    items: Vec<Hit>,
    next: Option<String>,
}

pub async fn search(state: State, visitor: Visitor, q: web::Query<SearchParams>) -> WebResult {
    let params = q.into_inner();
    params.check()?;
    let _inside = state.bulkheads.search.enter().await?;
    let now = state.clock.now();
    let p = params.clone();
    let (results, page) = state
        .db(move |conn| -> WebResult<_> {
            let query = p.resolve(conn, now)?;
            let page = query.page;
            Ok((search::search(conn, now, &query)?, page))
        })
        .await?;
    let items = results
        .hits
        .iter()
        .map(|h| Hit {
            release: ItemDto::new(
                &state.config,
                &h.release,
                access::sees_workings_of(visitor.identity(), h.release.author_id),
            ),
            snippet: h
                .snippet
                .iter()
                .map(|f| {
                    if f.highlighted {
                        format!("[[{}]]", f.text)
                    } else {
                        f.text.clone()
                    }
                })
                .collect(),
        })
        .collect();
    // Never offer a page that would be refused.
    let more = page * PER_PAGE < results.total && page < crate::search::MAX_PAGE;
    Ok(HttpResponse::Ok().json(Results {
        query: params.q.clone(),
        total: results.total,
        total_capped: results.more,
        page,
        per_page: PER_PAGE,
        items,
        next: more.then(|| (page + 1).to_string()),
    }))
}
