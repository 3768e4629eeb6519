//! Who is asking. Pages use the session cookie; the JSON API uses bearer tokens only, so a
//! browser's cookies can never drive the API from another site. The result is stored in the
//! request for extractors, and every response to a signed-in person is marked `no-store`.

use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};
use chrono::{DateTime, Utc};
use dateline_auth::tokens::{Scope, hash_token, looks_like_api_token};
use dateline_core::{Role, User};
use dateline_storage::DbConnection;
use dateline_storage::repo::{sessions, tokens, users};

use crate::error::{WebError, WebResult};
use crate::newsroom::Newsroom;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub enum Credential {
    Session {
        id_hash: String,
        csrf_token: String,
        mfa_pending: bool,
        created_at: DateTime<Utc>,
    },
    Token {
        id: i64,
        scope: Scope,
    },
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub user: User,
    pub credential: Credential,
    pub totp_enabled: bool,
    /// The newsroom requires a second factor for this role and none is enrolled yet.
    pub must_enrol_two_factor: bool,
}

impl Identity {
    pub fn role(&self) -> Role {
        self.user.role
    }

    pub fn mfa_pending(&self) -> bool {
        matches!(
            self.credential,
            Credential::Session {
                mfa_pending: true,
                ..
            }
        )
    }

    pub fn csrf_token(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf_token, .. } => csrf_token,
            Credential::Token { .. } => "",
        }
    }

    pub fn session_id_hash(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { id_hash, .. } => Some(id_hash),
            Credential::Token { .. } => None,
        }
    }

    pub fn viewer(&self) -> dateline_core::Viewer {
        dateline_core::Viewer::Staff {
            user_id: self.user.id,
            role: self.user.role,
        }
    }
}

// The access rules judge a signed-in person as they judge a use case's caller.
impl crate::usecases::access::Principal for Identity {
    fn user_id(&self) -> Option<i64> {
        Some(self.user.id)
    }

    fn role(&self) -> Role {
        self.user.role
    }
}

/// The request's identity, if any: `None` for anonymous readers.
pub type MaybeIdentity = Option<Arc<Identity>>;

pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-dateline_session"
    } else {
        "dateline_session"
    }
}

pub fn pre_session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-dateline_pre"
    } else {
        "dateline_pre"
    }
}

/// A cookie with the flags every Dateline cookie carries. `__Host-` cookies must be Secure,
/// have `Path=/` and no `Domain`.
pub fn cookie(name: &'static str, value: String, https: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .finish()
}

pub fn removal(name: &'static str, https: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), https);
    c.make_removal();
    c
}

pub fn session_hash(state: &AppState, cookie_value: &str) -> String {
    state.key.mac_hex("session-id", cookie_value.as_bytes())
}

enum Found {
    Anonymous,
    StaleCookie,
    Signed(Identity),
    BadToken,
}

async fn lookup(state: &AppState, req: &ServiceRequest) -> Result<Found, WebError> {
    if req.path().starts_with("/api/") {
        by_token(state, req).await
    } else {
        by_cookie(state, req).await
    }
}

/// Whether the user has a second factor, and whether the newsroom requires one.
fn two_factor(conn: &mut DbConnection, user_id: i64) -> WebResult<(bool, bool)> {
    let creds = users::credentials(conn, user_id)?;
    Ok((creds.totp_enabled, Newsroom::load(conn)?.require_two_factor))
}

