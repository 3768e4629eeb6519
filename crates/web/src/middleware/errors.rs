//! Renders every error response: RFC 9457 problem+json for the API (and clients that ask for
//! JSON), an HTML page for everyone else. Handlers and extractors only return `WebError`; the
//! router's own 404 and 405 come through here too.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, HttpResponseBuilder, web};
use askama::Template;
use dateline_core::FieldError;

use crate::error::{Problem, WebError};
use crate::state::AppState;
use crate::views::Chrome;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    title: String,
    detail: String,
    errors: Vec<FieldError>,
    request_id: String,
    show_search: bool,
}

fn wants_json(req: &ServiceRequest) -> bool {
    if req.path().starts_with("/api/") {
        return true;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    (accept.contains("application/json") || accept.contains("application/problem+json"))
        && !accept.contains("text/html")
}

fn default_problem(status: StatusCode) -> Problem {
    let err = match status {
        StatusCode::NOT_FOUND => WebError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => {
            WebError::BadRequest("This address does not accept that kind of request.".into())
        }
        StatusCode::PAYLOAD_TOO_LARGE => WebError::too_large(),
        s if s.is_server_error() => WebError::internal(format!("unlabelled {s}")),
        _ => WebError::BadRequest("The request could not be understood.".into()),
    };
    let mut p = err.problem();
    p.status = status;
    if status == StatusCode::METHOD_NOT_ALLOWED {
        p.title = "Method not allowed".into();
    }
    p
}

pub async fn render_errors<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let json = wants_json(&req);
    let is_get = matches!(*req.method(), Method::GET | Method::HEAD);
    let target = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{}", req.path(), q),
    };
    let state = req.app_data::<web::Data<AppState>>().cloned();
    // The request must not be cloned before routing (actix needs it unshared), so it is taken
    // back from the response afterwards.
    let res: ServiceResponse<EitherBody<B>> = next.call(req).await?.map_into_left_body();
    let http_req = res.request().clone();
    let status = res.status();
    if status.as_u16() < 400 {
        return Ok(res);
    }
    let attached = res.response().extensions().get::<Problem>().cloned();
    let bare = !res.headers().contains_key(header::CONTENT_TYPE);
    let problem = match attached {
        Some(p) => p,
        None if bare => default_problem(status),
        // The handler rendered its own page (a form shown again with its errors, a 410 notice).
        None => return Ok(res),
    };
    if problem.status == StatusCode::UNAUTHORIZED && !json && is_get {
        let redirect = to_sign_in(&target);
        return Ok(res.into_response(redirect).map_into_right_body());
    }
    let mut builder = HttpResponse::build(problem.status);
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    let request_id = crate::middleware::request_id::of(&http_req);
    let response = if json {
        problem_json(builder, &problem, http_req.path(), request_id)
    } else {
        let newsroom = state
            .as_ref()
            .map(|s| s.newsroom_name())
            .unwrap_or_else(|| "Newsroom".into());
        error_page(builder, &problem, &newsroom, request_id)
    };
    Ok(res.into_response(response).map_into_right_body())
}

/// A person who must sign in to see a page is sent to sign in, and back here afterwards.
fn to_sign_in(target: &str) -> HttpResponse {
    let location = format!(
        "/login?next={}",
        url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// RFC 9457 problem+json, for the API and clients that ask for JSON.
fn problem_json(
    mut builder: HttpResponseBuilder,
    problem: &Problem,
    path: &str,
    request_id: String,
) -> HttpResponse {
    let mut body = serde_json::json!({
        "type": "about:blank",
        "title": problem.title,
        "status": problem.status.as_u16(),
        "detail": problem.detail,
        "instance": path,
        "request_id": request_id,
    });
    if !problem.errors.is_empty() {
        body["errors"] = serde_json::to_value(&problem.errors).unwrap_or_default();
    }
    if let Some(rev) = problem.current_revision {
        body["current_revision"] = rev.into();
    }
    if problem.status == StatusCode::UNAUTHORIZED {
        builder.insert_header((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"dateline\""),
        ));
    }
    builder
        .content_type("application/problem+json")
        .body(body.to_string())
}

/// The HTML error page, or one plain line if even that cannot be rendered.
fn error_page(
    mut builder: HttpResponseBuilder,
    problem: &Problem,
    newsroom: &str,
    request_id: String,
) -> HttpResponse {
    let page = ErrorPage {
        chrome: Chrome::minimal(problem.title.clone(), newsroom),
        status: problem.status.as_u16(),
        title: problem.title.clone(),
        detail: problem.detail.clone(),
        errors: problem.errors.clone(),
        request_id,
        show_search: problem.status == StatusCode::NOT_FOUND,
    };
    match page.render() {
        Ok(html) => builder.content_type("text/html; charset=utf-8").body(html),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            builder
                .content_type("text/plain; charset=utf-8")
                .body(format!("{} {}\n", problem.status.as_u16(), problem.title))
        }
    }
}
