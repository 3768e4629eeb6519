//! Reading a multipart upload within limits, while it streams: an oversized or endless body is
//! answered with 413 as soon as it passes the limit, never buffered whole. The API and the
//! newsroom's upload forms both read uploads here and hand the result to `usecases::media`.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, web};
use dateline_core::media::{MAX_BYTES, MediaRefusal};
use futures_util::StreamExt;

use crate::error::{WebError, WebResult};
use crate::routes::media_type::Body;
use crate::usecases::media::{Upload, refused};

/// Room for the text fields and the multipart framing beside the file.
const FRAMING: usize = 64 * 1024;
/// The longest text field (a caption is at most 1000 characters, up to 4 bytes each).
const TEXT_LIMIT: usize = 8 * 1024;
const MAX_FIELDS: usize = 16;

/// An upload, with the form's CSRF token when the newsroom's form sent one.
pub struct Received {
    pub upload: Upload,
    pub csrf_token: Option<String>,
}

pub async fn read(req: &HttpRequest, payload: web::Payload) -> WebResult<Received> {
    Body::Multipart.require(req)?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BYTES + FRAMING) {
        return Err(refused(MediaRefusal::TooLarge));
    }
    let mut parts = Multipart::new(req.headers(), payload);
    let mut got = Received {
        upload: Upload::default(),
        csrf_token: None,
    };
    let mut fields = 0;
    let mut file_seen = false;
    while let Some(field) = parts.next().await {
        let mut field = field.map_err(unreadable)?;
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(WebError::BadRequest(
                "The upload has too many fields.".into(),
            ));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if file_seen {
                return Err(WebError::invalid("file", "Send one file per upload."));
            }
            file_seen = true;
            got.upload.file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or_default()
                .to_owned();
            got.upload.bytes =
                collect(&mut field, MAX_BYTES, || refused(MediaRefusal::TooLarge)).await?;
            continue;
        }
        let too_long = || WebError::invalid(&name, "This field is too long.");
        let bytes = collect(&mut field, TEXT_LIMIT, too_long).await?;
        let text = String::from_utf8(bytes)
            .map_err(|_| WebError::invalid(&name, "This field is not valid UTF-8 text."))?;
        if text.contains('\0') {
            return Err(WebError::invalid(
                &name,
                "This field contains a NUL character.",
            ));
        }
        let u = &mut got.upload;
        match name.as_str() {
            "alt" => u.text.alt = text,
            "caption" => u.text.caption = text,
            "credit" => u.text.credit = text,
            "release" => u.release = Some(text),
            "organization" => u.organization = Some(text),
            "csrf_token" => got.csrf_token = Some(text),
            _ => {
                return Err(WebError::BadRequest(format!(
                    "Unknown field {name:?}: send file, alt, caption, credit and optionally release or organization."
                )));
            }
        }
    }
    if !file_seen {
        return Err(WebError::invalid("file", "Choose a file to upload."));
    }
    Ok(got)
}

/// Reads an upload sent by one of the newsroom's forms, which must carry the session's CSRF
/// token as a field. The token is checked before any picture is processed.
pub async fn read_form(req: &HttpRequest, payload: web::Payload) -> WebResult<Upload> {
    let received = read(req, payload).await?;
    if !crate::routes::forms::csrf_ok(req, received.csrf_token.as_deref().unwrap_or_default()) {
        return Err(WebError::Csrf);
    }
    Ok(received.upload)
}

/// Reads one field, stopping with `over()` as soon as it passes `limit` bytes.
async fn collect(
    field: &mut actix_multipart::Field,
    limit: usize,
    over: impl Fn() -> WebError,
) -> WebResult<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if out.len() + chunk.len() > limit {
            return Err(over());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn unreadable(e: actix_multipart::MultipartError) -> WebError {
    WebError::BadRequest(format!("The upload could not be read: {e}."))
}
