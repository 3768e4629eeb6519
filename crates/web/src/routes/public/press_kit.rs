//! `GET /press-kit/{id}`: everything a journalist needs from one release in one download, a zip
//! of the text (plain and HTML) and every file attached to it at full size. Who may have it is
//! the release page's rule (`dateline_core::visibility::access`): before the embargo lifts it is
//! not there for readers, and a withdrawn release's kit is gone with it.

use std::collections::HashSet;
use std::io::{Cursor, Write};

use actix_web::http::header::{self, ContentEncoding};
use actix_web::{HttpResponse, web};
use askama::Template;
use dateline_core::PublicId;
use dateline_core::content::plain_text;
use dateline_core::visibility::{Access, access};
use dateline_storage::repo::media::{self, Media};
use dateline_storage::repo::releases;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::error::{WebError, WebResult};
use crate::extract::{State, Visitor};
use crate::views::release::Full;
use crate::views::release_page::{Loaded, load_page};

#[derive(Template)]
#[template(path = "public/press_kit.html")]
struct KitHtml<'a> {
    r: &'a Full,
    url: &'a str,
    /// (name in the zip, caption or alt).
    files: &'a [(String, String)],
}

pub async fn download(state: State, visitor: Visitor, id: web::Path<String>) -> WebResult {
    let public_id: PublicId = id.parse().map_err(|_| WebError::NotFound)?;
    let _inside = state.bulkheads.press_kits.enter().await?;
    let (viewer, now) = (visitor.viewer(), state.clock.now());
    let (loaded, blobs) = state
        .db(move |conn| -> WebResult<_> {
            let release = releases::get_by_public_id(conn, &public_id)?;
            match access(viewer, &release.visibility_facts(), now) {
                Access::Visible => {}
                Access::Withdrawn => {
                    return Err(WebError::Gone("This release was withdrawn.".into()));
                }
                Access::Hidden => return Err(WebError::NotFound),
            }
            let loaded = load_page(conn, release, now)?;
            let mut blobs = Vec::with_capacity(loaded.media.len());
            for m in &loaded.media {
                blobs.push(media::blob(conn, &m.sha256)?.unwrap_or_default());
            }
            Ok((loaded, blobs))
        })
        .await?;
    let newsroom = crate::views::load_newsroom(&state).await?;
    let name = format!("{}-press-kit.zip", loaded.release.slug);
    // Deflating is CPU work: off the async threads, as the pictures were at upload.
    let (config, zone) = (state.config.clone(), newsroom.time_zone);
    let zip = web::block(move || build(&config, zone, &loaded, &blobs))
        .await
        .map_err(|e| WebError::internal_in("writing a press kit", e))??;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        // Pictures inside are compressed already, and the text is deflated by the zip itself.
        .insert_header(ContentEncoding::Identity)
        .body(zip))
}

fn build(
    config: &crate::config::Config,
    zone: chrono_tz::Tz,
    l: &Loaded,
    blobs: &[Vec<u8>],
) -> WebResult<Vec<u8>> {
    let r = &l.release;
    let full = Full::new(r, l.organization.as_ref(), &l.corrections, zone);
    let url = config.absolute(&full.path);
    let files = file_names(&l.media);
    let listed: Vec<(String, String)> = files
        .iter()
        .zip(&l.media)
        .map(|(name, m)| {
            let words = if m.caption.is_empty() {
                &m.alt
            } else {
                &m.caption
            };
            (name.clone(), words.clone())
        })
        .collect();
    let html = KitHtml {
        r: &full,
        url: &url,
        files: &listed,
    }
    .render()
    .map_err(|e| WebError::internal_in("rendering a press kit", e))?;
    let text = text_version(&full, r, &url, &listed);
    let fail = |e: zip::result::ZipError| WebError::internal_in("writing a press kit", e);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, body) in [
        ("release.txt", text.as_bytes()),
        ("release.html", html.as_bytes()),
    ] {
        zip.start_file(name, deflated).map_err(fail)?;
        zip.write_all(body)
            .map_err(|e| WebError::internal_in("writing a press kit", e))?;
    }
    for ((name, m), bytes) in files.iter().zip(&l.media).zip(blobs) {
        let options = if m.kind.is_image() { stored } else { deflated };
        zip.start_file(name, options).map_err(fail)?;
        zip.write_all(bytes)
            .map_err(|e| WebError::internal_in("writing a press kit", e))?;
    }
    Ok(zip.finish().map_err(fail)?.into_inner())
}

/// Each file under `files/` by its uploader's name, made unique where two share one.
fn file_names(files: &[Media]) -> Vec<String> {
    let mut seen = HashSet::new();
    files
        .iter()
        .map(|m| {
            let (stem, ext) = m
                .original_name
                .rsplit_once('.')
                .unwrap_or((&m.original_name, m.kind.extensions()[0]));
            let mut name = format!("files/{stem}.{ext}");
            let mut n = 2;
            while !seen.insert(name.clone()) {
                name = format!("files/{stem}-{n}.{ext}");
                n += 1;
            }
            name
        })
        .collect()
}

fn text_version(
    full: &Full,
    r: &dateline_core::Release,
    url: &str,
    files: &[(String, String)],
) -> String {
    let mut out = String::new();
    let mut para = |s: &str| {
        if !s.trim().is_empty() {
            out.push_str(s.trim());
            out.push_str("\n\n");
        }
    };
    para(&full.headline);
    para(&full.subheadline);
    if let Some(p) = &full.published {
        para(&format!("Published {}", p.text));
    }
    let lead = match (full.dateline.is_empty(), full.source_label.is_empty()) {
        (false, false) => format!("{} {}:", full.dateline, full.source_label),
        (false, true) => full.dateline.clone(),
        (true, false) => format!("{}:", full.source_label),
        (true, true) => String::new(),
    };
    para(&lead);
    for p in plain_text(&r.content.body).lines() {
        para(p);
    }
    for c in &full.corrections {
        para(&format!("Corrected on {}: {}", c.at.date, c.note));
    }
    if let Some(issuer) = &full.issuer {
        para(&format!("About {}", issuer.name));
        for p in &issuer.boilerplate {
            para(p);
        }
        para(&issuer.website);
    }
    if !full.contacts.is_empty() {
        para("Media contacts");
        for c in &full.contacts {
            let parts = [&c.name, &c.title, &c.email, &c.phone];
            let line: Vec<&str> = parts
                .iter()
                .map(|s| s.as_str())
                .filter(|s| !s.is_empty())
                .collect();
            para(&line.join(", "));
        }
    }
    if !files.is_empty() {
        para("Files");
        for (name, words) in files {
            if words.is_empty() {
                para(name);
            } else {
                para(&format!("{name}: {words}"));
            }
        }
    }
    para(&format!("Source: {url}"));
    out
}
