//! What an uploaded file may be. Uploads are the classic way in for an attacker (SVG with script,
//! HTML dressed as a photo, polyglots, path traversal), so the rules here decide from the bytes,
//! never from what the client claims, and refuse everything not on a short list.
//!
//! Pure: callers pass the bytes and, for images, the dimensions their decoder read.

use crate::validation::ValidationErrors;

/// The largest file accepted, in bytes (10 MiB).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The largest image accepted, in pixels (50 megapixels): a decoder must never allocate more.
pub const MAX_PIXELS: u64 = 50_000_000;
/// The longest file name kept as metadata, in characters.
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_ALT_CHARS: usize = 500;
pub const MAX_CAPTION_CHARS: usize = 1000;
pub const MAX_CREDIT_CHARS: usize = 200;
/// How much of the start of a file is searched for markup. Browsers sniff about this much, so a
/// file that passes cannot be taken for HTML by one that ignores `nosniff`.
const SNIFF_WINDOW: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Jpeg,
    Png,
    Webp,
    Gif,
    Pdf,
}

impl MediaKind {
    pub const ALL: [MediaKind; 5] = [
        MediaKind::Jpeg,
        MediaKind::Png,
        MediaKind::Webp,
        MediaKind::Gif,
        MediaKind::Pdf,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "jpeg",
            MediaKind::Png => "png",
            MediaKind::Webp => "webp",
            MediaKind::Gif => "gif",
            MediaKind::Pdf => "pdf",
        }
    }

    pub fn parse(s: &str) -> Option<MediaKind> {
        MediaKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn mime(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Png => "image/png",
            MediaKind::Webp => "image/webp",
            MediaKind::Gif => "image/gif",
            MediaKind::Pdf => "application/pdf",
        }
    }

    /// The extensions a file of this kind may carry, lower case, the served one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            MediaKind::Jpeg => &["jpg", "jpeg"],
            MediaKind::Png => &["png"],
            MediaKind::Webp => &["webp"],
            MediaKind::Gif => &["gif"],
            MediaKind::Pdf => &["pdf"],
        }
    }

    pub fn is_image(self) -> bool {
        self != MediaKind::Pdf
    }

    /// Decides the kind from the file's magic bytes alone. `None` for anything else, SVG and
    /// HTML included (they are text and have no magic).
    pub fn sniff(bytes: &[u8]) -> Option<MediaKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(MediaKind::Webp)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(MediaKind::Gif)
        } else if bytes.starts_with(b"%PDF-") {
            Some(MediaKind::Pdf)
        } else {
            None
        }
    }
}

/// Why an upload was refused. Each carries the English the uploader reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaRefusal {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is larger than 10 MiB.")]
    TooLarge,
    #[error("Only JPEG, PNG, WebP, GIF and PDF files are accepted; this file is none of them.")]
    UnknownType,
    #[error("The file contains HTML or script, which is not accepted in a media file.")]
    Markup,
    #[error("The file is a {actual} file but its name ends in .{extension}.")]
    ExtensionMismatch {
        actual: &'static str,
        extension: String,
    },
    #[error("The file name is missing or unusable.")]
    BadName,
    #[error(
        "The file name climbs out of its folder (it contains ..); send the file under its own name."
    )]
    PathInName,
    #[error("The image is {width}×{height} pixels; at most 50 megapixels are accepted.")]
    TooManyPixels { width: u32, height: u32 },
    #[error("The image could not be read; it may be damaged or truncated.")]
    Undecodable,
}

impl MediaRefusal {
    /// The multipart field the refusal is about.
    pub fn field(&self) -> &'static str {
        "file"
    }
}

/// A file that passed the rules on its bytes and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    pub kind: MediaKind,
    /// The client's name, cleaned; metadata only, never a path on disk or in a URL unescaped.
    pub name: String,
}

/// Checks a whole uploaded file: size, type from the magic bytes, no markup near its start, and
/// a name whose extension agrees with the type.
pub fn check_file(client_name: &str, bytes: &[u8]) -> Result<CheckedFile, MediaRefusal> {
    if bytes.is_empty() {
        return Err(MediaRefusal::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(MediaRefusal::TooLarge);
    }
    let kind = MediaKind::sniff(bytes).ok_or(MediaRefusal::UnknownType)?;
    if contains_markup(bytes) {
        return Err(MediaRefusal::Markup);
    }
    let name = clean_file_name(client_name)?;
    let extension = extension(&name).unwrap_or_default();
    if !kind.extensions().contains(&extension.as_str()) {
        return Err(MediaRefusal::ExtensionMismatch {
            actual: kind.extensions()[0],
            extension,
        });
    }
    Ok(CheckedFile { kind, name })
}

/// Checks the dimensions a decoder read from an image's header, before it decodes the pixels.
pub fn check_dimensions(width: u32, height: u32) -> Result<(), MediaRefusal> {
    if width == 0 || height == 0 {
        return Err(MediaRefusal::Undecodable);
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaRefusal::TooManyPixels { width, height });
    }
    Ok(())
}

