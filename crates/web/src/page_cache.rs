//! Rendered public pages for anonymous readers, held in memory with their compressed forms, so a
//! popular page costs a hash lookup instead of database queries, a render and a compression.
//!
//! A page is kept only when its handler marked it as an anonymous, version-bound public page
//! (`http_cache::finish` puts its [`Validators`] in the response), so embargoed content, pages
//! for signed-in people, errors and anything that sets a cookie are never kept. A kept page is
//! served only while the newsroom's content version is the one it was rendered at. That version
//! moves in the same transaction as every public change; this instance learns the new value
//! after each write request it serves, around each embargo lift its scheduler makes (the cache
//! is paused from before the lift's commit until the new version is read), and four times a
//! second for changes made elsewhere (another instance, the command line).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use crate::http_cache::{Encoding, Validators, etag, not_modified};

/// Kept pages may use this much memory, counting their uncompressed and compressed bodies.
pub const DEFAULT_CAPACITY_BYTES: usize = 48 * 1024 * 1024;

/// The header that says whether a page came from the cache, for operators and tests.
pub const STATUS_HEADER: &str = "x-dateline-cache";

/// One kept page, with the headers it is sent with made once.
pub struct Entry {
    version: i64,
    path: String,
    query: String,
    last_modified: DateTime<Utc>,
    content_type: HeaderValue,
    /// The entity tag of each coding, in [`Entry::coding_index`] order.
    etags: [HeaderValue; 3],
    policy: Vec<(header::HeaderName, HeaderValue)>,
    identity: Bytes,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
    /// When it was last served, on the cache's own clock, for eviction.
    used: AtomicU64,
    /// The route it was rendered under, for the log and the metrics of a request it answers.
    route: Option<Arc<str>>,
}

impl Entry {
    fn body(&self, encoding: Encoding) -> Bytes {
        match encoding {
            Encoding::Identity => self.identity.clone(),
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(&self.identity)).clone(),
            Encoding::Brotli => self.brotli.get_or_init(|| brotli(&self.identity)).clone(),
        }
    }

    fn coding_index(encoding: Encoding) -> usize {
        match encoding {
            Encoding::Identity => 0,
            Encoding::Gzip => 1,
            Encoding::Brotli => 2,
        }
    }

    /// Whether the reader's copy (named by `If-None-Match` or dated by `If-Modified-Since`) is
    /// current.
    fn fresh_for(&self, req: &HttpRequest, etag: &HeaderValue) -> bool {
        let h = req.headers();
        if !h.contains_key(header::IF_NONE_MATCH) && !h.contains_key(header::IF_MODIFIED_SINCE) {
            return false;
        }
        let validators = Validators {
            etag: etag.to_str().unwrap_or_default().to_owned(),
            last_modified: self.last_modified,
            version: self.version,
            cacheable: true,
        };
        not_modified(req, &validators)
    }

    /// The page as sent to `req`, in `encoding`: a 304 when the reader's copy is current.
    /// The route the page was rendered under.
    pub fn rendered_under(&self) -> Option<Arc<str>> {
        self.route.clone()
    }

    pub fn respond(&self, encoding: Encoding, req: &HttpRequest) -> HttpResponse {
        let etag = &self.etags[Self::coding_index(encoding)];
        let mut res = if self.fresh_for(req, etag) {
            HttpResponse::NotModified().finish()
        } else {
            let mut res = HttpResponse::with_body(StatusCode::OK, self.body(encoding));
            res.headers_mut()
                .insert(header::CONTENT_TYPE, self.content_type.clone());
            if let Some(coding) = encoding.header() {
                res.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            }
            res.map_into_boxed_body()
        };
        let h = res.headers_mut();
        h.insert(header::ETAG, etag.clone());
        for (name, value) in &self.policy {
            h.insert(name.clone(), value.clone());
        }
        res
    }

    fn weight(&self) -> usize {
        // The compressed forms are made on first use; count them as half the page up front so
        // the limit holds once they exist.
        self.identity.len() + self.identity.len() / 2 + self.path.len() + self.query.len()
    }
}

fn gzip(body: &[u8]) -> Bytes {
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = out.write_all(body);
    Bytes::from(out.finish().unwrap_or_default())
}

fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::new();
    {
        // Quality 9: pages are compressed once per content version, so a smaller page is worth
        // a few milliseconds.
        let mut w = ::brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        let _ = w.write_all(body);
    }
    Bytes::from(out)
}

/// A page as its handler answered it.
pub struct Rendered<'a> {
    pub path: &'a str,
    pub query: &'a str,
    pub status: StatusCode,
    pub headers: &'a HeaderMap,
    pub validators: &'a Validators,
    pub body: Bytes,
    pub route: Option<Arc<str>>,
}

