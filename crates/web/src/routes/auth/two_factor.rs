//! The second sign-in step: a TOTP code (each time step accepted once) or a recovery code (each
//! usable once). Attempts are throttled per account. Success replaces the half-signed-in session
//! with a new one.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use dateline_auth::{SecretKey, tokens::hash_token, totp};
use dateline_storage::DbConnection;
use dateline_storage::repo::audit::{AuditAction, Entry, Outcome};
use dateline_storage::repo::{tokens, users};
use serde::Deserialize;

use crate::audit;
use crate::error::{WebError, WebResult};
use crate::extract::{Client, PendingSecondFactor, State};
use crate::middleware::identity::Identity;
use crate::routes::auth::attempts::{self, Checked, Limit};
use crate::routes::auth::{safe_next, session};
use crate::routes::forms::CsrfForm;
use crate::state::AppState;
use crate::totp_secrets;
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "auth/two_factor.html")]
struct SecondFactorPage {
    chrome: Chrome,
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(
    state: State,
    pending: PendingSecondFactor,
    q: web::Query<NextQuery>,
) -> WebResult {
    let mut chrome = views::chrome(&state, "Two-factor sign-in", None).await?;
    chrome.noindex = true;
    let page = SecondFactorPage {
        chrome,
        csrf: pending.0.csrf_token().to_owned(),
        email: pending.0.user.email.clone(),
        next: safe_next(q.next.as_deref()),
        error: None,
    };
    views::ok(&page)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    next: Option<String>,
}

pub async fn submit(
    state: State,
    pending: PendingSecondFactor,
    client: Client,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> WebResult {
    let identity = pending.0;
    let user_id = identity.user.id;
    let now = state.clock.now();
    // Counted before the code is looked at: concurrent guesses cannot outrun the allowance.
    let (key, code) = (state.key.clone(), f.code.trim().to_owned());
    let checked = attempts::check_in_db(&state, vec![Limit::second_factor(user_id)], move |conn| {
        accepted_code(conn, &key, user_id, &code, now)
    })
    .await?;
    let actor = client.actor(Some(&identity));
    let Checked::Passed(method) = checked else {
        // The failure was counted before the check; its lock, if any, is in place.
        audit::record_apart(&state, actor, move |a| {
            Entry::new(a, AuditAction::TwoFactorFailed, "user", user_id, now)
                .outcome(Outcome::Failed)
        })
        .await;
        return wrong_code(&state, &identity, f.next.as_deref()).await;
    };
    let cookie = session::start(
        &state,
        &identity.user,
        false,
        &client,
        identity.session_id_hash().map(str::to_owned),
    )
    .await?;
    audit::record_apart(&state, actor, move |a| {
        Entry::new(a, AuditAction::LoginOk, "user", user_id, now)
            .detail(format!("second factor: {method}"))
    })
    .await;
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, safe_next(f.next.as_deref())))
        .finish();
    res.add_cookie(&cookie).map_err(WebError::internal)?;
    Ok(res)
}

/// Which kind of code `code` is, if it is right: an authenticator code whose time step is
/// claimed now, or an unused recovery code, spent now.
fn accepted_code(
    conn: &mut DbConnection,
    key: &SecretKey,
    user_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> WebResult<Option<&'static str>> {
    let creds = users::credentials(conn, user_id)?;
    let Some(stored) = creds.totp_secret.filter(|_| creds.totp_enabled) else {
        return Ok(None);
    };
    if code.chars().filter(|c| c.is_ascii_digit()).count() == 6 && code.len() <= 8 {
        let Some(secret) = totp_secrets::open(key, user_id, &stored) else {
            return Ok(None);
        };
        let step = totp::check(&secret, code, now.timestamp().max(0) as u64);
        // The step is claimed atomically: a replayed code loses, even across instances.
        return Ok(match step {
            Some(step) if users::claim_totp_step(conn, user_id, step as i64)? => {
                Some("authenticator code")
            }
            _ => None,
        });
    }
    let normalized = totp::normalize_recovery_code(code);
    Ok(
        tokens::use_recovery_code(conn, user_id, &hash_token(&normalized), now)?
            .then_some("recovery code"),
    )
}

async fn wrong_code(state: &AppState, identity: &Identity, next: Option<&str>) -> WebResult {
    let mut chrome = views::chrome(state, "Two-factor sign-in", None).await?;
    chrome.noindex = true;
    let page = SecondFactorPage {
        chrome,
        csrf: identity.csrf_token().to_owned(),
        email: identity.user.email.clone(),
        next: safe_next(next),
        error: Some(
            "That code is not right, or it was already used. Wait for the next code and try again."
                .into(),
        ),
    };
    views::render(StatusCode::UNAUTHORIZED, &page)
}