/// Keeps only the last path component of the client's name: the name is shown as metadata and
/// offered as a download name, never used as a path. Some browsers send a full path
/// (`C:\Users\…\x.png`), which is harmless once cut; a name that climbs out of its folder
/// (`../../x.png`) is no browser's doing and is refused. Control characters and quotes go; a
/// name that is then empty, only dots, or has no extension is refused.
pub fn clean_file_name(raw: &str) -> Result<String, MediaRefusal> {
    if raw.split(['/', '\\']).any(|part| part.trim() == "..") {
        return Err(MediaRefusal::PathInName);
    }
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() || extension(&cleaned).is_none() {
        return Err(MediaRefusal::BadName);
    }
    if cleaned.chars().count() > MAX_NAME_CHARS {
        // Keep the extension: it is what the type was checked against.
        let ext = extension(&cleaned).unwrap_or_default();
        let stem: String = cleaned
            .chars()
            .take(MAX_NAME_CHARS.saturating_sub(ext.len() + 1))
            .collect();
        return Ok(format!("{stem}.{ext}"));
    }
    Ok(cleaned)
}

/// The lower-case extension of a cleaned name, if it has a non-empty one.
fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// Whether the start of the file holds markup a browser could run: a GIF header followed by
/// `<script>` is a valid-looking GIF and an HTML page at once.
fn contains_markup(bytes: &[u8]) -> bool {
    const MARKERS: [&[u8]; 8] = [
        b"<script",
        b"<html",
        b"<svg",
        b"<!doctype",
        b"<iframe",
        b"<body",
        b"<head",
        b"<?xml",
    ];
    let window = &bytes[..bytes.len().min(SNIFF_WINDOW)];
    let lower = window.to_ascii_lowercase();
    MARKERS
        .iter()
        .any(|m| lower.windows(m.len()).any(|w| w == *m))
}

/// The widths responsive renditions are made at, narrowest first: a phone, a tablet or a column
/// on a desktop, and a wide screen at twice the density of a column.
pub const RENDITION_WIDTHS: [u32; 3] = [480, 960, 1600];

/// The widths to make for an image `width` pixels wide: each standard width narrower than the
/// image, plus the image's own width when that is no wider than the widest standard one. An
/// image is never scaled up, and the largest candidate in a `srcset` is never wider than 1600.
pub fn rendition_widths(width: u32) -> Vec<u32> {
    let widest = RENDITION_WIDTHS[RENDITION_WIDTHS.len() - 1];
    let mut widths: Vec<u32> = RENDITION_WIDTHS
        .into_iter()
        .filter(|&w| w < width)
        .collect();
    if width <= widest {
        widths.push(width);
    }
    widths
}

