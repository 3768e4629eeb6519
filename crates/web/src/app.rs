//! The application factory, shared by `dateline serve` and the tests, and the HTTP server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, Error, HttpRequest, HttpServer, web};

use crate::error::WebError;
use crate::middleware::{
    authorize, errors, headers, identity, limits, metrics, origin, page_cache, paths, ready,
    request_id,
};
use crate::routes::media_type::Body;
use crate::state::AppState;

/// Request size limits. Release bodies may be long: 200 000 characters of Markdown, and a
/// character outside the Basic Multilingual Plane is twelve bytes as a JSON `\u` escape pair.
/// Everything else is small.
pub const JSON_LIMIT: usize = 4 * 1024 * 1024;
pub const FORM_LIMIT: usize = 64 * 1024;

/// Builds the application: routes, extractor limits and the middleware stack.
pub fn build(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let routes = crate::routes::all();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(
            web::JsonConfig::default()
                .limit(JSON_LIMIT)
                .error_handler(json_error),
        )
        .app_data(
            web::FormConfig::default()
                .limit(FORM_LIMIT)
                .error_handler(form_error),
        )
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(|_, _| WebError::NotFound.into()))
        .app_data(web::PayloadConfig::default().limit(JSON_LIMIT))
        .configure(move |cfg| routes.register(cfg))
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(WebError::NotFound)
        }))
        // Innermost first: the request passes these in the opposite order.
        .wrap(from_fn(origin::same_origin_writes))
        .wrap(from_fn(authorize::authorize))
        .wrap(from_fn(identity::identify))
        .wrap(from_fn(ready::readiness_gate))
        .wrap(from_fn(paths::reject_ambiguous))
        .wrap(from_fn(page_cache::serve_from_cache))
        .wrap(from_fn(limits::bound))
        .wrap(Compress::default())
        .wrap(from_fn(errors::render_errors))
        .wrap(from_fn(limits::close_unread))
        .wrap(from_fn(headers::security_headers))
        .wrap(from_fn(request_id::request_id))
        .wrap(from_fn(metrics::count))
        // Outermost, so the one spelling it settles is what everything after it sees. It must
        // also run before anything holds a clone of the request, which it rewrites in place.
        .wrap(from_fn(paths::normalize))
        // Before all of them: a kept page for a path already in its one spelling is answered
        // here, with what the layers above would have added (see `page_cache::answer_kept`).
        .wrap(from_fn(page_cache::answer_kept))
}

fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> Error {
    use actix_web::error::JsonPayloadError as J;
    let e = match err {
        J::OverflowKnownLength { .. } | J::Overflow { .. } => WebError::too_large(),
        J::ContentType => Body::Json.refused(),
        // Well-formed JSON of the wrong shape (unknown or missing fields, wrong types) is a 422;
        // text that is not JSON at all is a 400.
        J::Deserialize(e) if e.is_data() => WebError::Invalid(
            dateline_core::ValidationErrors::single("body", format!("The JSON does not fit: {e}")),
        ),
        J::Deserialize(e) => WebError::BadRequest(format!("The body is not valid JSON: {e}")),
        other => WebError::BadRequest(format!("The request body could not be read: {other}")),
    };
    e.into()
}

fn form_error(err: actix_web::error::UrlencodedError, _req: &HttpRequest) -> Error {
    use actix_web::error::UrlencodedError as U;
    let e = match err {
        U::Overflow { .. } => WebError::too_large(),
        U::ContentType => Body::Form.refused(),
        other => WebError::BadRequest(format!("The form could not be read: {other}")),
    };
    e.into()
}

fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> Error {
    WebError::BadRequest(format!(
        "The address has a parameter that could not be read: {err}"
    ))
    .into()
}

/// Worker threads for a production server: one per core, at least two.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8)
}

/// Binds the HTTP server to an already-open listener. Timeouts are explicit: slow clients cannot
/// hold connections open, and a shutdown lets in-flight requests finish for up to
/// `shutdown_timeout` (30 seconds unless configured).
pub fn http_server(
    state: AppState,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<Server> {
    // Blocking threads only run database calls, which cannot outnumber pooled connections; more
    // threads would just wait for one, each holding its own stack and allocator arena.
    let blocking = state.pool.max_size().max(2) as usize;
    let shutdown = state.config.shutdown_timeout.as_secs();
    Ok(HttpServer::new(move || build(state.clone()))
        .workers(workers.max(1))
        .worker_max_blocking_threads(blocking)
        .client_request_timeout(Duration::from_secs(5))
        .client_disconnect_timeout(Duration::from_secs(2))
        .keep_alive(Duration::from_secs(15))
        .shutdown_timeout(shutdown)
        .max_connections(10_000)
        .listen(listener)?
        .run())
}
