//! Limits on what one client may make the server hold. actix-http already caps a request head
//! (96 headers, 128 KiB) and times out a head that arrives too slowly; these add what it lacks:
//! a tighter budget for the headers' total size, answered with a page that says what was wrong,
//! a deadline on reading the body, which actix does not have, so a client that stops sending
//! half-way through a body gets a 408 instead of holding its connection for ever; and a
//! connection whose body was not read to its end (refused early, or too large) is closed after
//! the answer, where actix would otherwise go on reading and discarding an endless body.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, ResponseError, web};
use futures_util::StreamExt;

use crate::error::WebError;
use crate::state::AppState;

/// The most the names and values of a request's headers may add up to. Browsers send a few
/// kilobytes; large cookies stay well under this.
pub const HEADER_BUDGET: usize = 32 * 1024;

/// Whether a request's headers are over [`HEADER_BUDGET`].
pub fn head_too_large(headers: &header::HeaderMap) -> bool {
    let head: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    head > HEADER_BUDGET
}

/// Whether a request says a body follows. `Content-Length: 0`, which some clients send with
/// every GET, says none does: there is nothing to wait for and nothing to leave unread, so it
/// must not cost the client its connection.
pub fn declares_body(headers: &header::HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|len| len.as_bytes() != b"0")
}

/// However steadily a body arrives, it must have arrived within this long. The largest upload
/// at a modest 1 Mbit/s fits.
pub const BODY_TOTAL: Duration = Duration::from_secs(600);

pub async fn bound(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if head_too_large(req.headers()) {
        let res = WebError::HeadersTooLarge.error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    let has_body = declares_body(req.headers());
    let idle = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.body_idle_timeout);
    let Some(idle) = idle.filter(|_| has_body) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let watch = Rc::new(BodyWatch {
        body: RefCell::new(req.take_payload()),
        finished: Cell::new(false),
        stalled: Cell::new(false),
    });
    req.set_payload(with_deadline(watch.clone(), idle));
    req.extensions_mut().insert(watch.clone());
    let res = next.call(req).await?;
    if !watch.stalled.get() {
        return Ok(res.map_into_left_body());
    }
    // Whatever the reader made of the cut-off body, the client hears why.
    let (req, _) = res.into_parts();
    let res = WebError::RequestTimeout.error_response();
    Ok(ServiceResponse::new(req, res).map_into_right_body())
}

/// Closes the connection after answering a request whose body was left unread (refused before
/// reading, over a limit, or stalled). actix reads and discards the rest of a dropped body to
/// keep the connection, for ever if the body is endless; while the body is still held when the
/// answer ends, it closes the connection instead. So the answer's body holds it. Outside the
/// error pages, which build a new answer.
pub async fn close_unread(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, Holding>>, Error> {
    let res = next.call(req).await?;
    let unread = res
        .request()
        .extensions()
        .get::<Rc<BodyWatch>>()
        .filter(|w| !w.finished.get())
        .cloned();
    let Some(watch) = unread else {
        return Ok(res.map_into_left_body());
    };
    let mut res = res.map_body(|_, body| {
        EitherBody::right(Holding {
            body: body.boxed(),
            _unread: watch,
        })
    });
    res.response_mut()
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    Ok(res)
}

/// An answer's body that keeps the request's unread body alive until it has been sent.
pub struct Holding {
    body: BoxBody,
    _unread: Rc<BodyWatch>,
}

impl MessageBody for Holding {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}

/// A request's body, and what became of it.
pub struct BodyWatch {
    body: RefCell<Payload>,
    /// It was read to its end.
    finished: Cell<bool>,
    /// It stopped arriving and was cut off.
    stalled: Cell<bool>,
}

/// The body as it arrives, cut off with an error when `idle` passes without a chunk or the
/// whole has taken longer than [`BODY_TOTAL`]; `watch` says which way it ended.
fn with_deadline(watch: Rc<BodyWatch>, idle: Duration) -> Payload {
    let started = Instant::now();
    let chunks = futures_util::stream::unfold(Some(watch), move |state| async move {
        let watch = state?;
        let left = BODY_TOTAL.saturating_sub(started.elapsed());
        // Borrowed only while polled, never across an await.
        let next = std::future::poll_fn(|cx| watch.body.borrow_mut().poll_next_unpin(cx));
        match tokio::time::timeout(idle.min(left), next).await {
            Ok(Some(chunk)) => Some((chunk, Some(watch))),
            Ok(None) => {
                watch.finished.set(true);
                None
            }
            Err(_) => {
                watch.stalled.set(true);
                let cut = std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body stopped arriving",
                );
                Some((Err(PayloadError::Io(cut)), None))
            }
        }
    });
    Payload::Stream {
        // Multipart readers may ask again after the end; a fused stream answers "no more".
        payload: Box::pin(chunks.fuse()),
    }
}
