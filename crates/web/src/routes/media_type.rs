//! The media type a request body declares. Form posts and the JSON API each accept one type and
//! answer any other with 415, naming the type to send.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::error::{WebError, WebResult};

/// The two kinds of body Dateline reads.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// An HTML form post.
    Form,
    /// A JSON API request.
    Json,
    /// A file upload.
    Multipart,
}

impl Body {
    fn media_type(self) -> &'static str {
        match self {
            Body::Form => "application/x-www-form-urlencoded",
            Body::Json => "application/json",
            Body::Multipart => "multipart/form-data",
        }
    }

    /// The 415 for a body of another type, saying what to send instead.
    pub fn refused(self) -> WebError {
        WebError::UnsupportedMediaType(
            match self {
                Body::Form => "Send the form as application/x-www-form-urlencoded.",
                Body::Json => "Send JSON with Content-Type: application/json.",
                Body::Multipart => "Send the file as multipart/form-data, in a field named file.",
            }
            .into(),
        )
    }

    /// Accepts the request when its `Content-Type` is this kind's (parameters such as
    /// `charset` may follow).
    pub fn require(self, req: &HttpRequest) -> WebResult<()> {
        let declared = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if declared.starts_with(self.media_type()) {
            Ok(())
        } else {
            Err(self.refused())
        }
    }
}
