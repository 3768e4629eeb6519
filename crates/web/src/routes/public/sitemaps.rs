//! `/sitemap.xml` (an index), its pages, and `/news-sitemap.xml` (Google News: the last 48 hours).
//! They list only what the public may see, through the same storage filter as every listing.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::SecondsFormat;
use dateline_storage::repo::releases;
use dateline_storage::repo::{organizations, taxonomy};
use dateline_storage::visibility::Scope;
use quick_xml::escape::escape;

use crate::error::{WebError, WebResult};
use crate::http_cache;
use crate::state::AppState;
use crate::views::{self, release::release_path};

/// Release URLs per sitemap page (the protocol allows 50 000; small pages stay fast).
pub const PER_PAGE: i64 = 1000;
/// Google News sitemaps list releases from the last two days, at most 1000.
pub const NEWS_HOURS: i64 = 48;

fn xml(body: String, v: Option<&http_cache::Validators>) -> HttpResponse {
    http_cache::finish(
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "application/xml; charset=utf-8"))
            .body(body),
        v,
    )
}

pub async fn index(req: HttpRequest, state: web::Data<AppState>) -> WebResult {
    let (v, cached) = http_cache::check(&state, &req, true, "").await?;
    if let Some(res) = cached {
        return Ok(res);
    }
    let now = state.clock.now();
    let (count, changed) = state
        .db(move |conn| -> WebResult<_> {
            Ok((
                releases::count_public(conn, now)?,
                dateline_storage::repo::settings::content_version(conn)?.changed_at,
            ))
        })
        .await?;
    let pages = ((count + PER_PAGE - 1) / PER_PAGE).max(1);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for n in 1..=pages {
        out.push_str(&format!(
            "  <sitemap><loc>{}</loc><lastmod>{}</lastmod></sitemap>\n",
            escape(
                state
                    .config
                    .absolute(&format!("/sitemaps/releases-{n}.xml"))
            ),
            changed.to_rfc3339_opts(SecondsFormat::Secs, true)
        ));
    }
    out.push_str("</sitemapindex>\n");
    Ok(xml(out, v.as_ref()))
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, n: web::Path<String>) -> WebResult {
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
            Ok((list, sections, releases::count_public(conn, now)?))
        })
        .await?;
    if n > 1 && offset >= total {
        return Err(WebError::NotFound);
    }
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for s in sections {
        out.push_str(&format!(
            "  <url><loc>{}</loc></url>\n",
            escape(state.config.absolute(&s))
        ));
    }
    for r in list {
        let lastmod = r.corrected_at.or(r.published_at).unwrap_or(r.updated_at);
        out.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            escape(
                state
                    .config
                    .absolute(&release_path(r.public_id.as_str(), &r.slug))
            ),
            lastmod.to_rfc3339_opts(SecondsFormat::Secs, true)
        ));
    }
    out.push_str("</urlset>\n");
    Ok(xml(out, v.as_ref()))
}

pub async fn news(req: HttpRequest, state: web::Data<AppState>) -> WebResult {
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
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
    );
    for r in list {
        let Some(published) = r.published_at else {
            continue;
        };
        let language = r.language.split('-').next().unwrap_or("en").to_owned();
        out.push_str(&format!(
            "  <url>\n    <loc>{}</loc>\n    <news:news>\n      <news:publication>\n        <news:name>{}</news:name>\n        <news:language>{}</news:language>\n      </news:publication>\n      <news:publication_date>{}</news:publication_date>\n      <news:title>{}</news:title>\n    </news:news>\n  </url>\n",
            escape(state.config.absolute(&release_path(r.public_id.as_str(), &r.slug))),
            escape(&newsroom.name),
            escape(&language),
            published.to_rfc3339_opts(SecondsFormat::Secs, true),
            escape(&r.headline)
        ));
    }
    out.push_str("</urlset>\n");
    Ok(xml(out, v.as_ref()))
}
