//! `/login` and `/logout`.
//!
//! Unknown accounts and wrong passwords get the same page, status and cookies, after the same
//! amount of argon2 work. Failures are counted per account and per client address in the
//! database (shared by all instances); past a few, each answer is 429 with `Retry-After`, and the
//! lock always expires.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use dateline_auth::password;
use dateline_core::user::normalize_email;
use dateline_storage::repo::audit::{Actor, AuditAction, Entry, Outcome};
use dateline_storage::repo::{sessions, users};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Client, Visitor};
use crate::middleware::identity::{MaybeIdentity, pre_session_cookie_name};
use crate::routes::auth::attempts::{self, Limit, OnSuccess};
use crate::routes::auth::{safe_next, session};
use crate::routes::forms::{CsrfForm, FormLimit, anonymous_csrf};
use crate::state::AppState;
use crate::views::{self, Chrome};

pub use super::attempts::{
    ACCOUNT_POLICY, ADDRESS_POLICY, FORGET_AFTER_MINUTES, account_key, retry_after,
};

/// How failed sign-ins for addresses with no account are labelled in the audit log. What was
/// typed is not kept: it may be a password typed into the wrong field.
pub const UNKNOWN_ACCOUNT_LABEL: &str = "(unknown account)";

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<LoginQuery>,
) -> WebResult {
    if visitor.0.is_some() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, safe_next(q.next.as_deref())))
            .finish());
    }
    let (csrf, pre) = anonymous_csrf(&req, &state);
    let mut chrome = views::chrome(&state, "Sign in", None).await?;
    chrome.noindex = true;
    let page = LoginPage {
        chrome,
        csrf,
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
        notice: views::notice(q.notice.as_deref()),
    };
    let mut res = views::ok(&page)?;
    if let Some(c) = pre {
        res.add_cookie(&c).map_err(WebError::internal)?;
    }
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

impl FormLimit for LoginForm {}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> WebResult {
    let email = normalize_email(&f.email);
    let next = safe_next(f.next.as_deref());
    if email.len() > 254 || f.password.chars().count() > password::MAX_LENGTH {
        return Err(WebError::BadRequest(
            "The email or password is longer than any account allows.".into(),
        ));
    }
    let now = state.clock.now();
    // Counted before any argon2 work, per client network first, so a locked address does not
    // even spend an account's allowance.
    let counted = attempts::count(
        &state,
        vec![
            Limit {
                key: attempts::address_key(&client.ip),
                policy: ADDRESS_POLICY,
                on_success: OnSuccess::Uncount,
            },
            Limit {
                key: account_key(&state.key, &email),
                policy: ACCOUNT_POLICY,
                on_success: OnSuccess::Clear,
            },
        ],
    )
    .await?;

    let lookup = email.clone();
    let creds = state
        .db(move |conn| users::credentials_by_email(conn, &lookup))
        .await?;
    let pw = f.password.clone();
    let stored = creds.as_ref().map(|c| c.password_hash.clone());
    let verified = counted
        .hash(&state, move || match stored {
            Some(hash) => password::verify(&pw, &hash).ok(),
            None => {
                password::dummy_verify(&pw);
                None
            }
        })
        .await?;

    let lock = counted.lock_if_failed();
    let Some(creds) = creds else {
        let actor = client.anonymous_actor(UNKNOWN_ACCOUNT_LABEL);
        return fail(
            &req,
            &state,
            actor,
            &email,
            &next,
            lock,
            now,
            "unknown account",
        )
        .await;
    };
    let Some(v) = verified.filter(|v| v.ok) else {
        let actor = client.anonymous_actor(&creds.user.email);
        return fail(
            &req,
            &state,
            actor,
            &email,
            &next,
            lock,
            now,
            "wrong password",
        )
        .await;
    };
    // The right password: the attempt does not count, even for a disabled account.
    counted.succeeded(&state).await?;
    if creds.user.disabled {
        let actor = Actor {
            user_id: Some(creds.user.id),
            ..client.anonymous_actor(&email)
        };
        record(
            &state,
            actor,
            AuditAction::LoginFailed,
            creds.user.id.to_string(),
            Outcome::Denied,
            "account disabled".into(),
            now,
        )
        .await;
        return Err(WebError::Forbidden(
            "This account is disabled. Ask a newsroom administrator to enable it.".into(),
        ));
    }

