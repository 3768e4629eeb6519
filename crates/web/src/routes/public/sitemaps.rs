//! `/sitemap.xml` (an index), its pages, and `/news-sitemap.xml` (Google News: the last 48 hours).
//! They list only what the public may see, through the same storage filter as every listing.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use dateline_storage::repo::releases;
use dateline_storage::repo::{organizations, taxonomy};
use dateline_storage::visibility::Scope;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::error::{WebError, WebResult};
use crate::extract::State;
use crate::http_cache;
use crate::views::{self, release::release_path};

/// Release URLs per sitemap page (the protocol allows 50 000; small pages stay fast).
pub const PER_PAGE: i64 = 1000;
/// Google News sitemaps list releases from the last two days, at most 1000.
pub const NEWS_HOURS: i64 = 48;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

fn xml(body: String, v: Option<&http_cache::Validators>) -> HttpResponse {
    http_cache::finish(
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "application/xml; charset=utf-8"))
            .body(body),
        v,
    )
}

/// One `<url>` of a sitemap, or one `<sitemap>` of the index.
struct Entry {
    loc: String,
    lastmod: Option<DateTime<Utc>>,
    news: Option<NewsEntry>,
}

/// What Google News wants to know about a release.
struct NewsEntry {
    publication: String,
    language: String,
    published: DateTime<Utc>,
    title: String,
}

fn w3c_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The whole document: the writer escapes every text, so no value can break out of its element.
fn document(
    root: &str,
    namespaces: &[(&str, &str)],
    item: &str,
    entries: &[Entry],
) -> Result<String, WebError> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(WebError::internal)?;
    w.create_element(root)
        .with_attributes(namespaces.iter().copied())
        .write_inner_content(|w| entries.iter().try_for_each(|e| write_entry(w, item, e)))
        .map_err(WebError::internal)?;
    let mut out = String::from_utf8(w.into_inner()).map_err(WebError::internal)?;
    out.push('\n');
    Ok(out)
}

