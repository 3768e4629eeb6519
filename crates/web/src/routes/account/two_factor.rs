//! Enrolling and removing a TOTP second factor. A new secret waits, not yet enabled, until a code
//! from it is entered; then ten recovery codes are shown once.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use dateline_auth::tokens::hash_token;
use dateline_auth::{password, totp};
use dateline_core::Role;
use dateline_storage::repo::audit::{self, Entry, Outcome};
use dateline_storage::repo::{tokens, users};
use dateline_storage::write_tx;
use serde::Deserialize;

use crate::error::WebResult;
use crate::extract::{Client, Staff};
use crate::newsroom::Newsroom;
use crate::routes::forms::{CsrfForm, FormLimit};
use crate::state::AppState;
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "account/two_factor.html")]
struct TwoFactorPage {
    chrome: Chrome,
    enabled: bool,
    required: bool,
    codes_left: i64,
    secret: String,
    qr_data_url: String,
    error: Option<String>,
    new_codes: Option<Vec<String>>,
}

fn required(newsroom: &Newsroom, role: Role) -> bool {
    newsroom.require_two_factor && role >= Role::Editor
}

async fn page(
    state: &AppState,
    staff: &Staff,
    notice: Option<&str>,
    error: Option<String>,
    new_codes: Option<Vec<String>>,
) -> WebResult {
    let (chrome, newsroom) =
        views::staff_chrome(state, "Two-factor sign-in", staff, "account", notice).await?;
    let user_id = staff.user.id;
    // A pending secret is kept until enrolment completes, so reloading shows the same code.
    let (enabled, secret, codes_left) = state
        .db(move |conn| {
            let creds = users::credentials(conn, user_id)?;
            if creds.totp_enabled {
                return Ok((
                    true,
                    String::new(),
                    tokens::unused_recovery_codes(conn, user_id)?,
                ));
            }
            let secret = match creds.totp_secret {
                Some(s) => s,
                None => {
                    let s = totp::new_secret();
                    users::set_totp(conn, user_id, Some(&s), false)?;
                    s
                }
            };
            Ok((false, secret, 0))
        })
        .await?;
    let qr_data_url = if enabled {
        String::new()
    } else {
        totp::enrolment(
            &secret,
            &staff.user.email,
            &format!("Dateline: {}", newsroom.name),
        )?
        .qr_data_url
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = TwoFactorPage {
        chrome,
        enabled,
        required: required(&newsroom, staff.user.role),
        codes_left,
        secret,
        qr_data_url,
        error,
        new_codes,
    };
    views::render(status, &page)
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn form(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<NoticeQuery>,
) -> WebResult {
    let notice = q
        .notice
        .as_deref()
        .or(staff.must_enrol_two_factor.then_some("two-factor-required"));
    page(&state, &staff, notice, None, None).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

impl FormLimit for CodeForm {}

pub async fn enable(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> WebResult {
    let user_id = staff.user.id;
    let now = state.clock.now();
    let codes = totp::recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| hash_token(&totp::normalize_recovery_code(c)))
        .collect();
    let actor = client.actor(Some(&staff));
    let code = f.code.clone();
    let enabled = state
        .db(move |conn| {
            let creds = users::credentials(conn, user_id)?;
            let Some(secret) = creds.totp_secret.filter(|_| !creds.totp_enabled) else {
                return Ok(false);
            };
            let Some(step) = totp::check(&secret, &code, now.timestamp().max(0) as u64) else {
                return Ok(false);
            };
            write_tx(conn, |conn| {
                users::set_totp(conn, user_id, Some(&secret), true)?;
                users::claim_totp_step(conn, user_id, step as i64)?;
                tokens::replace_recovery_codes(conn, user_id, &hashes)?;
                audit::record(
                    conn,
                    &Entry {
                        actor: &actor,
                        action: "two_factor_enable",
                        object_type: "user",
                        object_id: user_id.to_string(),
                        outcome: Outcome::Ok,
                        detail: String::new(),
                        at: now,
                    },
                )
            })?;
            Ok(true)
        })
        .await?;
    if !enabled {
        return page(&state, &staff, None, Some("That code is not right. Check the time on your phone, wait for a new code and try again.".into()), None).await;
    }
    page(&state, &staff, Some("two-factor-on"), None, Some(codes)).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

impl FormLimit for PasswordForm {}

pub async fn disable(
    state: web::Data<AppState>,
    staff: Staff,
    client: Client,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> WebResult {
    let newsroom = views::load_newsroom(&state).await?;
    if required(&newsroom, staff.user.role) {
        return Err(crate::error::WebError::Forbidden(
            "This newsroom requires two-factor sign-in for your role.".into(),
        ));
    }
    let user_id = staff.user.id;
    let stored = state
        .db(move |conn| Ok(users::credentials(conn, user_id)?.password_hash))
        .await?;
    let pw = f.password.clone();
    let ok = state
        .hashing(move || {
            password::verify(&pw, &stored)
                .map(|v| v.ok)
                .unwrap_or(false)
        })
        .await?;
    if !ok {
        return page(
            &state,
            &staff,
            None,
            Some("Your password is not right.".into()),
            None,
        )
        .await;
    }
    let now = state.clock.now();
    let actor = client.actor(Some(&staff));
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                users::set_totp(conn, user_id, None, false)?;
                tokens::replace_recovery_codes(conn, user_id, &[])?;
                audit::record(
                    conn,
                    &Entry {
                        actor: &actor,
                        action: "two_factor_disable",
                        object_type: "user",
                        object_id: user_id.to_string(),
                        outcome: Outcome::Ok,
                        detail: String::new(),
                        at: now,
                    },
                )
            })?;
            Ok(())
        })
        .await?;
    Ok(views::see_other("/account?notice=two-factor-off"))
}
