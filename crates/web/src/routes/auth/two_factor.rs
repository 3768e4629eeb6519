//! The second sign-in step: a TOTP code (each time step accepted once) or a recovery code (each
//! usable once). Attempts are throttled per account. Success replaces the half-signed-in session
//! with a new one.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use dateline_auth::{tokens::hash_token, totp};
use dateline_storage::repo::audit::{AuditAction, Outcome};
use dateline_storage::repo::{tokens, users};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Client, PendingSecondFactor};
use crate::routes::auth::attempts::{self, ACCOUNT_POLICY, Limit, OnSuccess};
use crate::routes::auth::login::record;
use crate::routes::auth::{safe_next, session};
use crate::routes::forms::{CsrfForm, FormLimit};
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
    state: web::Data<AppState>,
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

impl FormLimit for CodeForm {}

pub async fn submit(
    state: web::Data<AppState>,
    pending: PendingSecondFactor,
    client: Client,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> WebResult {
    let identity = pending.0;
    let user_id = identity.user.id;
    let now = state.clock.now();
    // Counted before the code is looked at: concurrent guesses cannot outrun the allowance.
    let counted = attempts::count(
        &state,
        vec![Limit {
            key: attempts::second_factor_key(user_id),
            policy: ACCOUNT_POLICY,
            on_success: OnSuccess::Clear,
        }],
    )
    .await?;
    let numbers = counted.numbers();
    let key = state.key.clone();
    let code = f.code.trim().to_owned();
    let accepted = state
        .db(move |conn| -> WebResult<_> {
            attempts::recheck(conn, &numbers, now)?;
            let creds = users::credentials(conn, user_id)?;
            let Some(stored) = creds.totp_secret.filter(|_| creds.totp_enabled) else {
                return Ok(None);
            };
            if code.chars().filter(|c| c.is_ascii_digit()).count() == 6 && code.len() <= 8 {
                let Some(secret) = totp_secrets::open(&key, user_id, &stored) else {
                    return Ok(None);
                };
                let step = totp::check(&secret, &code, now.timestamp().max(0) as u64);
                return Ok(match step {
                    // The step is claimed atomically: a replayed code loses, even across instances.
                    Some(step) if users::claim_totp_step(conn, user_id, step as i64)? => {
                        Some("authenticator code")
                    }
                    Some(_) => None,
                    None => None,
                });
            }
            let normalized = totp::normalize_recovery_code(&code);
            if tokens::use_recovery_code(conn, user_id, &hash_token(&normalized), now)? {
                Ok(Some("recovery code"))
            } else {
                Ok(None)
            }
        })
        .await?;
    let Some(method) = accepted else {
        // The failure was counted before the check; its lock, if any, is in place.
        record(
            &state,
            client.actor(Some(&identity)),
            AuditAction::TwoFactorFailed,
            user_id.to_string(),
            Outcome::Failed,
            String::new(),
            now,
        )
        .await;
        let mut chrome = views::chrome(&state, "Two-factor sign-in", None).await?;
        chrome.noindex = true;
        let page = SecondFactorPage {
            chrome,
            csrf: identity.csrf_token().to_owned(),
            email: identity.user.email.clone(),
            next: safe_next(f.next.as_deref()),
            error: Some("That code is not right, or it was already used. Wait for the next code and try again.".into()),
        };
        return views::render(StatusCode::UNAUTHORIZED, &page);
    };
    counted.succeeded(&state).await?;
    let cookie = session::start(
        &state,
        &identity.user,
        false,
        &client,
        identity.session_id_hash().map(str::to_owned),
    )
    .await?;
    record(
        &state,
        client.actor(Some(&identity)),
        AuditAction::LoginOk,
        user_id.to_string(),
        Outcome::Ok,
        format!("second factor: {method}"),
        now,
    )
    .await;
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, safe_next(f.next.as_deref())))
        .finish();
    res.add_cookie(&cookie).map_err(WebError::internal)?;
    Ok(res)
}