/// The height of a copy `to_width` wide of an image `width`×`height`, rounded, never zero.
pub fn scaled_height(width: u32, height: u32, to_width: u32) -> u32 {
    if width == 0 {
        return height.max(1);
    }
    let h = (u64::from(height) * u64::from(to_width) + u64::from(width) / 2) / u64::from(width);
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

/// A JPEG ends with its end-of-image marker (`FF D9`); one cut off in transfer does not, and
/// decoders differ in whether they complain. Trailing padding after the marker is allowed, and
/// so is data some cameras append after it, as long as a marker is there.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(64 * 1024)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

/// The words that go with a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaText {
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

impl MediaText {
    /// Alt text is required for images (screen-reader users otherwise get nothing); caption and
    /// credit are optional everywhere.
    pub fn validate(&self, kind: MediaKind) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        errors.line("alt", &self.alt, kind.is_image(), MAX_ALT_CHARS);
        errors.text("caption", &self.caption, false, MAX_CAPTION_CHARS);
        errors.line("credit", &self.credit, false, MAX_CREDIT_CHARS);
        errors.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];

    #[test]
    fn type_comes_from_the_magic_bytes() {
        assert_eq!(MediaKind::sniff(JPEG), Some(MediaKind::Jpeg));
        assert_eq!(MediaKind::sniff(PNG), Some(MediaKind::Png));
        assert_eq!(
            MediaKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(MediaKind::Webp)
        );
        assert_eq!(
            MediaKind::sniff(b"GIF89a\x01\0\x01\0"),
            Some(MediaKind::Gif)
        );
        assert_eq!(MediaKind::sniff(b"%PDF-1.7\n"), Some(MediaKind::Pdf));
        assert_eq!(MediaKind::sniff(b"RIFF\x10\0\0\0WAVE"), None);
        assert_eq!(
            MediaKind::sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(MediaKind::sniff(b""), None);
    }

    #[test]
    fn html_named_jpg_is_refused() {
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
        assert_eq!(
            check_file("photo.jpg", html),
            Err(MediaRefusal::UnknownType)
        );
    }

    #[test]
    fn svg_is_refused() {
        let svg = b"<?xml version='1.0'?><svg onload='alert(1)'/>";
        assert_eq!(check_file("logo.svg", svg), Err(MediaRefusal::UnknownType));
    }

    #[test]
    fn gif_header_followed_by_script_is_refused() {
        let polyglot = b"GIF89a/*\x01\0\x01\0*/=1;<SCRIPT>alert(1)</script>";
        assert_eq!(check_file("x.gif", polyglot), Err(MediaRefusal::Markup));
    }

    #[test]
    fn empty_and_oversized_files_are_refused() {
        assert_eq!(check_file("x.png", b""), Err(MediaRefusal::Empty));
        let mut big = PNG.to_vec();
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(check_file("x.png", &big), Err(MediaRefusal::TooLarge));
        big.truncate(MAX_BYTES);
        assert!(check_file("x.png", &big).is_ok());
    }

    #[test]
    fn the_extension_must_agree() {
        assert_eq!(
            check_file("x.png", JPEG),
            Err(MediaRefusal::ExtensionMismatch {
                actual: "jpg",
                extension: "png".into()
            })
        );
        assert!(check_file("x.JPEG", JPEG).is_ok());
        assert_eq!(
            check_file("x", JPEG),
            Err(MediaRefusal::BadName),
            "no extension at all"
        );
    }

    #[test]
    fn names_lose_their_folder_and_may_not_climb_out() {
        assert_eq!(
            clean_file_name("../../x.png"),
            Err(MediaRefusal::PathInName)
        );
        assert_eq!(
            clean_file_name("a\\..\\x.png"),
            Err(MediaRefusal::PathInName)
        );
        assert_eq!(clean_file_name("photos/x.png").as_deref(), Ok("x.png"));
        assert_eq!(
            clean_file_name("C:\\Users\\ana\\Press photo.JPG").as_deref(),
            Ok("Press photo.JPG")
        );
        assert_eq!(clean_file_name("a\u{0}b\"<.png").as_deref(), Ok("ab.png"));
        assert_eq!(clean_file_name("../.."), Err(MediaRefusal::PathInName));
        assert_eq!(clean_file_name("x/"), Err(MediaRefusal::BadName));
        assert_eq!(clean_file_name(".png"), Err(MediaRefusal::BadName));
        let long = format!("{}.png", "a".repeat(500));
        let cleaned = clean_file_name(&long).unwrap_or_default();
        assert_eq!(cleaned.chars().count(), MAX_NAME_CHARS);
        assert!(cleaned.ends_with(".png"));
        assert_eq!(
            check_file("../../x.png", PNG).map(|f| f.name),
            Err(MediaRefusal::PathInName)
        );
    }

    #[test]
    fn pixel_cap() {
        assert!(check_dimensions(5000, 10_000).is_ok());
        assert_eq!(
            check_dimensions(20_000, 20_000),
            Err(MediaRefusal::TooManyPixels {
                width: 20_000,
                height: 20_000
            })
        );
        assert_eq!(check_dimensions(0, 10), Err(MediaRefusal::Undecodable));
    }

    #[test]
    fn alt_text_is_required_for_images_only() {
        let none = MediaText::default();
        assert_eq!(
            none.validate(MediaKind::Png)
                .err()
                .and_then(|e| e.for_field("alt").map(str::to_owned))
                .as_deref(),
            Some("This field is required.")
        );
        assert!(none.validate(MediaKind::Pdf).is_ok());
        let described = MediaText {
            alt: "The CEO at the opening".into(),
            ..MediaText::default()
        };
        assert!(described.validate(MediaKind::Jpeg).is_ok());
        let two_lines = MediaText {
            alt: "a\nb".into(),
            ..MediaText::default()
        };
        assert!(two_lines.validate(MediaKind::Jpeg).is_err());
    }

    #[test]
    fn renditions_never_scale_up_and_stop_at_1600() {
        assert_eq!(rendition_widths(4000), vec![480, 960, 1600]);
        assert_eq!(rendition_widths(1600), vec![480, 960, 1600]);
        assert_eq!(rendition_widths(1000), vec![480, 960, 1000]);
        assert_eq!(rendition_widths(480), vec![480]);
        assert_eq!(rendition_widths(200), vec![200]);
        assert_eq!(scaled_height(4000, 3000, 480), 360);
        assert_eq!(scaled_height(3, 1, 1), 1, "never zero");
    }

    #[test]
    fn a_jpeg_without_its_end_marker_is_incomplete() {
        let whole = [JPEG, &[0x00, 0x11, 0xFF, 0xD9][..]].concat();
        assert!(jpeg_is_complete(&whole));
        assert!(jpeg_is_complete(&[whole.as_slice(), &[0, 0, 0]].concat()));
        assert!(!jpeg_is_complete(&whole[..whole.len() - 2]));
    }

    #[test]
    fn kinds_round_trip_through_their_stored_name() {
        for kind in MediaKind::ALL {
            assert_eq!(MediaKind::parse(kind.as_str()), Some(kind));
        }
    }
}
