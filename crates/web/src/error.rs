//! The one error type for the web layer, and its mapping to HTTP. Handlers return `WebError`;
//! `ResponseError` picks the status and attaches a [`Problem`]; the `errors` middleware then
//! renders it as an HTML page or as RFC 9457 problem+json, depending on who asked.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use dateline_core::workflow::Refusal;
use dateline_core::{DomainError, ValidationErrors};
use dateline_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// A query parameter a reader can fix (an unknown filter slug, a bad date, a page out of
    /// range): a 400 that names the parameter, unlike a 422 for a body that failed validation.
    #[error("{0}")]
    BadQuery(ValidationErrors),
    #[error("{message}")]
    Conflict {
        message: String,
        current_revision: Option<i64>,
    },
    #[error("sign in required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("the form expired or came from another site")]
    Csrf,
    #[error("too many attempts")]
    TooManyRequests { retry_after: u64 },
    #[error("{message}")]
    PreconditionFailed {
        message: String,
        current_revision: Option<i64>,
    },
    #[error("this request needs an If-Match header")]
    PreconditionRequired,
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is over a limit; says which, in the reader's words.
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{reason}")]
    Unavailable { retry_after: u64, reason: String },
    /// The client stopped sending its body part-way (`middleware::limits`).
    #[error("the request body stopped arriving")]
    RequestTimeout,
    #[error("the request's headers are too large")]
    HeadersTooLarge,
    /// One stored revision cannot be read back (see `StorageError::DamagedRevision`): a 500
    /// that says which, logged like an internal error. The release's other revisions still load.
    #[error("revision {revision} of release {release_id} is damaged: {reason}")]
    DamagedRevision {
        release_id: i64,
        revision: i64,
        reason: String,
    },
    /// Our fault. The cause is kept as the error's source, so the log line carries the whole
    /// chain while the response says only "something went wrong".
    #[error("internal error")]
    Internal(#[source] BoxError),
}

/// Any cause of an internal error, with its own chain of sources.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An internal error that wraps its cause under a short note of what was being done.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
struct Context {
    context: &'static str,
    #[source]
    source: BoxError,
}

/// What the error renderer needs, attached to the response.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub title: String,
    pub detail: String,
    pub errors: Vec<dateline_core::FieldError>,
    pub current_revision: Option<i64>,
    pub retry_after: Option<u64>,
}

impl WebError {
    /// An internal error caused by `e` (an error, or a message where there is none).
    pub fn internal(e: impl Into<BoxError>) -> Self {
        WebError::Internal(e.into())
    }

    /// An internal error caused by `e`, noting what was being done when it happened.
    pub fn internal_in(context: &'static str, e: impl Into<BoxError>) -> Self {
        WebError::Internal(Box::new(Context {
            context,
            source: e.into(),
        }))
    }

    /// The general 413, for bodies over the size a form or JSON request may have.
    pub fn too_large() -> Self {
        WebError::PayloadTooLarge("The request is larger than this page accepts.".into())
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        WebError::Invalid(ValidationErrors::single(field, message))
    }

    pub fn bad_query(parameter: &str, message: impl Into<String>) -> Self {
        WebError::BadQuery(ValidationErrors::single(parameter, message))
    }

    pub fn problem(&self) -> Problem {
        let (status, title, detail) = match self {
            WebError::NotFound => (StatusCode::NOT_FOUND, "Page not found", "There is nothing at this address. It may have moved, or the link may be wrong.".to_string()),
            WebError::Gone(m) => (StatusCode::GONE, "Gone", m.clone()),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m.clone()),
            WebError::Invalid(e) => (StatusCode::UNPROCESSABLE_ENTITY, "Some fields need attention", e.to_string()),
            WebError::BadQuery(e) => (StatusCode::BAD_REQUEST, "Check the address", e.to_string()),
            WebError::Conflict { message, .. } => (StatusCode::CONFLICT, "Conflict", message.clone()),
            WebError::Unauthorized => (StatusCode::UNAUTHORIZED, "Sign in required", "Sign in to see this page; the API needs a valid token.".to_string()),
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m.clone()),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form expired or was sent from another site. Go back, reload the page and try again; what you typed is still in the form.".to_string(),
            ),
            WebError::TooManyRequests { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                format!("Too many attempts. Wait {} and try again.", human_seconds(*retry_after)),
            ),
            WebError::PreconditionFailed { message, .. } => (StatusCode::PRECONDITION_FAILED, "Precondition failed", message.clone()),
            WebError::PreconditionRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                "If-Match required",
                "Send the revision you edited as If-Match: \"<revision>\" so a concurrent change is never overwritten.".to_string(),
            ),
            WebError::UnsupportedMediaType(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type", m.clone()),
            WebError::PayloadTooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "Too large", m.clone()),
            WebError::Unavailable { reason, .. } => (StatusCode::SERVICE_UNAVAILABLE, "Temporarily unavailable", reason.clone()),
            WebError::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "Request timed out",
                "The request's body stopped arriving before it was complete, so nothing was saved. Check the connection and send it again.".to_string(),
            ),
            WebError::HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request headers too large",
                "The request's headers are larger than this server accepts (32 KiB in all). Clearing this site's cookies usually fixes it.".to_string(),
            ),
            WebError::DamagedRevision { revision, .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Damaged revision",
                format!("Revision {revision} of this release is damaged in the database and cannot be shown. The release's other revisions are not affected; the damage has been logged for the administrator."),
            ),
            WebError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Something went wrong on our side. It has been logged; try again in a moment.".to_string(),
            ),
        };
        Problem {
            status,
            title: title.to_string(),
            detail,
            errors: match self {
                WebError::Invalid(e) | WebError::BadQuery(e) => e.errors.clone(),
                _ => Vec::new(),
            },
            current_revision: match self {
                WebError::Conflict {
                    current_revision, ..
                }
                | WebError::PreconditionFailed {
                    current_revision, ..
                } => *current_revision,
                _ => None,
            },
            retry_after: match self {
                WebError::TooManyRequests { retry_after }
                | WebError::Unavailable { retry_after, .. } => Some(*retry_after),
                _ => None,
            },
        }
    }
}

