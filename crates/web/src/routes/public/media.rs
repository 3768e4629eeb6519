//! Serving uploaded files. Addresses name the bytes (`/media/{sha256}.{ext}`), so a response
//! never changes and may be cached for a year; whether it may be fetched at all is decided by
//! the visibility rule of whatever the file belongs to (`repo::media::served`), so the photos
//! of an embargoed release answer 404 to readers exactly as long as its text does.

use actix_web::http::header::{self, ContentEncoding};
use actix_web::{HttpRequest, HttpResponse, web};
use dateline_core::Viewer;
use dateline_core::media::MediaKind;
use dateline_storage::repo::media;

use crate::error::{WebError, WebResult};
use crate::extract::{State, Visitor};
use crate::state::AppState;

/// No script, style or frame may run from a served file, even if a browser took it for a page.
const MEDIA_CSP: &str = "default-src 'none'; sandbox";

pub async fn file(
    req: HttpRequest,
    state: State,
    visitor: Visitor,
    name: web::Path<String>,
) -> WebResult {
    serve(&req, &state, visitor.viewer(), &name).await
}

/// Serves the file `name` (`{sha256}.{ext}`) to `viewer`: the public route for readers and the
/// newsroom, and the preview route for a preview link's holder.
pub async fn serve(req: &HttpRequest, state: &AppState, viewer: Viewer, name: &str) -> WebResult {
    let (hash, extension) = parse(name).ok_or(WebError::NotFound)?;
    let now = state.clock.now();
    let key = hash.clone();
    let (served, public) = state
        .db(move |conn| -> WebResult<_> {
            let served = media::served(conn, &key, viewer, now)?;
            // Staff and preview holders may fetch what readers may not yet; only what readers
            // may fetch is shared with caches.
            let public = viewer == Viewer::Anonymous
                || (served.is_some()
                    && media::served(conn, &key, Viewer::Anonymous, now)?.is_some());
            Ok((served, public))
        })
        .await?;
    let served = served.ok_or(WebError::NotFound)?;
    if !served.kind.extensions().contains(&extension.as_str()) {
        return Err(WebError::NotFound);
    }
    let etag = format!("\"{hash}\"");
    let cache = if public {
        "public, max-age=31536000, immutable"
    } else {
        "private, no-store"
    };
    let unchanged = if_none_match(req, &etag);
    let mut res = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::CONTENT_SECURITY_POLICY, MEDIA_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Pictures and PDFs are compressed already.
        .insert_header(ContentEncoding::Identity);
    if served.kind == MediaKind::Pdf {
        res.insert_header((header::CONTENT_DISPOSITION, attachment(&served.name)));
    }
    if unchanged {
        return Ok(res.finish());
    }
    Ok(res.content_type(served.kind.mime()).body(served.bytes))
}

/// `{64 lower-case hex}.{extension}`, or nothing.
fn parse(name: &str) -> Option<(String, String)> {
    let (hash, extension) = name.split_once('.')?;
    let valid = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    valid.then(|| (hash.to_owned(), extension.to_ascii_lowercase()))
}

fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// A download under the uploader's (cleaned) name: an ASCII fallback for old clients, and the
/// exact name percent-encoded (RFC 6266).
fn attachment(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The address of the stored bytes `sha256` of a file of `kind`.
pub fn url(sha256: &str, kind: MediaKind) -> String {
    format!("/media/{sha256}.{}", kind.extensions()[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hash_addresses_are_accepted() {
        let h = "a".repeat(64);
        assert_eq!(parse(&format!("{h}.JPG")), Some((h.clone(), "jpg".into())));
        assert_eq!(parse(&format!("{}.jpg", "A".repeat(64))), None);
        assert_eq!(parse("../../etc/passwd"), None);
        assert_eq!(parse(&h), None);
    }

    #[test]
    fn download_names_are_quoted_safely() {
        assert_eq!(
            attachment("fact \"sheet\".pdf"),
            "attachment; filename=\"fact _sheet_.pdf\"; filename*=UTF-8''fact%20%22sheet%22.pdf"
        );
        assert!(attachment("Ölpreis.pdf").contains("filename*=UTF-8''%C3%96lpreis.pdf"));
    }
}
