//! Public listings: by organization, category (with its sub-categories), region, tag and month,
//! each with RSS, Atom and JSON Feed; and the index pages of organizations, categories and regions.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use dateline_core::{Category, Organization, Region};
use dateline_storage::repo::releases::{self, PublicCounts, PublicFilter};
use dateline_storage::repo::{organizations, taxonomy};
use dateline_storage::visibility::Scope;
use dateline_storage::{DbConnection, PageRequest};

use crate::error::{WebError, WebResult};
use crate::extract::{State, Visitor};
use crate::feeds::{self, Channel, Format};
use crate::http_cache;
use crate::newsroom::Newsroom;
use crate::pagination::{PAGE_SIZE, PageQuery};
use crate::state::AppState;
use crate::taxa::{self, Kind};
use crate::views::media::{Figure, LOGO_SIZES};
use crate::views::release::{Card, Link, paragraphs};
use crate::views::{self, Chrome, FeedLink};

/// Entries in a feed.
pub const FEED_SIZE: usize = 30;

/// What a listing is of.
pub struct Subject {
    pub eyebrow: &'static str,
    pub heading: String,
    pub intro: Vec<String>,
    pub website: String,
    /// An organization's logo.
    pub logo: Option<Figure>,
    pub children: Vec<Link>,
    pub neighbours: Vec<Link>,
    pub filter: PublicFilter,
    /// The listing's own path, e.g. `/categories/energy`.
    pub path: String,
    /// Where its feeds live, without the extension.
    pub feed_base: String,
}

fn taxon_subject(
    eyebrow: &'static str,
    base: &str,
    slug: &str,
    heading: String,
    intro: &str,
    filter: PublicFilter,
) -> Subject {
    Subject {
        eyebrow,
        heading,
        intro: paragraphs(intro),
        website: String::new(),
        logo: None,
        children: Vec::new(),
        neighbours: Vec::new(),
        filter,
        path: format!("/{base}/{slug}"),
        feed_base: format!("/{base}/{slug}/feed"),
    }
}

// The public site shows what the public may see, whoever is signed in: an organization, category,
// region or tag exists here only once a public release refers to it.

pub fn organization(conn: &mut DbConnection, slug: &str, now: DateTime<Utc>) -> WebResult<Subject> {
    let o = organizations::get_by_slug(conn, slug)?;
    if !organizations::visible(conn, o.id, Scope::public(now))? {
        return Err(WebError::NotFound);
    }
    let mut s = taxon_subject(
        "Organization",
        "organizations",
        slug,
        o.name.clone(),
        &o.boilerplate,
        PublicFilter {
            organization_id: Some(o.id),
            ..Default::default()
        },
    );
    s.website = o.website;
    s.logo = dateline_storage::repo::media::for_organization(conn, o.id)?
        .iter()
        .find_map(|m| Figure::new(m, LOGO_SIZES));
    Ok(s)
}

pub fn category(conn: &mut DbConnection, slug: &str, now: DateTime<Utc>) -> WebResult<Subject> {
    let c = taxonomy::category_by_slug(conn, slug)?;
    if !taxonomy::category_visible(conn, c.id, Scope::public(now))? {
        return Err(WebError::NotFound);
    }
    let ids = taxonomy::category_and_descendants(conn, c.id)?;
    let children = taxonomy::all_categories(conn, Scope::public(now))?
        .into_iter()
        .filter(|x| x.parent_id == Some(c.id))
        .map(|x| Link {
            href: format!("/categories/{}", x.slug),
            text: x.name,
        })
        .collect();
    let mut s = taxon_subject(
        "Category",
        "categories",
        slug,
        c.name.clone(),
        &c.description,
        PublicFilter {
            category_ids: Some(ids),
            ..Default::default()
        },
    );
    s.children = children;
    Ok(s)
}

pub fn region(conn: &mut DbConnection, slug: &str, now: DateTime<Utc>) -> WebResult<Subject> {
    flat_taxon(conn, Kind::Regions, slug, now)
}

pub fn tag(conn: &mut DbConnection, slug: &str, now: DateTime<Utc>) -> WebResult<Subject> {
    flat_taxon(conn, Kind::Tags, slug, now)
}

