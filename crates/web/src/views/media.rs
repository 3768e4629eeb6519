//! How media look on pages: responsive figures (a `<picture>` with WebP and the original format,
//! `srcset`, `sizes`, and the width and height that reserve the space before the bytes arrive)
//! and downloads with their size.

use dateline_core::media::MediaKind;
use dateline_storage::repo::media::{Media, Rendition};

use crate::routes::public::media::url;

/// The lead image fills the article column; gallery pictures sit two or three to a row.
pub const LEAD_SIZES: &str = "(min-width: 64rem) 44rem, 100vw";
pub const GALLERY_SIZES: &str = "(min-width: 64rem) 22rem, (min-width: 40rem) 50vw, 100vw";
pub const THUMB_SIZES: &str = "8rem";
/// Logos are shown small, beside an organization's name.
pub const LOGO_SIZES: &str = "10rem";

#[derive(Debug, Clone)]
pub struct Figure {
    /// The fallback `src`: the widest rendition in the original format.
    pub src: String,
    pub srcset: String,
    pub webp_srcset: String,
    pub mime: &'static str,
    pub sizes: &'static str,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    /// The original at full size, when it is wider than any rendition.
    pub full_size: Option<String>,
}

impl Figure {
    pub fn new(m: &Media, sizes: &'static str) -> Option<Figure> {
        let (width, height) = m.dimensions?;
        let in_format = |format: MediaKind| -> Vec<&Rendition> {
            m.renditions.iter().filter(|r| r.format == format).collect()
        };
        let own = in_format(m.kind);
        let widest = own.last().copied();
        let srcset = |list: &[&Rendition]| {
            list.iter()
                .map(|r| format!("{} {}w", url(&r.sha256, r.format), r.width))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let webp = if m.kind == MediaKind::Webp {
            String::new()
        } else {
            srcset(&in_format(MediaKind::Webp))
        };
        let (src, shown) = match widest {
            Some(r) => (url(&r.sha256, r.format), (r.width, r.height)),
            None => (url(&m.sha256, m.kind), (width, height)),
        };
        Some(Figure {
            src,
            srcset: srcset(&own),
            webp_srcset: webp,
            mime: m.kind.mime(),
            sizes,
            width: shown.0,
            height: shown.1,
            alt: m.alt.clone(),
            caption: m.caption.clone(),
            credit: m.credit.clone(),
            full_size: (widest.is_some_and(|r| r.width < width)).then(|| url(&m.sha256, m.kind)),
        })
    }

    /// Points every address at `base` + `/media/…`, for a page whose files are fetched through
    /// another route (a preview link's).
    pub fn rebase(&mut self, base: &str) {
        let to = format!("{base}/media/");
        for field in [&mut self.src, &mut self.srcset, &mut self.webp_srcset] {
            *field = field.replace("/media/", &to);
        }
        if let Some(full) = self.full_size.as_mut() {
            *full = full.replace("/media/", &to);
        }
    }

    /// The rendition nearest 1200 pixels wide, the size link previews ask for, with its size.
    pub fn share_image(m: &Media) -> Option<(String, u32, u32)> {
        let own = m.renditions.iter().filter(|r| r.format == m.kind);
        let best = own.min_by_key(|r| r.width.abs_diff(1200))?;
        Some((url(&best.sha256, best.format), best.width, best.height))
    }
}

/// A file offered for download: a PDF fact sheet, say.
#[derive(Debug, Clone)]
pub struct Download {
    pub href: String,
    pub name: String,
    pub size: String,
}

impl Download {
    pub fn new(m: &Media) -> Download {
        Download {
            href: url(&m.sha256, m.kind),
            name: m.original_name.clone(),
            size: human_size(m.byte_size),
        }
    }
}

/// What a release shows of its files: the first picture as the lead, the others as a gallery,
/// and the documents as downloads.
#[derive(Debug, Clone, Default)]
pub struct ReleaseMedia {
    pub lead: Option<Figure>,
    pub gallery: Vec<Figure>,
    pub downloads: Vec<Download>,
}

impl ReleaseMedia {
    pub fn new(files: &[Media]) -> ReleaseMedia {
        let mut out = ReleaseMedia::default();
        for m in files {
            if m.kind.is_image() {
                let sizes = if out.lead.is_none() {
                    LEAD_SIZES
                } else {
                    GALLERY_SIZES
                };
                let Some(figure) = Figure::new(m, sizes) else {
                    continue;
                };
                if out.lead.is_none() {
                    out.lead = Some(figure);
                } else {
                    out.gallery.push(figure);
                }
            } else {
                out.downloads.push(Download::new(m));
            }
        }
        out
    }
}

impl ReleaseMedia {
    /// See [`Figure::rebase`].
    pub fn rebase(&mut self, base: &str) {
        self.lead
            .iter_mut()
            .chain(&mut self.gallery)
            .for_each(|f| f.rebase(base));
        for d in &mut self.downloads {
            d.href = format!("{base}{}", d.href);
        }
    }
}

/// `245 KB`, `1.4 MB`: decimal units, as file managers show them.
pub fn human_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1000.0 {
        format!("{bytes} bytes")
    } else if b < 1_000_000.0 {
        format!("{:.0} KB", b / 1000.0)
    } else {
        format!("{:.1} MB", b / 1_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_a_file_manager_shows_them() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(245_300), "245 KB");
        assert_eq!(human_size(1_430_000), "1.4 MB");
    }
}
