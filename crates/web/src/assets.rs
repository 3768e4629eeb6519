//! Static files (CSS, scripts, icons), compiled into the binary. Each is also served under a name
//! carrying a hash of its content, which pages link to, so browsers may cache them for a year and
//! still see a new version the moment it ships.

use std::collections::HashMap;
use std::sync::OnceLock;

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/static/"]
struct Static;

struct Entry {
    /// The name as stored (`app.css`).
    plain: String,
    content_type: String,
}

struct Index {
    /// `app.3f2a9c1b.css` → entry.
    hashed: HashMap<String, Entry>,
    /// `app.css` → `app.3f2a9c1b.css`.
    urls: HashMap<String, String>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut hashed = HashMap::new();
        let mut urls = HashMap::new();
        for name in Static::iter() {
            let Some(file) = Static::get(&name) else {
                continue;
            };
            let hash = hex::encode(&file.metadata.sha256_hash()[..5]);
            let versioned = match name.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
                None => format!("{name}.{hash}"),
            };
            let mime = file.metadata.mimetype().to_owned();
            let content_type = if mime.starts_with("text/")
                || mime.contains("javascript")
                || mime.contains("json")
                || mime.contains("svg")
            {
                format!("{mime}; charset=utf-8")
            } else {
                mime
            };
            urls.insert(name.to_string(), format!("/static/{versioned}"));
            hashed.insert(
                versioned,
                Entry {
                    plain: name.to_string(),
                    content_type,
                },
            );
        }
        Index { hashed, urls }
    })
}

/// The versioned URL of a static file, for templates. Falls back to the plain name.
pub fn url(name: &str) -> String {
    index()
        .urls
        .get(name)
        .cloned()
        .unwrap_or_else(|| format!("/static/{name}"))
}

pub struct Asset {
    pub body: Vec<u8>,
    pub content_type: String,
    /// Served under its content hash: cacheable for good.
    pub immutable: bool,
}

/// Looks a requested file name up, versioned or plain. Names are matched exactly against the
/// embedded set, so no path can reach outside it.
pub fn get(requested: &str) -> Option<Asset> {
    let idx = index();
    let (plain, immutable) = match idx.hashed.get(requested) {
        Some(e) => (e.plain.as_str(), true),
        None => (requested, false),
    };
    let file = Static::get(plain)?;
    let content_type = idx
        .urls
        .get(plain)
        .and_then(|u| idx.hashed.get(u.trim_start_matches("/static/")))
        .map(|e| e.content_type.clone())
        .unwrap_or_else(|| file.metadata.mimetype().to_owned());
    Some(Asset {
        body: file.data.into_owned(),
        content_type,
        immutable,
    })
}