/// Regions and tags: no description and no children, so only the filter tells them apart.
fn flat_taxon(
    conn: &mut DbConnection,
    kind: Kind,
    slug: &str,
    now: DateTime<Utc>,
) -> WebResult<Subject> {
    let t = taxa::by_slug(conn, kind, slug)?;
    if !taxa::visible(conn, kind, t.id, Scope::public(now))? {
        return Err(WebError::NotFound);
    }
    let filter = match kind {
        Kind::Tags => PublicFilter {
            tag_id: Some(t.id),
            ..Default::default()
        },
        _ => PublicFilter {
            region_id: Some(t.id),
            ..Default::default()
        },
    };
    let label = if kind == Kind::Tags { "Tag" } else { "Region" };
    Ok(taxon_subject(
        label,
        kind.as_str(),
        slug,
        t.name,
        "",
        filter,
    ))
}

/// The years the archive has pages for.
const ARCHIVE_YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// A calendar month in the newsroom's time zone. Impossible months are a 404.
pub fn archive(newsroom: &Newsroom, year: &str, month: &str) -> WebResult<Subject> {
    let (Ok(y), Ok(m)) = (year.parse::<i32>(), month.parse::<u32>()) else {
        return Err(WebError::NotFound);
    };
    if !ARCHIVE_YEARS.contains(&y) || year.len() != 4 || month.len() != 2 {
        return Err(WebError::NotFound);
    }
    let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or(WebError::NotFound)?;
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }
    .ok_or(WebError::NotFound)?;
    let prev = first.pred_opt().ok_or(WebError::NotFound)?;
    let zone = newsroom.time_zone;
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| zone.from_local_datetime(&t).earliest())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let month_name = dateline_core::dateline::ap_month(m).trim_end_matches('.');
    let link = |d: NaiveDate, text: String| Link {
        href: format!("/archive/{:04}/{:02}", d.year(), d.month()),
        text,
    };
    Ok(Subject {
        eyebrow: "Archive",
        heading: format!("{} {y}", full_month(m).unwrap_or(month_name)),
        intro: Vec::new(),
        website: String::new(),
        logo: None,
        children: Vec::new(),
        neighbours: [
            (
                prev,
                format!(
                    "← {} {}",
                    full_month(prev.month()).unwrap_or(""),
                    prev.year()
                ),
            ),
            (
                next,
                format!(
                    "{} {} →",
                    full_month(next.month()).unwrap_or(""),
                    next.year()
                ),
            ),
        ]
        .into_iter()
        .filter(|(d, _)| ARCHIVE_YEARS.contains(&d.year()))
        .map(|(d, text)| link(d, text))
        .collect(),
        filter: PublicFilter {
            from: start(first),
            // After December 9999 nothing is stored, and year 10000 would not compare as text.
            until: start(next).filter(|t| dateline_core::timezone::storable(*t)),
            ..Default::default()
        },
        path: format!("/archive/{year}/{month}"),
        feed_base: "/feed".into(),
    })
}

fn full_month(m: u32) -> Option<&'static str> {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    .get(m.checked_sub(1)? as usize)
    .copied()
}

#[derive(Template)]
#[template(path = "public/listing.html")]
struct ListingPage {
    chrome: Chrome,
    eyebrow: &'static str,
    heading: String,
    intro: Vec<String>,
    website: String,
    logo: Option<Figure>,
    children: Vec<Link>,
    neighbours: Vec<Link>,
    feed_base: String,
    cards: Vec<Card>,
    next_page: Option<String>,
    empty_message: &'static str,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    visitor: &Visitor,
    subject: Subject,
    q: &PageQuery,
) -> WebResult {
    let after = q.cursor()?;
    let (validators, cached) = http_cache::check(state, req, visitor.0.is_none(), "").await?;
    if let Some(res) = cached {
        return Ok(res);
    }
    let first = after.is_none();
    let now = state.clock.now();
    let filter = subject.filter.clone();
    let (page, files) = state
        .db(move |conn| -> WebResult<_> {
            let page =
                releases::list_public(conn, now, &filter, &PageRequest::after(after, PAGE_SIZE))?;
            let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
            let files = dateline_storage::repo::media::for_releases(conn, &ids)?;
            Ok((page, files))
        })
        .await?;
    let newsroom = views::load_newsroom(state).await?;
    let mut chrome = Chrome::new(subject.heading.clone(), &newsroom).with_user(visitor.identity());
    chrome.canonical = Some(state.config.absolute(&subject.path));
    chrome.noindex = !first;
    chrome.feeds = feed_links(state, &subject.heading, &subject.feed_base);
    chrome.section = match subject.eyebrow {
        "Organization" => "organizations",
        "Category" => "categories",
        "Region" => "regions",
        _ => "",
    };
    if let Some(p) = subject.intro.first() {
        chrome.description = p.chars().take(300).collect();
    }
    let path = subject.path.clone();
    let page_view = ListingPage {
        chrome,
        eyebrow: subject.eyebrow,
        heading: subject.heading,
        intro: subject.intro,
        website: subject.website,
        logo: subject.logo,
        children: subject.children,
        neighbours: subject.neighbours,
        feed_base: subject.feed_base,
        cards: Card::list(&page.items, newsroom.time_zone, &files),
        next_page: page.next.map(|c| format!("{path}?after={}", c.encode())),
        empty_message: "No releases here yet.",
    };
    Ok(http_cache::finish(
        views::ok(&page_view)?,
        validators.as_ref(),
    ))
}

