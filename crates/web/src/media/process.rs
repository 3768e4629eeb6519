//! Turning an accepted upload into what is stored: the original without its metadata, and the
//! responsive renditions. CPU-heavy; callers run it on the blocking pool under a permit.
//!
//! Images are decoded twice at most: once for the header (the pixel cap is checked before any
//! pixel is decoded) and once in full, under `image::Limits`, so a decompression bomb fails
//! instead of allocating. A file the decoder cannot read in full is refused, which is how a
//! truncated or damaged upload is caught before anything is stored.

use std::io::Cursor;

use dateline_core::media::{
    MAX_PIXELS, MediaKind, MediaRefusal, check_dimensions, jpeg_is_complete, rendition_widths,
    scaled_height,
};
use dateline_storage::repo::media::NewRendition;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use img_parts::{Bytes, ImageEXIF, ImageICC};

/// Lossy WebP quality: visually close to the JPEG renditions at about two thirds of their size.
const WEBP_QUALITY: f32 = 80.0;
const JPEG_QUALITY: u8 = 85;
/// The longest side libwebp encodes.
const WEBP_MAX_SIDE: u32 = 16_383;

/// What is stored for one upload.
#[derive(Debug)]
pub struct Prepared {
    /// The served original: the upload's own bytes with metadata removed, or, when the picture
    /// had to be turned upright, a re-encoding of it.
    pub bytes: Vec<u8>,
    pub dimensions: Option<(u32, u32)>,
    pub renditions: Vec<NewRendition>,
}

/// Prepares a file whose kind was already decided from its bytes (`check_file`).
pub fn prepare(kind: MediaKind, bytes: Vec<u8>) -> Result<Prepared, MediaRefusal> {
    let Some(format) = image_format(kind) else {
        return Ok(Prepared {
            bytes,
            dimensions: None,
            renditions: Vec::new(),
        });
    };
    if kind == MediaKind::Jpeg && !jpeg_is_complete(&bytes) {
        return Err(MediaRefusal::Undecodable);
    }
    // The header alone, without the allocation limit: reading it allocates nothing, and the
    // refusal then names the picture's size instead of a decoder's complaint.
    let mut header = ImageReader::with_format(Cursor::new(bytes.as_slice()), format);
    header.no_limits();
    let (width, height) = header
        .into_dimensions()
        .map_err(|_| MediaRefusal::Undecodable)?;
    check_dimensions(width, height)?;
    let mut decoder = reader(&bytes, format)
        .into_decoder()
        .map_err(|_| MediaRefusal::Undecodable)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| MediaRefusal::Undecodable)?;
    let original = if orientation == Orientation::NoTransforms {
        strip_metadata(kind, bytes)?
    } else {
        // The orientation lives in the EXIF block that is about to go, so the pixels are
        // turned instead; the re-encoded copy carries no metadata.
        picture.apply_orientation(orientation);
        encode(&picture, kind)?
    };
    let (width, height) = (picture.width(), picture.height());
    let renditions = renditions(&picture, kind, &original)?;
    Ok(Prepared {
        bytes: original,
        dimensions: Some((width, height)),
        renditions,
    })
}

fn image_format(kind: MediaKind) -> Option<ImageFormat> {
    match kind {
        MediaKind::Jpeg => Some(ImageFormat::Jpeg),
        MediaKind::Png => Some(ImageFormat::Png),
        MediaKind::Webp => Some(ImageFormat::WebP),
        MediaKind::Gif => Some(ImageFormat::Gif),
        MediaKind::Pdf => None,
    }
}

fn reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut limits = Limits::default();
    // Strict caps on each side, and room for the largest accepted picture at 8 bytes a pixel
    // (16-bit RGBA) plus the decoder's own buffers.
    limits.max_image_width = Some(50_000);
    limits.max_image_height = Some(50_000);
    limits.max_alloc = Some(MAX_PIXELS * 8 + 64 * 1024 * 1024);
    let mut r = ImageReader::with_format(Cursor::new(bytes), format);
    r.limits(limits);
    r
}

