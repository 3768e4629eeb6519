//! `/search`: full-text search over headlines, subheadlines, summaries, bodies and organization
//! names, ranked, with highlighted snippets and filters. Hostile input gets a fast, clear answer.

use actix_web::HttpRequest;
use askama::Template;
use dateline_storage::repo::search::{self, Fragment, SearchResults};
use dateline_storage::repo::{organizations, taxonomy};
use dateline_storage::visibility::Scope;

use crate::error::{WebError, WebResult};
use crate::extract::{State, Visitor};
use crate::newsroom::Newsroom;
use crate::search::{PER_PAGE, SearchParams};
use crate::state::AppState;
use crate::views::release::Card;
use crate::views::{self, Chrome};

pub struct Hit {
    card: Card,
    snippet: Vec<Fragment>,
}

#[derive(Template)]
#[template(path = "public/search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    f_org: String,
    f_cat: String,
    f_reg: String,
    f_from: String,
    f_to: String,
    organizations: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    searched: bool,
    filtered: bool,
    total: i64,
    /// More releases match than `total` counts.
    more: bool,
    hits: Vec<Hit>,
    error: Option<String>,
    prev_page: Option<String>,
    next_page: Option<String>,
}

pub async fn search_page(req: HttpRequest, state: State, visitor: Visitor) -> WebResult {
    // Unknown parameters are ignored here (the API refuses them); a malformed value is a 400.
    let params: SearchParams = serde_html_form::from_str::<Lenient>(req.query_string())
        .map(Lenient::into_params)
        .unwrap_or_default();
    // Results change only when public content does, so readers' caches may keep them like any
    // other public page.
    let (validators, cached) =
        crate::http_cache::check(&state, &req, visitor.0.is_none(), "").await?;
    if let Some(res) = cached {
        return Ok(res);
    }
    let newsroom = views::load_newsroom(&state).await?;
    let mut page = form_page(&state, &visitor, &newsroom, &params).await?;
    if !params.is_empty() {
        let outcome = match params.check() {
            Ok(()) => run(&state, &params).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok((results, n)) => show_results(&mut page, &params, &results, n, &newsroom),
            // A query the reader can fix is answered on the search page itself, form and all.
            Err(e @ (WebError::BadRequest(_) | WebError::BadQuery(_))) => {
                let problem = e.problem();
                page.error = Some(problem.detail);
                return views::render(problem.status, &page);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(crate::http_cache::finish(
        views::ok(&page)?,
        validators.as_ref(),
    ))
}

/// The search form as typed, with its filter menus and no results yet.
async fn form_page(
    state: &AppState,
    visitor: &Visitor,
    newsroom: &Newsroom,
    params: &SearchParams,
) -> WebResult<SearchPage> {
    let public = Scope::public(state.clock.now());
    let (orgs, cats, regs) = state
        .db(move |conn| -> WebResult<_> {
            Ok((
                organizations::all(conn, public)?,
                taxonomy::all_categories(conn, public)?,
                taxonomy::all_regions(conn, public)?,
            ))
        })
        .await?;
    let mut chrome = Chrome::new(
        if params.is_empty() {
            "Search".to_owned()
        } else {
            format!("Search: {}", params.q.chars().take(80).collect::<String>())
        },
        newsroom,
    )
    .with_user(visitor.identity());
    // Result pages are not for search engines.
    chrome.noindex = !params.is_empty();
    let filters = [
        &params.organization,
        &params.category,
        &params.region,
        &params.from,
        &params.to,
    ];
    Ok(SearchPage {
        chrome,
        q: params.q.chars().take(200).collect(),
        f_org: params.organization.clone(),
        f_cat: params.category.clone(),
        f_reg: params.region.clone(),
        f_from: params.from.clone(),
        f_to: params.to.clone(),
        organizations: orgs
            .iter()
            .map(|o| (o.slug.clone(), o.name.clone()))
            .collect(),
        categories: cats
            .iter()
            .map(|o| (o.slug.clone(), o.name.clone()))
            .collect(),
        regions: regs
            .iter()
            .map(|o| (o.slug.clone(), o.name.clone()))
            .collect(),
        searched: false,
        filtered: filters.iter().any(|v| !v.is_empty()),
        total: 0,
        more: false,
        hits: Vec::new(),
        error: None,
        prev_page: None,
        next_page: None,
    })
}

/// Resolves the filters and runs the search; the page number comes back with the results.
async fn run(state: &AppState, params: &SearchParams) -> WebResult<(SearchResults, i64)> {
    let _inside = state.bulkheads.search.enter().await?;
    let now = state.clock.now();
    let p = params.clone();
    state
        .db(move |conn| -> WebResult<_> {
            let query = p.resolve(conn, now)?;
            let n = query.page;
            Ok((search::search(conn, now, &query)?, n))
        })
        .await
}

fn show_results(
    page: &mut SearchPage,
    params: &SearchParams,
    results: &SearchResults,
    n: i64,
    newsroom: &Newsroom,
) {
    page.searched = true;
    page.total = results.total;
    page.more = results.more;
    page.prev_page = (n > 1).then(|| page_link(params, n - 1));
    page.next_page = (n * PER_PAGE < results.total && n < crate::search::MAX_PAGE)
        .then(|| page_link(params, n + 1));
    page.hits = results
        .hits
        .iter()
        .map(|h| Hit {
            card: Card::new(&h.release, newsroom.time_zone),
            snippet: h.snippet.clone(),
        })
        .collect();
}

/// Page `n` of the same search, with only the parameters that were given.
fn page_link(params: &SearchParams, n: i64) -> String {
    let n = n.to_string();
    let pairs = [
        ("q", params.q.as_str()),
        ("organization", &params.organization),
        ("category", &params.category),
        ("region", &params.region),
        ("from", &params.from),
        ("to", &params.to),
        ("page", &n),
    ];
    crate::pagination::link("/search", pairs)
}

/// The page's own reading of the query string: tolerant of extra parameters.
#[derive(serde::Deserialize, Default)]
struct Lenient {
    #[serde(default)]
    q: String,
    #[serde(default)]
    organization: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<String>,
}

impl Lenient {
    fn into_params(self) -> SearchParams {
        SearchParams {
            q: self.q,
            organization: self.organization,
            category: self.category,
            region: self.region,
            from: self.from,
            to: self.to,
            page: self.page,
        }
    }
}