/// The API: a bearer token, or nobody. A malformed or unknown token is refused, never ignored.
async fn by_token(state: &AppState, req: &ServiceRequest) -> Result<Found, WebError> {
    let Some(auth) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(Found::Anonymous);
    };
    let value = auth.to_str().unwrap_or("");
    let Some(token) = value.strip_prefix("Bearer ").map(str::trim) else {
        return Ok(Found::BadToken);
    };
    if !looks_like_api_token(token) {
        return Ok(Found::BadToken);
    }
    let (hash, now) = (hash_token(token), state.clock.now());
    let found = state
        .db(move |conn| -> WebResult<_> {
            let Some((tok, user)) = tokens::authenticate_api_token(conn, &hash, now)? else {
                return Ok(None);
            };
            let (totp_enabled, require) = two_factor(conn, user.id)?;
            Ok(Some((tok, user, totp_enabled, require)))
        })
        .await?;
    Ok(match found {
        Some((tok, user, totp_enabled, require)) => {
            let scope = Scope::parse(&tok.scope).unwrap_or(Scope::Read);
            let must_enrol_two_factor = require && user.role >= Role::Editor && !totp_enabled;
            Found::Signed(Identity {
                user,
                credential: Credential::Token { id: tok.id, scope },
                totp_enabled,
                must_enrol_two_factor,
            })
        }
        None => Found::BadToken,
    })
}

/// Pages: the session cookie, touched at most every `granularity` so reads stay cheap.
async fn by_cookie(state: &AppState, req: &ServiceRequest) -> Result<Found, WebError> {
    let Some(cookie) = req.cookie(session_cookie_name(state.config.is_https())) else {
        return Ok(Found::Anonymous);
    };
    let id_hash = session_hash(state, cookie.value());
    let now = state.clock.now();
    let idle = chrono::Duration::from_std(state.config.session_idle)
        .unwrap_or(chrono::Duration::minutes(30));
    let granularity = (idle / 4).min(chrono::Duration::seconds(60));
    let found = state
        .db(move |conn| -> WebResult<_> {
            let Some((session, user)) = sessions::load_active(conn, &id_hash, now, idle)? else {
                return Ok(None);
            };
            sessions::touch(conn, &session, now, granularity)?;
            let (totp_enabled, require) = two_factor(conn, user.id)?;
            Ok(Some((session, user, totp_enabled, require)))
        })
        .await?;
    Ok(match found {
        Some((s, user, totp_enabled, require)) => {
            let must_enrol_two_factor =
                require && user.role >= Role::Editor && !totp_enabled && !s.mfa_pending;
            Found::Signed(Identity {
                user,
                credential: Credential::Session {
                    id_hash: s.id,
                    csrf_token: s.csrf_token,
                    mfa_pending: s.mfa_pending,
                    created_at: s.created_at,
                },
                totp_enabled,
                must_enrol_two_factor,
            })
        }
        None => Found::StaleCookie,
    })
}

pub async fn identify(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let https = state.config.is_https();
    let is_api = req.path().starts_with("/api/");
    let found = if state.is_ready() {
        lookup(&state, &req).await
    } else {
        Ok(Found::Anonymous)
    };
    let found = match found {
        Ok(f) => f,
        Err(e) => return Ok(req.into_response(e.error_response()).map_into_right_body()),
    };
    let (identity, stale) = match found {
        Found::Anonymous => (None, false),
        Found::StaleCookie => (None, true),
        Found::Signed(i) => (Some(Arc::new(i)), false),
        Found::BadToken => {
            let res = WebError::Unauthorized.error_response();
            return Ok(req.into_response(res).map_into_right_body());
        }
    };
    let signed_in = identity.is_some();
    req.extensions_mut().insert::<MaybeIdentity>(identity);
    let mut res = next.call(req).await?;
    // An anonymous API answer the handler marked as public (it carries validators, so the page
    // cache may keep it) keeps its cache policy; every other API answer is `no-store`.
    let public = res
        .response()
        .extensions()
        .get::<crate::http_cache::Validators>()
        .is_some();
    if signed_in || stale || (is_api && !public) {
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::VARY,
            HeaderValue::from_static("Cookie, Authorization"),
        );
    }
    // Clear a dead cookie, unless the handler just set a fresh one (a new sign-in).
    let name = session_cookie_name(https);
    if stale && !res.response().cookies().any(|c| c.name() == name) {
        let _ = res.response_mut().add_removal_cookie(&removal(name, https));
    }
    Ok(res.map_into_left_body())
}
