//! `/releases/{id}/{slug}`: one release, in full. The id decides; a wrong or old slug, or the id
//! alone, redirects permanently to the current address. Who sees what is
//! `dateline_core::visibility::access`, as in the API: withdrawn releases answer 410, except to
//! the newsroom people who may read them.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use dateline_core::visibility::{Access, access};
use dateline_core::{PublicId, Release, ReleaseStatus};
use dateline_storage::PageRequest;
use dateline_storage::repo::organizations;
use dateline_storage::repo::releases::{self, PublicFilter};

use crate::error::{WebError, WebResult};
use crate::extract::Visitor;
use crate::state::AppState;
use crate::views::format::Moment;
use crate::views::release::{Card, Full, release_path};
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "public/release.html")]
pub struct ReleasePage {
    pub chrome: Chrome,
    pub r: Full,
    pub banner: Option<String>,
    pub more_title: String,
    pub more_from: Vec<Card>,
    pub related: Vec<Card>,
}

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

pub struct Loaded {
    pub release: Release,
    pub organization: Option<dateline_core::Organization>,
    pub corrections: Vec<dateline_core::release::Correction>,
    pub more_from: Vec<dateline_core::ReleaseSummary>,
    pub related: Vec<dateline_core::ReleaseSummary>,
}

/// Loads what the release page prints: the release, its issuer, corrections, and a few other
/// public releases from the same issuer and the same category.
pub fn load_page(
    conn: &mut dateline_storage::DbConnection,
    release: Release,
    now: chrono::DateTime<chrono::Utc>,
) -> dateline_storage::Result<Loaded> {
    let organization = match &release.organization {
        Some(o) => Some(organizations::get(conn, o.id)?),
        None => None,
    };
    let corrections = releases::corrections(conn, release.id)?;
    let more_from = match &release.organization {
        Some(o) => {
            releases::list_public(
                conn,
                now,
                &PublicFilter {
                    organization_id: Some(o.id),
                    exclude_id: Some(release.id),
                    ..Default::default()
                },
                &PageRequest::first(4),
            )?
            .items
        }
        None => Vec::new(),
    };
    let related = match release.categories.first() {
        Some(c) => releases::list_public(
            conn,
            now,
            &PublicFilter {
                category_ids: Some(vec![c.id]),
                exclude_id: Some(release.id),
                ..Default::default()
            },
            &PageRequest::first(6),
        )?
        .items
        .into_iter()
        .filter(|r| !more_from.iter().any(|m| m.id == r.id))
        .take(4)
        .collect(),
        None => Vec::new(),
    };
    Ok(Loaded {
        release,
        organization,
        corrections,
        more_from,
        related,
    })
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

pub async fn by_id(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> WebResult {
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
    state: web::Data<AppState>,
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

/// The release page's view, shared with previews.
pub fn release_page(
    state: &AppState,
    newsroom: &crate::newsroom::Newsroom,
    visitor: &Visitor,
    l: Loaded,
    banner: Option<String>,
) -> ReleasePage {
    let zone = newsroom.time_zone;
    let r = &l.release;
    let full = Full::new(r, l.organization.as_ref(), &l.corrections, zone);
    let mut chrome =
        Chrome::new(r.content.headline.clone(), newsroom).with_user(visitor.identity());
    chrome.lang = r.content.language.clone();
    chrome.canonical = Some(state.config.absolute(&full.path));
    if !r.content.summary.is_empty() {
        chrome.description = r.content.summary.clone();
    }
    let banner = banner.or_else(|| {
        (r.status != ReleaseStatus::Published).then(|| {
            format!(
                "Not public: this release is {}. Only the newsroom can see this page.",
                r.status.label().to_lowercase()
            )
        })
    });
    if r.status != ReleaseStatus::Published {
        chrome.noindex = true;
    } else {
        seo(
            state,
            newsroom,
            r,
            l.organization.as_ref(),
            &full,
            &mut chrome,
        );
    }
    ReleasePage {
        chrome,
        more_title: r
            .organization
            .as_ref()
            .map(|o| format!("More from {}", o.name))
            .unwrap_or_default(),
        more_from: l.more_from.iter().map(|s| Card::new(s, zone)).collect(),
        related: l.related.iter().map(|s| Card::new(s, zone)).collect(),
        r: full,
        banner,
    }
}

/// Open Graph and Twitter card tags, and JSON-LD `NewsArticle` with the dateline.
fn seo(
    state: &AppState,
    newsroom: &crate::newsroom::Newsroom,
    r: &Release,
    org: Option<&dateline_core::Organization>,
    full: &Full,
    chrome: &mut Chrome,
) {
    let url = state.config.absolute(&full.path);
    let description = r.content.description().to_owned();
    let iso =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut meta: Vec<(&'static str, String, String)> = vec![
        ("property", "og:type".into(), "article".into()),
        ("property", "og:title".into(), r.content.headline.clone()),
        ("property", "og:description".into(), description.clone()),
        ("property", "og:url".into(), url.clone()),
        ("property", "og:site_name".into(), newsroom.name.clone()),
        (
            "property",
            "og:locale".into(),
            r.content.language.replace('-', "_"),
        ),
        ("name", "twitter:card".into(), "summary".into()),
        ("name", "twitter:title".into(), r.content.headline.clone()),
        ("name", "twitter:description".into(), description.clone()),
    ];
    if let Some(p) = r.published_at {
        meta.push(("property", "article:published_time".into(), iso(p)));
    }
    if let Some(u) = r.public_updated_at() {
        meta.push(("property", "article:modified_time".into(), iso(u)));
    }
    for c in &r.categories {
        meta.push(("property", "article:section".into(), c.name.clone()));
    }
    for t in &r.tags {
        meta.push(("property", "article:tag".into(), t.name.clone()));
    }
    chrome.meta = meta;
    let mut ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": r.content.headline.chars().take(110).collect::<String>(),
        "description": description,
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": r.content.language,
        "dateline": r.content.dateline.body(),
        "datePublished": r.published_at.map(iso),
        "dateModified": r.public_updated_at().map(iso),
        "publisher": { "@type": "Organization", "name": newsroom.name, "url": state.config.absolute("/") },
        "keywords": r.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "articleSection": r.categories.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
    });
    if let Some(o) = org {
        let mut author = serde_json::json!({ "@type": "Organization", "name": o.name });
        if !o.website.is_empty() {
            author["url"] = o.website.clone().into();
        }
        ld["author"] = author.clone();
        ld["sourceOrganization"] = author;
    }
    if !r.content.source.url.is_empty() {
        ld["isBasedOn"] = r.content.source.url.clone().into();
    }
    if !r.content.subheadline.is_empty() {
        ld["alternativeHeadline"] = r.content.subheadline.clone().into();
    }
    chrome.json_ld = Some(crate::views::JsonLd::new(&ld));
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