pub fn feed_links(state: &AppState, title: &str, base: &str) -> Vec<FeedLink> {
    [
        (Format::Rss, "RSS"),
        (Format::Atom, "Atom"),
        (Format::Json, "JSON Feed"),
    ]
    .into_iter()
    .map(|(f, name)| FeedLink {
        title: format!("{title} ({name})"),
        href: state.config.absolute(&format!("{base}.{}", f.extension())),
        mime: f.content_type().split(';').next().unwrap_or(""),
    })
    .collect()
}

macro_rules! listing_handler {
    ($name:ident, $resolve:path) => {
        pub async fn $name(
            req: HttpRequest,
            state: State,
            visitor: Visitor,
            slug: web::Path<String>,
            q: web::Query<PageQuery>,
        ) -> WebResult {
            let (slug, now) = (slug.into_inner(), state.clock.now());
            let subject = state.db(move |conn| $resolve(conn, &slug, now)).await?;
            render(&req, &state, &visitor, subject, &q).await
        }
    };
}

listing_handler!(organization_page, organization);
listing_handler!(category_page, category);
listing_handler!(region_page, region);
listing_handler!(tag_page, tag);

pub async fn archive_page(
    req: HttpRequest,
    state: State,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    q: web::Query<PageQuery>,
) -> WebResult {
    let (year, month) = path.into_inner();
    let newsroom = views::load_newsroom(&state).await?;
    let subject = archive(&newsroom, &year, &month)?;
    render(&req, &state, &visitor, subject, &q).await
}

/// Renders a feed of `subject` (or the whole newsroom).
async fn feed(
    req: &HttpRequest,
    state: &AppState,
    subject: Option<Subject>,
    format: &str,
) -> WebResult {
    let format = Format::parse(format).ok_or(WebError::NotFound)?;
    let (validators, cached) = http_cache::check(state, req, true, "").await?;
    if let Some(res) = cached {
        return Ok(res);
    }
    let _inside = state.bulkheads.feeds.enter().await?;
    let newsroom = views::load_newsroom(state).await?;
    let now = state.clock.now();
    let filter = subject
        .as_ref()
        .map(|s| s.filter.clone())
        .unwrap_or_default();
    let (list, corrections, files) = state
        .db(move |conn| -> WebResult<_> {
            let page = releases::list_public(conn, now, &filter, &PageRequest::first(FEED_SIZE))?;
            let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
            Ok((
                releases::get_many(conn, &ids)?,
                releases::corrections_many(conn, &ids)?,
                dateline_storage::repo::media::for_releases(conn, &ids)?,
            ))
        })
        .await?;
    let (title, home, base) = match &subject {
        Some(s) => (
            format!("{} · {}", s.heading, newsroom.name),
            s.path.clone(),
            s.feed_base.clone(),
        ),
        None => (newsroom.name.clone(), "/".to_owned(), "/feed".to_owned()),
    };
    let channel = Channel {
        title,
        description: newsroom.description.clone(),
        language: newsroom.language.clone(),
        home: state.config.absolute(&home),
        feed: state
            .config
            .absolute(&format!("{base}.{}", format.extension())),
    };
    let body = feeds::render(
        format,
        &state.config,
        &channel,
        &feeds::entries(&list, &corrections, &files),
    );
    let res = HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .body(body);
    Ok(http_cache::finish(res, validators.as_ref()))
}

pub async fn site_feed(req: HttpRequest, state: State, format: web::Path<String>) -> WebResult {
    feed(&req, &state, None, &format).await
}