/// The cache of one instance.
pub struct PageCache {
    /// The newest content version this instance knows of. Only pages rendered at it are served.
    known: AtomicI64,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    capacity: usize,
    clock: AtomicU64,
    /// While above zero, nothing is served or kept: a change is committing (see [`pause`]).
    ///
    /// [`pause`]: PageCache::pause
    paused: AtomicUsize,
    /// Pages being rendered now, each held by the request rendering it (see [`render_once`]).
    ///
    /// [`render_once`]: PageCache::render_once
    rendering: Mutex<HashMap<String, Arc<tokio::sync::RwLock<()>>>>,
}

/// What a request that found no kept page does: render it, or wait for the one rendering it.
pub enum Turn {
    /// This request renders the page; others asking meanwhile wait until the guard is dropped.
    Render(Rendering),
    /// Another request is rendering it; this waits for that, then looks in the cache again.
    Wait(Arc<tokio::sync::RwLock<()>>),
}

/// Held while a page renders; dropping it lets the waiting requests look again.
pub struct Rendering {
    cache: Arc<PageCache>,
    key: String,
    _held: tokio::sync::OwnedRwLockWriteGuard<()>,
}

impl Drop for Rendering {
    fn drop(&mut self) {
        if let Ok(mut rendering) = self.cache.rendering.lock() {
            rendering.remove(&self.key);
        }
    }
}

/// Holds the cache paused until dropped.
pub struct Paused<'a>(&'a PageCache);

impl Drop for Paused<'_> {
    fn drop(&mut self) {
        self.0.paused.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache::new(DEFAULT_CAPACITY_BYTES)
    }
}

impl PageCache {
    pub fn new(capacity: usize) -> Self {
        PageCache {
            known: AtomicI64::new(-1),
            entries: RwLock::new(HashMap::new()),
            capacity,
            clock: AtomicU64::new(0),
            paused: AtomicUsize::new(0),
            rendering: Mutex::new(HashMap::new()),
        }
    }

    /// Whose turn it is to render the page `key` that is not kept. A crowd arriving at once for
    /// a page nobody has asked for since the last change (a popular search, a feed) renders it
    /// once: without this every one of them queried and rendered it, and the bulkheads turned
    /// most away with 503s.
    pub fn render_once(self: &Arc<Self>, key: &str) -> Turn {
        let Ok(mut rendering) = self.rendering.lock() else {
            return Turn::Wait(Arc::default());
        };
        if let Some(lock) = rendering.get(key) {
            return Turn::Wait(lock.clone());
        }
        let lock = Arc::new(tokio::sync::RwLock::new(()));
        let Ok(held) = lock.clone().try_write_owned() else {
            return Turn::Wait(lock);
        };
        rendering.insert(key.to_owned(), lock);
        Turn::Render(Rendering {
            cache: self.clone(),
            key: key.to_owned(),
            _held: held,
        })
    }