    // A correct password: forget the account's failures, upgrade an old hash, start a session.
    if v.needs_rehash {
        let (pw, id, old) = (
            f.password.clone(),
            creds.user.id,
            creds.password_hash.clone(),
        );
        if let Ok(Ok(new_hash)) = state.hashing(move || password::hash(&pw)).await {
            let _ = state
                .db(move |conn| users::upgrade_password_hash(conn, id, &old, &new_hash))
                .await;
        }
    }
    let previous = req
        .extensions()
        .get::<MaybeIdentity>()
        .cloned()
        .flatten()
        .and_then(|i| i.session_id_hash().map(str::to_owned));
    let pending = creds.totp_enabled;
    let cookie = session::start(&state, &creds.user, pending, &client, previous).await?;
    let actor = Actor {
        user_id: Some(creds.user.id),
        label: creds.user.email.clone(),
        ..client.actor(None)
    };
    let detail = if pending {
        "password accepted; second factor required"
    } else {
        "signed in"
    };
    record(
        &state,
        actor,
        if pending {
            AuditAction::LoginPasswordOk
        } else {
            AuditAction::LoginOk
        },
        creds.user.id.to_string(),
        Outcome::Ok,
        detail.into(),
        now,
    )
    .await;
    let to = if pending {
        format!(
            "/login/two-factor?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        )
    } else {
        next
    };
    let https = state.config.is_https();
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish();
    res.add_cookie(&cookie).map_err(WebError::internal)?;
    res.add_removal_cookie(&crate::middleware::identity::removal(
        pre_session_cookie_name(https),
        https,
    ))
    .map_err(WebError::internal)?;
    Ok(res)
}

/// The failure is already counted (before the check); this records it and answers.
#[allow(clippy::too_many_arguments)]
async fn fail(
    req: &HttpRequest,
    state: &AppState,
    actor: Actor,
    email: &str,
    next: &str,
    lock: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    why: &'static str,
) -> WebResult {
    record(
        state,
        actor.clone(),
        AuditAction::LoginFailed,
        String::new(),
        Outcome::Failed,
        why.into(),
        now,
    )
    .await;
    if let Some(until) = lock {
        record(
            state,
            actor,
            AuditAction::Lockout,
            String::new(),
            Outcome::Denied,
            format!("locked until {}", until.to_rfc3339()),
            now,
        )
        .await;
    }
    // The same page for every failure: nothing says whether the account exists.
    let (csrf, pre) = anonymous_csrf(req, state);
    let mut chrome = views::chrome(state, "Sign in", None).await?;
    chrome.noindex = true;
    let page = LoginPage {
        chrome,
        csrf,
        email: email.to_owned(),
        next: next.to_owned(),
        error: Some("The email or password is not right. Check both and try again.".into()),
        notice: None,
    };
    let mut res = views::render(StatusCode::UNAUTHORIZED, &page)?;
    if let Some(c) = pre {
        res.add_cookie(&c).map_err(WebError::internal)?;
    }
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

pub async fn record(
    state: &AppState,
    actor: Actor,
    action: AuditAction,
    object_id: String,
    outcome: Outcome,
    detail: String,
    now: DateTime<Utc>,
) {
    let result = state
        .db(move |conn| -> WebResult<_> {
            Entry::new(&actor, action, "user", object_id, now)
                .detail(detail)
                .outcome(outcome)
                .record(conn)?;
            Ok(())
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, action = action.as_str(), "could not write an audit row");
    }
}

#[derive(Template)]
#[template(path = "auth/logout.html")]
struct LogoutPage {
    chrome: Chrome,
}

/// `GET /logout`: signing out changes state, so it is a button to press (a link or a prefetch
/// must not end a session); someone already signed out goes to the sign-in page.
pub async fn logout_page(
    state: web::Data<AppState>,
    session: Option<crate::extract::AnySession>,
) -> WebResult {
    let Some(session) = session else {
        return Ok(views::see_other("/login".to_owned()));
    };
    let identity = &session.0;
    // Half signed in (second factor owed): no name or menu, as on every other page, but the
    // button still works.
    let mut chrome = if identity.mfa_pending() {
        let mut c = views::chrome(&state, "Sign out", None).await?;
        c.csrf = identity.csrf_token().to_owned();
        c
    } else {
        views::chrome(&state, "Sign out", Some(identity)).await?
    };
    chrome.noindex = true;
    views::ok(&LogoutPage { chrome })
}

#[derive(Deserialize)]
pub struct Empty {}

impl FormLimit for Empty {}

pub async fn logout(
    state: web::Data<AppState>,
    session: crate::extract::AnySession,
    client: Client,
    _form: CsrfForm<Empty>,
) -> WebResult {
    let staff = session.0;
    if let Some(id) = staff.session_id_hash().map(str::to_owned) {
        state.db(move |conn| sessions::delete(conn, &id)).await?;
    }
    let now = state.clock.now();
    record(
        &state,
        client.actor(Some(&staff)),
        AuditAction::Logout,
        staff.user.id.to_string(),
        Outcome::Ok,
        String::new(),
        now,
    )
    .await;
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login?notice=signed-out"))
        // Ask the browser to drop cached copies of signed-in pages, so Back shows nothing private.
        .insert_header(("Clear-Site-Data", "\"cache\""))
        .finish();
    res.add_removal_cookie(&session::clear_cookie(&state))
        .map_err(WebError::internal)?;
    Ok(res)
}