macro_rules! feed_handler {
    ($name:ident, $resolve:path) => {
        pub async fn $name(
            req: HttpRequest,
            state: State,
            path: web::Path<(String, String)>,
        ) -> WebResult {
            let (slug, format) = path.into_inner();
            let now = state.clock.now();
            let subject = state.db(move |conn| $resolve(conn, &slug, now)).await?;
            feed(&req, &state, Some(subject), &format).await
        }
    };
}

feed_handler!(organization_feed, organization);
feed_handler!(category_feed, category);
feed_handler!(region_feed, region);
feed_handler!(tag_feed, tag);

struct IndexEntry {
    href: String,
    name: String,
    count: i64,
    depth: usize,
    note: String,
}

#[derive(Template)]
#[template(path = "public/index.html")]
struct IndexPage {
    chrome: Chrome,
    heading: &'static str,
    entries: Vec<IndexEntry>,
}

async fn index(
    req: &HttpRequest,
    state: &AppState,
    visitor: &Visitor,
    kind: &'static str,
) -> WebResult {
    let (validators, cached) = http_cache::check(state, req, visitor.0.is_none(), "").await?;
    if let Some(res) = cached {
        return Ok(res);
    }
    let now = state.clock.now();
    let cache = state.counts.clone();
    let entries = state
        .db(move |conn| -> WebResult<_> {
            let counted = cache.get(conn, now)?;
            let counts = &counted.per;
            let public = Scope::public(now);
            Ok(match kind {
                "organizations" => organization_entries(organizations::all(conn, public)?, counts),
                "categories" => category_entries(&taxonomy::all_categories(conn, public)?, counts),
                _ => region_entries(taxonomy::all_regions(conn, public)?, counts),
            })
        })
        .await?;
    let heading = match kind {
        "organizations" => "Organizations",
        "categories" => "Categories",
        _ => "Regions",
    };
    let newsroom = views::load_newsroom(state).await?;
    let mut chrome = Chrome::new(heading, &newsroom)
        .with_user(visitor.identity())
        .section(kind);
    chrome.canonical = Some(state.config.absolute(&format!("/{kind}")));
    Ok(http_cache::finish(
        views::ok(&IndexPage {
            chrome,
            heading,
            entries,
        })?,
        validators.as_ref(),
    ))
}

fn organization_entries(all: Vec<Organization>, counts: &PublicCounts) -> Vec<IndexEntry> {
    all.into_iter()
        .map(|o| IndexEntry {
            href: format!("/organizations/{}", o.slug),
            count: counts.organizations.get(&o.id).copied().unwrap_or(0),
            // The first sentence of the boilerplate says what the organization is.
            note: o
                .boilerplate
                .split(['.', '\n'])
                .next()
                .unwrap_or("")
                .chars()
                .take(160)
                .collect(),
            name: o.name,
            depth: 0,
        })
        .collect()
}

/// Parents first, each followed by its children.
fn category_entries(all: &[Category], counts: &PublicCounts) -> Vec<IndexEntry> {
    let mut out = Vec::new();
    for parent in all.iter().filter(|c| c.parent_id.is_none()) {
        let children = all
            .iter()
            .filter(|c| c.parent_id == Some(parent.id))
            .map(|c| (c, 1));
        for (c, depth) in std::iter::once((parent, 0)).chain(children) {
            out.push(IndexEntry {
                href: format!("/categories/{}", c.slug),
                name: c.name.clone(),
                count: counts.categories.get(&c.id).copied().unwrap_or(0),
                depth,
                note: c.description.clone(),
            });
        }
    }
    out
}

fn region_entries(all: Vec<Region>, counts: &PublicCounts) -> Vec<IndexEntry> {
    all.into_iter()
        .map(|r| IndexEntry {
            href: format!("/regions/{}", r.slug),
            count: counts.regions.get(&r.id).copied().unwrap_or(0),
            name: r.name,
            depth: 0,
            note: String::new(),
        })
        .collect()
}

macro_rules! index_handler {
    ($name:ident, $kind:literal) => {
        pub async fn $name(req: HttpRequest, state: State, visitor: Visitor) -> WebResult {
            index(&req, &state, &visitor, $kind).await
        }
    };
}

index_handler!(organizations_index, "organizations");
index_handler!(categories_index, "categories");
index_handler!(regions_index, "regions");