    /// Stops serving and keeping pages until the guard is dropped. For a change whose commit
    /// this instance cannot follow with a request (the scheduler lifting an embargo): pause
    /// before it, learn the new version after it, then let go.
    pub fn pause(&self) -> Paused<'_> {
        self.paused.fetch_add(1, Ordering::AcqRel);
        Paused(self)
    }

    fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Acquire) > 0
    }

    /// The key of a page: its path and query string, exactly as asked.
    pub fn key(path: &str, query: &str) -> String {
        format!("{path}?{query}")
    }

    /// The kept page for `key`, if it was rendered at the current content version.
    pub fn get(&self, key: &str) -> Option<Arc<Entry>> {
        if self.is_paused() {
            return None;
        }
        let known = self.known.load(Ordering::Acquire);
        let entries = self.entries.read().ok()?;
        let entry = entries.get(key).filter(|e| e.version == known)?;
        entry.used.store(
            self.clock.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        Some(entry.clone())
    }

    /// Keeps a page its handler rendered, if it may be kept: a plain 200 with validators marked
    /// cacheable and no cookie. Returns the entry to answer from.
    pub fn keep(&self, key: String, page: Rendered<'_>) -> Option<Arc<Entry>> {
        let Rendered {
            path,
            query,
            status,
            headers,
            validators,
            body,
            route,
        } = page;
        if status != StatusCode::OK
            || !validators.cacheable
            || headers.contains_key(header::SET_COOKIE)
            || headers.contains_key(header::CONTENT_ENCODING)
        {
            return None;
        }
        let content_type = headers.get(header::CONTENT_TYPE)?.clone();
        let tag = |e| HeaderValue::from_str(&etag(validators.version, path, query, "", e)).ok();
        let etags = [
            tag(Encoding::Identity)?,
            tag(Encoding::Gzip)?,
            tag(Encoding::Brotli)?,
        ];
        let entry = Arc::new(Entry {
            version: validators.version,
            path: path.to_owned(),
            query: query.to_owned(),
            last_modified: validators.last_modified,
            content_type,
            etags,
            policy: crate::http_cache::policy(validators.last_modified),
            identity: body,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
            used: AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed)),
            route,
        });
        // The page was rendered at this version, so the database has reached it. A page
        // rendered before a newer version was learnt is already out of date: answer from it,
        // keep it not.
        let known = self.known.fetch_max(validators.version, Ordering::AcqRel);
        if validators.version < known || entry.weight() > self.capacity / 4 || self.is_paused() {
            return Some(entry);
        }
        if let Ok(mut entries) = self.entries.write() {
            entries.insert(key, entry.clone());
            self.evict(&mut entries);
        }
        Some(entry)
    }

    /// Drops pages of older versions, then the least recently served, until the cache fits.
    fn evict(&self, entries: &mut HashMap<String, Arc<Entry>>) {
        let known = self.known.load(Ordering::Acquire);
        let mut total: usize = entries.values().map(|e| e.weight()).sum();
        if total <= self.capacity {
            return;
        }
        entries.retain(|_, e| e.version == known);
        total = entries.values().map(|e| e.weight()).sum();
        while total > self.capacity {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = entries.remove(&oldest) {
                total -= e.weight();
            }
        }
    }

    /// Takes the content version from the database's answer. It can move back (a restored
    /// database), which only makes kept pages miss.
    pub fn learn(&self, version: i64) {
        let before = self.known.swap(version, Ordering::AcqRel);
        if before != version
            && let Ok(mut entries) = self.entries.write()
        {
            entries.retain(|_, e| e.version == version);
        }
    }

    /// How many pages are kept, for tests and logs.
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validators(version: i64) -> Validators {
        Validators {
            etag: String::new(),
            last_modified: DateTime::UNIX_EPOCH,
            version,
            cacheable: true,
        }
    }

    fn html() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h
    }

    fn rendered<'a>(
        path: &'a str,
        status: StatusCode,
        headers: &'a HeaderMap,
        v: &'a Validators,
        body: &str,
    ) -> Rendered<'a> {
        Rendered {
            path,
            query: "",
            status,
            headers,
            validators: v,
            body: Bytes::from(body.to_owned()),
            route: None,
        }
    }

    fn keep(cache: &PageCache, path: &str, version: i64, body: &str) {
        let (h, v) = (html(), validators(version));
        cache.keep(
            PageCache::key(path, ""),
            rendered(path, StatusCode::OK, &h, &v, body),
        );
    }

    #[test]
    fn a_page_is_served_only_at_its_version() {
        let cache = PageCache::new(1 << 20);
        keep(&cache, "/", 3, "home at 3");
        assert!(cache.get("/?").is_some());
        cache.learn(4);
        assert!(cache.get("/?").is_none(), "a newer version hides it");
        keep(&cache, "/", 4, "home at 4");
        assert_eq!(
            cache.get("/?").unwrap().body(Encoding::Identity),
            "home at 4"
        );
    }

    #[test]
    fn errors_cookies_and_time_bound_pages_are_not_kept() {
        let cache = PageCache::new(1 << 20);
        let (h, v) = (html(), validators(1));
        let mut cookie = html();
        cookie.insert(header::SET_COOKIE, HeaderValue::from_static("a=b"));
        cache.keep("a".into(), rendered("/a", StatusCode::OK, &cookie, &v, "x"));
        cache.keep(
            "b".into(),
            rendered("/b", StatusCode::NOT_FOUND, &h, &v, "x"),
        );
        let mut hourly = validators(1);
        hourly.cacheable = false;
        cache.keep("c".into(), rendered("/c", StatusCode::OK, &h, &hourly, "x"));
        cache.learn(1);
        keep(&cache, "/d", 0, "rendered before version 1 was known");
        assert!(cache.is_empty());
    }

    #[test]
    fn the_least_recently_served_page_goes_first() {
        let page = "x".repeat(1000);
        // Room for four such pages.
        let cache = PageCache::new(4 * 1600);
        for path in ["/a", "/b", "/c", "/d"] {
            keep(&cache, path, 1, &page);
        }
        assert!(cache.get("/a?").is_some());
        keep(&cache, "/e", 1, &page);
        assert!(cache.get("/b?").is_none(), "b was served least recently");
        for key in ["/a?", "/c?", "/d?", "/e?"] {
            assert!(cache.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn a_paused_cache_serves_and_keeps_nothing() {
        let cache = PageCache::new(1 << 20);
        keep(&cache, "/", 1, "home");
        {
            let _paused = cache.pause();
            assert!(cache.get("/?").is_none());
            keep(&cache, "/a", 1, "rendered during the pause");
        }
        assert!(cache.get("/?").is_some(), "served again once let go");
        assert!(cache.get("/a?").is_none(), "nothing was kept while paused");
    }

    #[test]
    fn compressed_forms_decode_to_the_page() {
        use std::io::Read;
        let cache = PageCache::new(1 << 20);
        let page = "<p>Harbour opens</p>".repeat(200);
        keep(&cache, "/", 1, &page);
        let entry = cache.get("/?").unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&entry.body(Encoding::Gzip)[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, page);
        let mut text = String::new();
        ::brotli::Decompressor::new(&entry.body(Encoding::Brotli)[..], 4096)
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, page);
        assert!(entry.body(Encoding::Brotli).len() < page.len() / 10);
    }
}