fn write_entry(w: &mut Writer<Vec<u8>>, item: &str, e: &Entry) -> std::io::Result<()> {
    w.create_element(item).write_inner_content(|w| {
        w.create_element("loc")
            .write_text_content(BytesText::new(&e.loc))?;
        if let Some(t) = e.lastmod {
            w.create_element("lastmod")
                .write_text_content(BytesText::new(&w3c_time(t)))?;
        }
        if let Some(news) = &e.news {
            write_news(w, news)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_news(w: &mut Writer<Vec<u8>>, n: &NewsEntry) -> std::io::Result<()> {
    w.create_element("news:news").write_inner_content(|w| {
        w.create_element("news:publication")
            .write_inner_content(|w| {
                w.create_element("news:name")
                    .write_text_content(BytesText::new(&n.publication))?;
                w.create_element("news:language")
                    .write_text_content(BytesText::new(&n.language))?;
                Ok(())
            })?;
        w.create_element("news:publication_date")
            .write_text_content(BytesText::new(&w3c_time(n.published)))?;
        w.create_element("news:title")
            .write_text_content(BytesText::new(&n.title))?;
        Ok(())
    })?;
    Ok(())
}

pub async fn index(req: HttpRequest, state: State) -> WebResult {
    let (v, cached) = http_cache::check(&state, &req, true, "").await?;
    if let Some(res) = cached {
        return Ok(res);
    }
    let now = state.clock.now();
    let counts = state.counts.clone();
    let (count, changed) = state
        .db(move |conn| -> WebResult<_> {
            Ok((
                counts.get(conn, now)?.total,
                dateline_storage::repo::settings::content_version(conn)?.changed_at,
            ))
        })
        .await?;
    let pages = ((count + PER_PAGE - 1) / PER_PAGE).max(1);
    let entries: Vec<Entry> = (1..=pages)
        .map(|n| Entry {
            loc: state
                .config
                .absolute(&format!("/sitemaps/releases-{n}.xml")),
            lastmod: Some(changed),
            news: None,
        })
        .collect();
    let out = document(
        "sitemapindex",
        &[("xmlns", SITEMAP_NS)],
        "sitemap",
        &entries,
    )?;
    Ok(xml(out, v.as_ref()))
}

pub async fn page(req: HttpRequest, state: State, n: web::Path<String>) -> WebResult {
    // Only a page that can exist, spelled one way (no sign, no leading zero): a number too large
    // to page to is a 404 like any page past the last, found before any work, so the offset
    // arithmetic cannot overflow.
    let (n, offset) = crate::query::bounded(&n, i64::MAX)
        .filter(|_| !n.starts_with(['+', '0']))
        .and_then(|n| Some((n, crate::query::offset(n, PER_PAGE)?)))
        .ok_or(WebError::NotFound)?;
    let (v, cached) = http_cache::check(&state, &req, true, "").await?;
    if let Some(res) = cached {
        return Ok(res);
    }
    let now = state.clock.now();
    let counts = state.counts.clone();
    let (list, sections, total) = state
        .db(move |conn| -> WebResult<_> {
            let list = releases::public_between(conn, now, None, offset, PER_PAGE)?;
            // The first page also lists the sections readers browse.
            let mut sections = Vec::new();
            if n == 1 {
                sections.extend(
                    ["/", "/organizations", "/categories", "/regions"]
                        .iter()
                        .map(|s| s.to_string()),
                );
                // Only what readers may find: nothing before its first public release.
                let public = Scope::public(now);
                sections.extend(
                    organizations::all(conn, public)?
                        .into_iter()
                        .map(|o| format!("/organizations/{}", o.slug)),
                );
                sections.extend(
                    taxonomy::all_categories(conn, public)?
                        .into_iter()
                        .map(|c| format!("/categories/{}", c.slug)),
                );
                sections.extend(
                    taxonomy::all_regions(conn, public)?
                        .into_iter()
                        .map(|r| format!("/regions/{}", r.slug)),
                );
            }
            Ok((list, sections, counts.get(conn, now)?.total))
        })
        .await?;
    if n > 1 && offset >= total {
        return Err(WebError::NotFound);
    }
    let sections = sections.iter().map(|s| Entry {
        loc: state.config.absolute(s),
        lastmod: None,
        news: None,
    });
    let releases = list.iter().map(|r| Entry {
        loc: state
            .config
            .absolute(&release_path(r.public_id.as_str(), &r.slug)),
        lastmod: Some(r.corrected_at.or(r.published_at).unwrap_or(r.updated_at)),
        news: None,
    });
    let entries: Vec<Entry> = sections.chain(releases).collect();
    let out = document("urlset", &[("xmlns", SITEMAP_NS)], "url", &entries)?;
    Ok(xml(out, v.as_ref()))
}

pub async fn news(req: HttpRequest, state: State) -> WebResult {
    let now = state.clock.now();
    // The window moves with time, so the hour is part of the validator.
    let (v, cached) =
        http_cache::check(&state, &req, true, &now.format("%Y%m%d%H").to_string()).await?;
    if let Some(res) = cached {
        return Ok(res);
    }
    let from = now - chrono::Duration::hours(NEWS_HOURS);
    let list = state
        .db(move |conn| releases::public_between(conn, now, Some(from), 0, 1000))
        .await?;
    let newsroom = views::load_newsroom(&state).await?;
    let entries: Vec<Entry> = list
        .iter()
        .filter_map(|r| {
            let published = r.published_at?;
            Some(Entry {
                loc: state
                    .config
                    .absolute(&release_path(r.public_id.as_str(), &r.slug)),
                lastmod: None,
                news: Some(NewsEntry {
                    publication: newsroom.name.clone(),
                    language: r.language.split('-').next().unwrap_or("en").to_owned(),
                    published,
                    title: r.headline.clone(),
                }),
            })
        })
        .collect();
    let namespaces = [("xmlns", SITEMAP_NS), ("xmlns:news", NEWS_NS)];
    let out = document("urlset", &namespaces, "url", &entries)?;
    Ok(xml(out, v.as_ref()))
}
