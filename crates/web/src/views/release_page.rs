//! The public release page's view and what it loads, shared by the public page, staff previews,
//! old revisions and journalists' preview links so all four print the same anatomy.

use askama::Template;
use dateline_core::{Release, ReleaseStatus};
use dateline_storage::PageRequest;
use dateline_storage::repo::media::{self, Media};
use dateline_storage::repo::organizations;
use dateline_storage::repo::releases::{self, PublicFilter};

use crate::extract::Visitor;
use crate::state::AppState;
use crate::views::Chrome;
use crate::views::media::{Figure, ReleaseMedia};
use crate::views::release::{Card, Full};
#[derive(Template)]
#[template(path = "public/release.html")]
pub struct ReleasePage {
    pub chrome: Chrome,
    pub r: Full,
    pub banner: Option<String>,
    pub more_title: String,
    pub more_from: Vec<Card>,
    pub related: Vec<Card>,
    pub media: ReleaseMedia,
    /// The address of the release's press kit download.
    pub press_kit: String,
    pub issuer_logo: Option<Figure>,
}

pub struct Loaded {
    pub release: Release,
    pub organization: Option<dateline_core::Organization>,
    pub corrections: Vec<dateline_core::release::Correction>,
    pub more_from: Vec<dateline_core::ReleaseSummary>,
    pub related: Vec<dateline_core::ReleaseSummary>,
    /// The release's files, in upload order.
    pub media: Vec<Media>,
    /// The issuer's own files (its logo).
    pub issuer_media: Vec<Media>,
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
    let media = media::for_releases(conn, &[release.id])?
        .remove(&release.id)
        .unwrap_or_default();
    let issuer_media = match &release.organization {
        Some(o) => media::for_organization(conn, o.id)?,
        None => Vec::new(),
    };
    Ok(Loaded {
        release,
        organization,
        corrections,
        more_from,
        related,
        media,
        issuer_media,
    })
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
            l.media.iter().find(|m| m.kind.is_image()),
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
        media: ReleaseMedia::new(&l.media),
        press_kit: format!("/press-kit/{}", r.public_id),
        issuer_logo: l
            .issuer_media
            .iter()
            .find_map(|m| Figure::new(m, crate::views::media::LOGO_SIZES)),
    }
}

/// The link-preview tags for the lead picture: where it is, its size and its alt text.
fn image_meta(
    state: &AppState,
    m: &Media,
    (src, width, height): &(String, u32, u32),
) -> Vec<(&'static str, String, String)> {
    let src = state.config.absolute(src);
    vec![
        ("property", "og:image".into(), src.clone()),
        ("property", "og:image:width".into(), width.to_string()),
        ("property", "og:image:height".into(), height.to_string()),
        ("property", "og:image:alt".into(), m.alt.clone()),
        ("name", "twitter:image".into(), src),
        ("name", "twitter:image:alt".into(), m.alt.clone()),
    ]
}

/// Open Graph and Twitter card tags, and JSON-LD `NewsArticle` with the dateline.
fn seo(
    state: &AppState,
    newsroom: &crate::newsroom::Newsroom,
    r: &Release,
    org: Option<&dateline_core::Organization>,
    full: &Full,
    lead: Option<&Media>,
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
        (
            "name",
            "twitter:card".into(),
            if lead.is_some() {
                "summary_large_image"
            } else {
                "summary"
            }
            .into(),
        ),
        ("name", "twitter:title".into(), r.content.headline.clone()),
        ("name", "twitter:description".into(), description.clone()),
    ];
    if let Some(p) = r.published_at {
        meta.push(("property", "article:published_time".into(), iso(p)));
    }
    if let Some(u) = r.public_updated_at() {
        meta.push(("property", "article:modified_time".into(), iso(u)));
    }
    let shared = lead.and_then(|m| Figure::share_image(m).map(|s| (m, s)));
    if let Some((m, image)) = &shared {
        meta.extend(image_meta(state, m, image));
    }
    for c in &r.categories {
        meta.push(("property", "article:section".into(), c.name.clone()));
    }
    for t in &r.tags {
        meta.push(("property", "article:tag".into(), t.name.clone()));
    }
    chrome.meta = meta;
    let image = shared.map(|(_, (src, _, _))| state.config.absolute(&src));
    let ld = json_ld(state, newsroom, r, org, &url, &description, image);
    chrome.json_ld = Some(crate::views::JsonLd::new(&ld));
}

/// The JSON-LD `NewsArticle`, with the dateline, issuer and lead picture.
fn json_ld(
    state: &AppState,
    newsroom: &crate::newsroom::Newsroom,
    r: &Release,
    org: Option<&dateline_core::Organization>,
    url: &str,
    description: &str,
    image: Option<String>,
) -> serde_json::Value {
    let iso =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
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
    if let Some(src) = image {
        ld["image"] = src.into();
    }
    if !r.content.subheadline.is_empty() {
        ld["alternativeHeadline"] = r.content.subheadline.clone().into();
    }
    ld
}