/// Removes EXIF (camera, time, GPS position), XMP, IPTC and comments without touching the
/// pixels; the colour profile stays, since colours depend on it.
fn strip_metadata(kind: MediaKind, bytes: Vec<u8>) -> Result<Vec<u8>, MediaRefusal> {
    let bytes = Bytes::from(bytes);
    let out = match kind {
        MediaKind::Jpeg => {
            let mut jpeg =
                img_parts::jpeg::Jpeg::from_bytes(bytes).map_err(|_| MediaRefusal::Undecodable)?;
            let icc = jpeg.icc_profile();
            jpeg.set_exif(None);
            // APP1 holds EXIF and XMP, APP13 IPTC, COM free text. APP2 (the ICC profile), APP0
            // and APP14 stay: they say how to read the colours.
            for marker in [
                img_parts::jpeg::markers::APP1,
                img_parts::jpeg::markers::APP13,
                img_parts::jpeg::markers::COM,
            ] {
                jpeg.remove_segments_by_marker(marker);
            }
            // APP2 also holds the Multi-Picture index of the extra images phones append (each
            // with its own EXIF); those images go below, so their index goes too.
            jpeg.segments_mut().retain(|seg| {
                !(seg.marker() == img_parts::jpeg::markers::APP2
                    && seg.contents().starts_with(b"MPF\0"))
            });
            jpeg.set_icc_profile(icc);
            return Ok(end_at_first_image(jpeg.encoder().bytes().to_vec()));
        }
        MediaKind::Png => {
            let mut png =
                img_parts::png::Png::from_bytes(bytes).map_err(|_| MediaRefusal::Undecodable)?;
            png.set_exif(None);
            for chunk in [*b"tEXt", *b"zTXt", *b"iTXt", *b"tIME", *b"eXIf"] {
                png.remove_chunks_by_type(chunk);
            }
            png.encoder().bytes()
        }
        MediaKind::Webp => {
            let mut webp =
                img_parts::webp::WebP::from_bytes(bytes).map_err(|_| MediaRefusal::Undecodable)?;
            webp.set_exif(None);
            webp.remove_chunks_by_id(*b"XMP ");
            webp.encoder().bytes()
        }
        // GIF has no EXIF block; PDFs are not images.
        MediaKind::Gif | MediaKind::Pdf => bytes,
    };
    Ok(out.to_vec())
}

/// Cuts a JPEG after the end of its first image. Phones append more after it (Multi-Picture
/// previews with their own EXIF, motion-photo videos), any of which can carry the place a
/// photo was taken. Inside the compressed data a 0xFF byte is always followed by 0x00 or a
/// restart marker, so the first `FF D9` after the first scan starts is the image's own end.
fn end_at_first_image(mut jpeg: Vec<u8>) -> Vec<u8> {
    let Some(scan) = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]) else {
        return jpeg;
    };
    if let Some(end) = jpeg[scan..].windows(2).position(|w| w == [0xFF, 0xD9]) {
        jpeg.truncate(scan + end + 2);
    }
    jpeg
}

/// The responsive copies: WebP and the original format at each width. The original format at
/// the picture's own width is the stored original itself. An animated GIF is not resized,
/// since a resized copy would keep only its first frame.
fn renditions(
    picture: &DynamicImage,
    kind: MediaKind,
    original: &[u8],
) -> Result<Vec<NewRendition>, MediaRefusal> {
    let (width, height) = (picture.width(), picture.height());
    let mut out = Vec::new();
    if kind == MediaKind::Gif {
        out.push(NewRendition {
            width,
            height,
            format: kind,
            bytes: original.to_vec(),
        });
        return Ok(out);
    }
    for w in rendition_widths(width) {
        let h = scaled_height(width, height, w);
        let copy = if w == width {
            picture.clone()
        } else {
            picture.resize_exact(w, h, FilterType::Lanczos3)
        };
        // libwebp takes at most 16383 pixels a side; a taller copy (a long screenshot at its own
        // width) is offered in its original format only.
        if w <= WEBP_MAX_SIDE && h <= WEBP_MAX_SIDE {
            out.push(NewRendition {
                width: w,
                height: h,
                format: MediaKind::Webp,
                bytes: encode(&copy, MediaKind::Webp)?,
            });
        }
        if kind != MediaKind::Webp {
            let bytes = if w == width {
                original.to_vec()
            } else {
                encode(&copy, kind)?
            };
            out.push(NewRendition {
                width: w,
                height: h,
                format: kind,
                bytes,
            });
        }
    }
    Ok(out)
}

