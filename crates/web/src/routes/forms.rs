//! Form bodies with their CSRF check. Every state-changing form posts a `csrf_token`: the
//! session's synchronizer token when signed in, or an HMAC of the pre-session cookie on the
//! sign-in, setup, invitation and reset pages. Both are compared in constant time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{WebError, WebResult};
use crate::middleware::identity::{Identity, MaybeIdentity, cookie, pre_session_cookie_name};
use crate::routes::media_type::Body;
use crate::state::AppState;

/// A urlencoded form of at most `LIMIT` bytes that passed the CSRF check. Repeated keys
/// (checkboxes) fill `Vec` fields. Most forms are small; the release editor asks for more.
pub struct CsrfForm<T, const LIMIT: usize = { crate::app::FORM_LIMIT }>(pub T);

/// The body of a form that is only a button (delete, revoke, sign out): nothing but its token.
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// A button's form: the CSRF check and nothing else.
pub type CsrfOnly = CsrfForm<NoFields>;

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for CsrfForm<T, LIMIT> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            Body::Form.require(&req)?;
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    WebError::BadRequest(format!("The form could not be read: {e}"))
                })?;
                if body.len() + chunk.len() > LIMIT {
                    return Err(WebError::too_large().into());
                }
                body.extend_from_slice(&chunk);
            }
            let presented = form_urlencoded_value(&body, "csrf_token").unwrap_or_default();
            if !csrf_ok(&req, &presented) {
                return Err(WebError::Csrf.into());
            }
            if let Some(field) = crate::nul::urlencoded_field(&body) {
                return Err(crate::nul::refused(&field).into());
            }
            let value = serde_html_form::from_bytes::<T>(&body)
                .map_err(|e| WebError::BadRequest(format!("The form could not be read: {e}")))?;
            Ok(CsrfForm(value))
        })
    }
}

fn form_urlencoded_value(body: &[u8], key: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Whether `presented` is the CSRF token of this request's session (or pre-session). Forms read
/// through [`CsrfForm`] are checked already; a multipart upload checks its own field here.
pub fn csrf_ok(req: &HttpRequest, presented: &str) -> bool {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return false;
    };
    let identity: Option<Arc<Identity>> =
        req.extensions().get::<MaybeIdentity>().cloned().flatten();
    match identity {
        Some(i) if i.session_id_hash().is_some() => {
            dateline_auth::csrf::check_session(i.csrf_token(), presented)
        }
        Some(_) => false,
        None => {
            let name = pre_session_cookie_name(state.config.is_https());
            let pre = req
                .cookie(name)
                .map(|c| c.value().to_owned())
                .unwrap_or_default();
            dateline_auth::csrf::check_anonymous(&state.key, &pre, presented)
        }
    }
}

/// The CSRF token for a form shown to someone not signed in, and the pre-session cookie to set
/// if they have none yet.
/// Answers with a page holding a form for someone not signed in: it sets the pre-session cookie
/// the form's token is bound to (when it is new) and keeps the page out of every cache, since
/// the token is in it.
pub fn anonymous_form_page<T: askama::Template>(
    status: StatusCode,
    page: &T,
    pre: Option<Cookie<'static>>,
) -> WebResult {
    let mut res = crate::views::render(status, page)?;
    if let Some(c) = pre {
        res.add_cookie(&c).map_err(WebError::internal)?;
    }
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

pub fn anonymous_csrf(req: &HttpRequest, state: &AppState) -> (String, Option<Cookie<'static>>) {
    let https = state.config.is_https();
    let name = pre_session_cookie_name(https);
    match req
        .cookie(name)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() >= 32)
    {
        Some(v) => (dateline_auth::csrf::anonymous_token(&state.key, &v), None),
        None => {
            let v = dateline_auth::tokens::random_token();
            (
                dateline_auth::csrf::anonymous_token(&state.key, &v),
                Some(cookie(name, v, https)),
            )
        }
    }
}

/// The revision an edit form was loaded at. Every edit form carries it, so that a save made
/// after someone else's is a conflict rather than a silent overwrite.
pub fn loaded_revision(revision: Option<i64>) -> WebResult<i64> {
    revision
        .ok_or_else(|| WebError::BadRequest("The form lacks its revision; reload the page.".into()))
}

/// Post/Redirect/Get for a form that changes something: on success, a redirect to `done(value)`;
/// when the input was refused, the form again through `again`, with the text that was sent and
/// what was wrong with it, so nothing typed is lost. Other errors pass through.
pub async fn redirect_or_again<T, Fut>(
    result: WebResult<T>,
    done: impl FnOnce(T) -> String,
    again: impl FnOnce(dateline_core::ValidationErrors) -> Fut,
) -> WebResult
where
    Fut: Future<Output = WebResult>,
{
    match result {
        Ok(value) => Ok(crate::views::see_other(done(value))),
        Err(WebError::Invalid(errors)) => again(errors).await,
        Err(e) => Err(e),
    }
}
