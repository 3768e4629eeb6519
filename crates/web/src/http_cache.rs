//! Conditional requests and caching for public pages. Every change to anything public bumps one
//! content version in the database (the publish pipeline does it in the same transaction), so a
//! page's validator is that version plus what the page is: correct across instances, and cheap.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::error::WebResult;
use crate::state::AppState;

/// How long shared caches and browsers may reuse an anonymous public page without asking again.
pub const PUBLIC_MAX_AGE: u32 = 60;

/// The validators of one anonymous public page. A response that carries them (in its
/// extensions, put there by [`finish`]) is what the page cache may keep.
#[derive(Debug, Clone)]
pub struct Validators {
    pub etag: String,
    pub last_modified: DateTime<Utc>,
    /// The content version the page was rendered at.
    pub version: i64,
    /// The page depends on nothing but the content version (no `extra`, such as the hour), so
    /// the page cache may keep it until the version moves.
    pub cacheable: bool,
}

/// The entity tag of a page at content `version`, in the encoding it is sent in.
pub fn etag(version: i64, path: &str, query: &str, extra: &str, encoding: Encoding) -> String {
    let mut h = Sha256::new();
    h.update(path.as_bytes());
    h.update(b"?");
    h.update(query.as_bytes());
    h.update(b"|");
    h.update(extra.as_bytes());
    let digest = hex::encode(&h.finalize()[..8]);
    // The encoding changes the bytes sent, so it is part of the validator too.
    format!("\"v{version}-{digest}{}\"", encoding.etag_suffix())
}

/// Validators for the page `req` asks for, given anything else the page depends on (`extra`,
/// such as the hour for a page that changes with time).
pub async fn validators(state: &AppState, req: &HttpRequest, extra: &str) -> WebResult<Validators> {
    let v = state
        .db(dateline_storage::repo::settings::content_version)
        .await?;
    let encoding = Encoding::negotiate(req.headers());
    Ok(Validators {
        etag: etag(v.version, req.path(), req.query_string(), extra, encoding),
        last_modified: v.changed_at,
        version: v.version,
        cacheable: extra.is_empty(),
    })
}

/// The content codings public pages are sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The best coding the client accepts: Brotli, then gzip, then none. A coding listed with
    /// `q=0` is refused.
    pub fn negotiate(headers: &header::HeaderMap) -> Encoding {
        let mut gzip = false;
        for value in headers.get_all(header::ACCEPT_ENCODING) {
            let Ok(text) = value.to_str() else { continue };
            for item in text.split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                if refused {
                    continue;
                }
                if name.eq_ignore_ascii_case("br") {
                    return Encoding::Brotli;
                }
                gzip |= name.eq_ignore_ascii_case("gzip");
            }
        }
        if gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    /// The `Content-Encoding` value, if any.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }

    fn etag_suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => "-br",
            Encoding::Gzip => "-gz",
            Encoding::Identity => "",
        }
    }
}

/// Whether the client's copy is still good: `If-None-Match` decides when present, otherwise
/// `If-Modified-Since`.
pub fn not_modified(req: &HttpRequest, v: &Validators) -> bool {
    if let Some(inm) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
    {
        return inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == v.etag || t == "*");
    }
    if let Some(ims) = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|h| h.to_str().ok())
        && let Ok(since) = DateTime::parse_from_rfc2822(ims)
    {
        return v.last_modified.timestamp() <= since.timestamp();
    }
    false
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Adds the validators and the public cache policy to a response.
pub fn apply(res: &mut HttpResponse, v: &Validators) {
    let h = res.headers_mut();
    if let Ok(e) = HeaderValue::from_str(&v.etag) {
        h.insert(header::ETAG, e);
    }
    for (name, value) in policy(v.last_modified) {
        h.insert(name, value);
    }
}

/// The public cache policy: its date, how long to reuse it, and what the copy varies with.
pub fn policy(last_modified: DateTime<Utc>) -> Vec<(header::HeaderName, HeaderValue)> {
    let mut out = Vec::with_capacity(3);
    if let Ok(lm) = HeaderValue::from_str(&http_date(last_modified)) {
        out.push((header::LAST_MODIFIED, lm));
    }
    if let Ok(cc) = HeaderValue::from_str(&format!("public, max-age={PUBLIC_MAX_AGE}")) {
        out.push((header::CACHE_CONTROL, cc));
    }
    out.push((
        header::VARY,
        // Authorization too: the public API's lists are kept like pages, and an API client with
        // a token must not be handed the anonymous copy by a shared cache.
        HeaderValue::from_static("Accept-Encoding, Cookie, Authorization"),
    ));
    out
}

/// A 304 with the validators.
pub fn not_modified_response(v: &Validators) -> HttpResponse {
    let mut res = HttpResponse::NotModified().finish();
    apply(&mut res, v);
    res
}

/// For anonymous readers: answer 304 if their copy is current, or `None` to render the page.
/// Signed-in people always get a fresh, uncached page.
pub async fn check(
    state: &AppState,
    req: &HttpRequest,
    anonymous: bool,
    extra: &str,
) -> WebResult<(Option<Validators>, Option<HttpResponse>)> {
    if !anonymous {
        return Ok((None, None));
    }
    let v = validators(state, req, extra).await?;
    if not_modified(req, &v) {
        let res = not_modified_response(&v);
        return Ok((Some(v), Some(res)));
    }
    Ok((Some(v), None))
}

/// Finishes a public response: validators and cache policy for anonymous readers, and the
/// validators in the response's extensions so the page cache knows it may keep the page.
pub fn finish(mut res: HttpResponse, v: Option<&Validators>) -> HttpResponse {
    if let Some(v) = v {
        apply(&mut res, v);
        res.extensions_mut().insert(v.clone());
    }
    res
}