fn encode(picture: &DynamicImage, kind: MediaKind) -> Result<Vec<u8>, MediaRefusal> {
    let mut out = Vec::new();
    match kind {
        MediaKind::Webp => {
            let rgba = picture.to_rgba8();
            let encoded =
                webp::Encoder::from_rgba(&rgba, rgba.width(), rgba.height()).encode(WEBP_QUALITY);
            out.extend_from_slice(&encoded);
        }
        MediaKind::Jpeg => {
            let rgb = picture.to_rgb8();
            let encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            rgb.write_with_encoder(encoder)
                .map_err(|_| MediaRefusal::Undecodable)?;
        }
        MediaKind::Png | MediaKind::Gif => {
            let format = image_format(kind).unwrap_or(ImageFormat::Png);
            picture
                .write_to(&mut Cursor::new(&mut out), format)
                .map_err(|_| MediaRefusal::Undecodable)?;
        }
        MediaKind::Pdf => return Err(MediaRefusal::UnknownType),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb};

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = ImageBuffer::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
            .unwrap();
        out
    }

    /// A JPEG with an EXIF block that names a GPS position, spliced in after SOI.
    fn with_exif(jpeg: &[u8]) -> Vec<u8> {
        let payload = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 51.5074 N";
        let len = (payload.len() + 2) as u16;
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_photo_gets_webp_and_jpeg_at_each_width_and_loses_its_exif() {
        let upload = with_exif(&jpeg(2000, 1000));
        assert!(contains(&upload, b"GPSLatitude"));
        let p = prepare(MediaKind::Jpeg, upload).unwrap();
        assert_eq!(p.dimensions, Some((2000, 1000)));
        assert!(
            !contains(&p.bytes, b"GPSLatitude"),
            "the original keeps no GPS"
        );
        let got: Vec<(u32, u32, MediaKind)> = p
            .renditions
            .iter()
            .map(|r| (r.width, r.height, r.format))
            .collect();
        assert_eq!(
            got,
            vec![
                (480, 240, MediaKind::Webp),
                (480, 240, MediaKind::Jpeg),
                (960, 480, MediaKind::Webp),
                (960, 480, MediaKind::Jpeg),
                (1600, 800, MediaKind::Webp),
                (1600, 800, MediaKind::Jpeg),
            ]
        );
        for r in &p.renditions {
            assert_eq!(MediaKind::sniff(&r.bytes), Some(r.format));
            assert!(!contains(&r.bytes, b"GPSLatitude"));
            let decoded = image::load_from_memory(&r.bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (r.width, r.height));
        }
    }

    #[test]
    fn a_small_picture_is_not_scaled_up() {
        let p = prepare(MediaKind::Jpeg, jpeg(300, 200)).unwrap();
        let widths: Vec<u32> = p.renditions.iter().map(|r| r.width).collect();
        assert_eq!(widths, vec![300, 300]);
        let same = p
            .renditions
            .iter()
            .find(|r| r.format == MediaKind::Jpeg)
            .unwrap();
        assert_eq!(
            same.bytes, p.bytes,
            "the original serves as its own rendition"
        );
    }

    #[test]
    fn what_phones_append_after_the_image_is_cut_off() {
        let mut upload = jpeg(400, 300);
        // A Multi-Picture preview or a motion photo after the end marker, with its own GPS.
        upload.extend_from_slice(b"\xFF\xD8\xFF\xE1\x00\x20Exif\0\0GPSLatitude 59.3 N");
        upload.extend_from_slice(&[0xFF, 0xD9]);
        let p = prepare(MediaKind::Jpeg, upload).unwrap();
        assert!(!contains(&p.bytes, b"GPSLatitude"));
        assert!(p.bytes.ends_with(&[0xFF, 0xD9]));
        image::load_from_memory(&p.bytes).unwrap();
    }

    #[test]
    fn a_picture_too_tall_for_webp_is_kept_in_its_own_format() {
        let p = prepare(MediaKind::Jpeg, jpeg(200, 17_000)).unwrap();
        let got: Vec<(u32, MediaKind)> = p.renditions.iter().map(|r| (r.width, r.format)).collect();
        assert_eq!(got, vec![(200, MediaKind::Jpeg)]);
    }

    #[test]
    fn a_truncated_jpeg_is_refused() {
        let whole = jpeg(640, 480);
        let cut = &whole[..whole.len() / 2];
        assert_eq!(
            prepare(MediaKind::Jpeg, cut.to_vec()).unwrap_err(),
            MediaRefusal::Undecodable
        );
    }

    #[test]
    fn a_huge_png_is_refused_from_its_header() {
        // A valid PNG header claiming 20000×20000, with almost no pixel data behind it: refused
        // for its size before any decoding is attempted.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&20_000u32.to_be_bytes());
        png.extend_from_slice(&20_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 2, 0, 0, 0]);
        let crc = crc32fast::hash(&png[12..]);
        png.extend_from_slice(&crc.to_be_bytes());
        // The start of the pixel data, which a decoder reaches after the header.
        png.extend_from_slice(&[0, 0, 0, 2]);
        png.extend_from_slice(b"IDAT\x78\x9c");
        let crc = crc32fast::hash(&png[png.len() - 6..]);
        png.extend_from_slice(&crc.to_be_bytes());
        assert_eq!(
            prepare(MediaKind::Png, png).unwrap_err(),
            MediaRefusal::TooManyPixels {
                width: 20_000,
                height: 20_000
            }
        );
    }

    #[test]
    fn a_pdf_passes_through() {
        let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
        let p = prepare(MediaKind::Pdf, pdf.clone()).unwrap();
        assert_eq!((p.bytes, p.dimensions, p.renditions.len()), (pdf, None, 0));
    }
}