pub fn human_seconds(s: u64) -> String {
    match s {
        0..=1 => "a second".into(),
        2..=59 => format!("{s} seconds"),
        60..=119 => "a minute".into(),
        _ => format!("{} minutes", s.div_ceil(60)),
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        self.problem().status
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.problem();
        match self {
            WebError::Internal(cause) => {
                tracing::error!(error = %chain(cause.as_ref()), "request failed");
            }
            WebError::DamagedRevision { .. } => tracing::error!(error = %self, "request failed"),
            _ => {}
        }
        let mut res = HttpResponse::build(problem.status);
        if let Some(s) = problem.retry_after {
            res.insert_header(("Retry-After", s.to_string()));
        }
        let mut res = res.finish();
        res.extensions_mut().insert(problem);
        res
    }
}

impl From<StorageError> for WebError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => WebError::NotFound,
            StorageError::Conflict { current } => WebError::Conflict {
                message: format!(
                    "Someone else saved a newer version (revision {current}) while you were working. Nothing was overwritten."
                ),
                current_revision: Some(current),
            },
            StorageError::Duplicate { field, value } => {
                WebError::invalid(field, format!("{value:?} is already taken."))
            }
            StorageError::Invalid(v) => WebError::Invalid(v),
            StorageError::InUse(what) => WebError::Conflict {
                message: format!("{what} is still in use, so it cannot be deleted."),
                current_revision: None,
            },
            StorageError::Domain(refusal) => refusal.into(),
            StorageError::DamagedRevision {
                release_id,
                revision,
                reason,
            } => WebError::DamagedRevision {
                release_id,
                revision,
                reason,
            },
            other if other.is_out_of_service() => {
                tracing::warn!(reason = %other, "database unavailable");
                WebError::Unavailable { retry_after: 5, reason: "The newsroom database cannot be used right now. Try again in a few seconds.".into() }
            }
            other if other.is_not_found() => WebError::NotFound,
            other => WebError::internal(other),
        }
    }
}

/// A refusal about one field is shown beside that field; one about the whole release or account
/// is a conflict with its current state.
impl From<DomainError> for WebError {
    fn from(e: DomainError) -> Self {
        if let Some(field) = e.field() {
            return WebError::invalid(field, e.to_string());
        }
        let message = match e {
            DomainError::Workflow(Refusal::NoSuchRevision(_)) => return WebError::NotFound,
            DomainError::Workflow(Refusal::Transition(t)) => capitalize(&t.to_string()) + ".",
            other => other.to_string(),
        };
        WebError::Conflict {
            message,
            current_revision: None,
        }
    }
}

/// A refused account or token change. The address and duplicate cases become field messages
/// so the form that asked can show them beside the field.
impl From<crate::usecases::users::AccountError> for WebError {
    fn from(e: crate::usecases::users::AccountError) -> Self {
        use crate::usecases::users::AccountError;
        match e {
            AccountError::Invalid(v) => WebError::Invalid(v),
            AccountError::Taken(_) => {
                WebError::invalid("email", "An account with this email already exists.")
            }
            AccountError::Disabled(_) | AccountError::Forbidden => {
                WebError::Forbidden(e.to_string())
            }
            AccountError::LinkGone => WebError::NotFound,
            AccountError::Storage(s) => s.into(),
            AccountError::Hashing(h) => h.into(),
            AccountError::Web(w) => w,
        }
    }
}

impl From<dateline_storage::DieselError> for WebError {
    fn from(e: dateline_storage::DieselError) -> Self {
        StorageError::from(e).into()
    }
}

impl From<dateline_auth::AuthError> for WebError {
    fn from(e: dateline_auth::AuthError) -> Self {
        WebError::internal(e)
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::internal_in("template", e)
    }
}

/// An error and each of its sources, outermost first: "a: b: c". A source whose text its
/// wrapper already ends with (thiserror's "database error: {0}") is not repeated.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub type WebResult<T = HttpResponse> = Result<T, WebError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_whole_chain_for_the_log() {
        let io = std::io::Error::other("disk full");
        let e = WebError::internal_in("template", io);
        let source = std::error::Error::source(&e).unwrap();
        assert_eq!(chain(source), "template: disk full");
        assert_eq!(chain(&e), "internal error: template: disk full");
        // The reader sees nothing of the cause.
        let p = e.problem();
        assert_eq!(p.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!p.detail.contains("disk"), "{}", p.detail);
    }

    #[test]
    fn a_storage_error_is_not_flattened_to_text() {
        let e = WebError::from(StorageError::Corrupt("bad row".into()));
        let source = std::error::Error::source(&e).unwrap();
        assert!(source.downcast_ref::<StorageError>().is_some());
    }
}
