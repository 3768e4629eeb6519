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
use dateline_storage::repo::users::UserCredentials;
use dateline_storage::repo::{sessions, users};
use serde::Deserialize;

use crate::audit;
use crate::error::{WebError, WebResult};
use crate::extract::{Client, State, Visitor};
use crate::middleware::identity::{MaybeIdentity, pre_session_cookie_name};
use crate::routes::auth::attempts::{self, Checked, Limit};
use crate::routes::auth::{safe_next, session};
use crate::routes::forms::{CsrfForm, CsrfOnly, anonymous_csrf, anonymous_form_page};
use crate::state::AppState;
use crate::views::{self, Chrome};

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
    state: State,
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
    anonymous_form_page(StatusCode::OK, &page, pre)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn submit(
    req: HttpRequest,
    state: State,
    client: Client,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> WebResult {
    let typed = Typed {
        email: normalize_email(&f.email),
        next: safe_next(f.next.as_deref()),
    };
    refuse_oversized(&typed.email, &f.password)?;
    let lookup = typed.email.clone();
    let creds = state
        .db(move |conn| users::credentials_by_email(conn, &lookup))
        .await?;
    let checked = check_password(&state, &client, &typed.email, &f.password, &creds).await?;
    let (creds, verified) = match (creds, checked) {
        (Some(creds), Checked::Passed(v)) => (creds, v),
        (Some(creds), Checked::Failed { lock }) => {
            let actor = client.anonymous_actor(&creds.user.email);
            return fail(&req, &state, &typed, actor, lock, "wrong password").await;
        }
        (None, checked) => {
            let actor = client.anonymous_actor(UNKNOWN_ACCOUNT_LABEL);
            let lock = match checked {
                Checked::Failed { lock } => lock,
                Checked::Passed(_) => None,
            };
            return fail(&req, &state, &typed, actor, lock, "unknown account").await;
        }
    };
    // The right password: the attempt no longer counts, even for a disabled account.
    if creds.user.disabled {
        return refuse_disabled(&state, &client, &typed.email, &creds).await;
    }
    if verified.needs_rehash {
        upgrade_hash(&state, &f.password, &creds).await;
    }
    let previous = req
        .extensions()
        .get::<MaybeIdentity>()
        .cloned()
        .flatten()
        .and_then(|i| i.session_id_hash().map(str::to_owned));
    start_session(&state, &client, &creds, typed.next, previous).await
}

/// What the person typed that the answer shows again.
struct Typed {
    email: String,
    next: String,
}

fn refuse_oversized(email: &str, password: &str) -> WebResult<()> {
    if email.len() > 254 || password.chars().count() > password::MAX_LENGTH {
        return Err(WebError::BadRequest(
            "The email or password is longer than any account allows.".into(),
        ));
    }
    Ok(())
}

/// Checks the password under both limits, per client network first so a locked address does
/// not even spend an account's allowance. An unknown account costs the same argon2 work.
async fn check_password(
    state: &AppState,
    client: &Client,
    email: &str,
    typed: &str,
    creds: &Option<UserCredentials>,
) -> WebResult<Checked<password::Verified>> {
    let limits = vec![
        Limit::address(&client.ip),
        Limit::account(&state.key, email),
    ];
    let pw = typed.to_owned();
    let stored = creds.as_ref().map(|c| c.password_hash.clone());
    attempts::check_hashed(state, limits, move || match stored {
        Some(hash) => password::verify(&pw, &hash).ok().filter(|v| v.ok),
        None => {
            password::dummy_verify(&pw);
            None
        }
    })
    .await
}

async fn refuse_disabled(
    state: &AppState,
    client: &Client,
    email: &str,
    creds: &UserCredentials,
) -> WebResult {
    let id = creds.user.id;
    let actor = Actor {
        user_id: Some(id),
        ..client.anonymous_actor(email)
    };
    let now = state.clock.now();
    audit::record_apart(state, actor, move |a| {
        Entry::new(a, AuditAction::LoginFailed, "user", id, now)
            .outcome(Outcome::Denied)
            .detail("account disabled")
    })
    .await;
    Err(WebError::Forbidden(
        "This account is disabled. Ask a newsroom administrator to enable it.".into(),
    ))
}

/// Stores a hash with today's parameters in place of an older one. Best effort: the person is
/// signed in either way, and the next sign-in tries again.
async fn upgrade_hash(state: &AppState, typed: &str, creds: &UserCredentials) {
    let (pw, id, old) = (typed.to_owned(), creds.user.id, creds.password_hash.clone());
    if let Ok(Ok(new_hash)) = state.hashing(move || password::hash(&pw)).await {
        let _ = state
            .db(move |conn| users::upgrade_password_hash(conn, id, &old, &new_hash))
            .await;
    }
}

/// A new session replacing `previous`: a full one, or a half one that still owes the second
/// factor and is sent to ask for it.
async fn start_session(
    state: &AppState,
    client: &Client,
    creds: &UserCredentials,
    next: String,
    previous: Option<String>,
) -> WebResult {
    let pending = creds.totp_enabled;
    let cookie = session::start(state, &creds.user, pending, client, previous).await?;
    let (id, now) = (creds.user.id, state.clock.now());
    let actor = Actor {
        user_id: Some(id),
        label: creds.user.email.clone(),
        ..client.actor(None)
    };
    let (action, detail, to) = if pending {
        let next = url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
        (
            AuditAction::LoginPasswordOk,
            "password accepted; second factor required",
            format!("/login/two-factor?next={next}"),
        )
    } else {
        (AuditAction::LoginOk, "signed in", next)
    };
    audit::record_apart(state, actor, move |a| {
        Entry::new(a, action, "user", id, now).detail(detail)
    })
    .await;
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
async fn fail(
    req: &HttpRequest,
    state: &AppState,
    typed: &Typed,
    actor: Actor,
    lock: Option<DateTime<Utc>>,
    why: &'static str,
) -> WebResult {
    let now = state.clock.now();
    audit::record_apart(state, actor.clone(), move |a| {
        Entry::new(a, AuditAction::LoginFailed, "user", "", now)
            .outcome(Outcome::Failed)
            .detail(why)
    })
    .await;
    if let Some(until) = lock {
        audit::record_apart(state, actor, move |a| {
            Entry::new(a, AuditAction::Lockout, "user", "", now)
                .outcome(Outcome::Denied)
                .detail(format!("locked until {}", until.to_rfc3339()))
        })
        .await;
    }
    // The same page for every failure: nothing says whether the account exists.
    let (csrf, pre) = anonymous_csrf(req, state);
    let mut chrome = views::chrome(state, "Sign in", None).await?;
    chrome.noindex = true;
    let page = LoginPage {
        chrome,
        csrf,
        email: typed.email.clone(),
        next: typed.next.clone(),
        error: Some("The email or password is not right. Check both and try again.".into()),
        notice: None,
    };
    anonymous_form_page(StatusCode::UNAUTHORIZED, &page, pre)
}

#[derive(Template)]
#[template(path = "auth/logout.html")]
struct LogoutPage {
    chrome: Chrome,
}

/// `GET /logout`: signing out changes state, so it is a button to press (a link or a prefetch
/// must not end a session); someone already signed out goes to the sign-in page.
pub async fn logout_page(state: State, session: Option<crate::extract::AnySession>) -> WebResult {
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

pub async fn logout(
    state: State,
    session: crate::extract::AnySession,
    client: Client,
    _: CsrfOnly,
) -> WebResult {
    let staff = session.0;
    if let Some(id) = staff.session_id_hash().map(str::to_owned) {
        state.db(move |conn| sessions::delete(conn, &id)).await?;
    }
    let (id, now) = (staff.user.id, state.clock.now());
    audit::record_apart(&state, client.actor(Some(&staff)), move |a| {
        Entry::new(a, AuditAction::Logout, "user", id, now)
    })
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
