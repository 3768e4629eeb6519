//! Enrolling and removing a TOTP second factor. Showing the enrolment page writes nothing: the
//! new secret travels in the form, bound to this account and its issue time by an HMAC under the
//! server key, and is stored only once a code made from it is entered, with the password. Then
//! ten recovery codes are shown, once. Turning the factor on or off ends the account's other
//! sessions, so a session taken before the change cannot go on to use it.

use askama::Template;
use dateline_auth::tokens::{constant_time_eq, hash_token};
use dateline_auth::totp;
use dateline_core::Role;
use dateline_core::user::check_two_factor_enrolment;
use dateline_storage::repo::audit::{Actor, AuditAction, Entry};
use dateline_storage::repo::{sessions, tokens, users};
use dateline_storage::{StorageError, write_tx};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Notice, Staff, State};
use crate::newsroom::Newsroom;
use crate::routes::auth::reauth;
use crate::routes::forms::CsrfForm;
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
    issued: i64,
    secret_mac: String,
    qr_data_url: String,
    error: Option<String>,
    /// The field the error is about (`code` or `password`), or empty for the whole form.
    error_field: &'static str,
    new_codes: Option<Vec<String>>,
}

/// A refused try, and which field it is about, so the message can be tied to that field.
struct FieldError {
    field: &'static str,
    message: String,
}

fn required(newsroom: &Newsroom, role: Role) -> bool {
    newsroom.require_two_factor && role >= Role::Editor
}

/// How long an enrolment page stays usable: long enough to find a phone, short enough that an
/// old page left open cannot be replayed later.
const ENROLMENT_SECONDS: i64 = 60 * 60;

/// A secret offered on the enrolment page and not stored yet.
struct Pending {
    secret: String,
    /// When the page offered it, in Unix seconds.
    issued: i64,
}

/// Binds a pending secret to one account and its issue time, so a form can neither enrol
/// someone else's secret nor be reused after `ENROLMENT_SECONDS`.
fn secret_mac(state: &AppState, user_id: i64, p: &Pending) -> String {
    state.key.mac_hex(
        "totp-enrolment",
        format!("{user_id}:{}:{}", p.issued, p.secret).as_bytes(),
    )
}

async fn page(
    state: &AppState,
    staff: &Staff,
    notice: Option<&str>,
    error: Option<FieldError>,
    new_codes: Option<Vec<String>>,
    pending: Option<Pending>,
) -> WebResult {
    let (chrome, newsroom) =
        views::staff_chrome(state, "Two-factor sign-in", staff, "account", notice).await?;
    let user_id = staff.user.id;
    let (enabled, codes_left) = state
        .db(move |conn| -> WebResult<_> {
            let creds = users::credentials(conn, user_id)?;
            let left = if creds.totp_enabled {
                tokens::unused_recovery_codes(conn, user_id)?
            } else {
                0
            };
            Ok((creds.totp_enabled, left))
        })
        .await?;
    let pending = if enabled {
        Pending {
            secret: String::new(),
            issued: 0,
        }
    } else {
        pending.unwrap_or_else(|| Pending {
            secret: totp::new_secret(),
            issued: state.clock.now().timestamp(),
        })
    };
    let secret = pending.secret.clone();
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
    let status = views::rejected_status(error.is_some());
    let page = TwoFactorPage {
        chrome,
        enabled,
        required: required(&newsroom, staff.user.role),
        codes_left,
        secret_mac: if enabled {
            String::new()
        } else {
            secret_mac(state, user_id, &pending)
        },
        secret,
        issued: pending.issued,
        qr_data_url,
        error_field: error.as_ref().map_or("", |e| e.field),
        error: error.map(|e| e.message),
        new_codes,
    };
    views::render(status, &page)
}

pub async fn form(state: State, staff: Staff, notice: Notice) -> WebResult {
    let notice = notice
        .as_deref()
        .or(staff.must_enrol_two_factor.then_some("two-factor-required"));
    page(&state, &staff, notice, None, None, None).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    issued: i64,
    #[serde(default)]
    secret_mac: String,
    #[serde(default)]
    password: String,
}

pub async fn enable(state: State, staff: Staff, CsrfForm(f): CsrfForm<CodeForm>) -> WebResult {
    let pending = Pending {
        secret: f.secret.clone(),
        issued: f.issued,
    };
    if f.secret.len() > 64
        || !constant_time_eq(&secret_mac(&state, staff.user.id, &pending), &f.secret_mac)
    {
        return Err(WebError::BadRequest("The enrolment form was changed or is from another account. Reload the page and try again.".into()));
    }
    let now = state.clock.now();
    let retry = |field: &'static str, message: &str, pending: Option<Pending>| {
        page(
            &state,
            &staff,
            None,
            Some(FieldError {
                field,
                message: message.to_owned(),
            }),
            None,
            pending,
        )
    };
    if !(0..=ENROLMENT_SECONDS).contains(&(now.timestamp() - f.issued)) {
        return retry("", "This setup page was open for over an hour, so it has a new key now. Scan the new code and try again.", None).await;
    }
    if !reauth::current_password_ok(&state, &staff, &f.password).await? {
        return retry("password", "Your password is not right.", Some(pending)).await;
    }
    let Some(step) = totp::check(&f.secret, &f.code, now.timestamp().max(0) as u64) else {
        return retry("code", "That code is not right. Check the time on your phone, wait for a new code and try again.", Some(pending)).await;
    };
    let Some(codes) = enrol(&state, &staff, staff.actor(), &f.secret, step).await? else {
        return retry(
            "code",
            "That code was used already. Wait for the next one and try again.",
            Some(pending),
        )
        .await;
    };
    page(
        &state,
        &staff,
        Some("two-factor-on"),
        None,
        Some(codes),
        None,
    )
    .await
}

/// Stores the secret (sealed), spends the code's time step, replaces the recovery codes and
/// ends the other sessions, in one transaction. The new recovery codes, to show once; None if
/// the step was spent already.
async fn enrol(
    state: &AppState,
    staff: &Staff,
    actor: Actor,
    secret: &str,
    step: u64,
) -> WebResult<Option<Vec<String>>> {
    let (user_id, now) = (staff.user.id, state.clock.now());
    let codes = totp::recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| hash_token(&totp::normalize_recovery_code(c)))
        .collect();
    let sealed = crate::totp_secrets::seal(&state.key, user_id, secret)?;
    let keep = staff.session_id_hash().map(str::to_owned);
    let enabled = state
        .db(move |conn| {
            write_tx(conn, |conn| -> Result<bool, StorageError> {
                // A resubmitted form must not swap the factor or the recovery codes just saved.
                check_two_factor_enrolment(users::credentials(conn, user_id)?.totp_enabled)?;
                if !users::claim_totp_step(conn, user_id, step as i64)? {
                    return Ok(false);
                }
                users::set_totp(conn, user_id, Some(&sealed), true, Some(step as i64))?;
                tokens::replace_recovery_codes(conn, user_id, &hashes)?;
                let ended = sessions::delete_for_user(conn, user_id, keep.as_deref())?;
                Entry::new(&actor, AuditAction::TwoFactorEnable, "user", user_id, now)
                    .detail(format!("{ended} other session(s) ended"))
                    .record(conn)?;
                Ok(true)
            })
        })
        .await?;
    Ok(enabled.then_some(codes))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn disable(state: State, staff: Staff, CsrfForm(f): CsrfForm<PasswordForm>) -> WebResult {
    let newsroom = views::load_newsroom(&state).await?;
    if required(&newsroom, staff.user.role) {
        return Err(WebError::Forbidden(
            "This newsroom requires two-factor sign-in for your role.".into(),
        ));
    }
    let user_id = staff.user.id;
    let ok = reauth::current_password_ok(&state, &staff, &f.password).await?;
    if !ok {
        return page(
            &state,
            &staff,
            None,
            Some(FieldError {
                field: "password",
                message: "Your password is not right.".into(),
            }),
            None,
            None,
        )
        .await;
    }
    let now = state.clock.now();
    let actor = staff.actor();
    let keep = staff.session_id_hash().map(str::to_owned);
    state
        .db(move |conn| -> WebResult<_> {
            write_tx(conn, |conn| {
                users::set_totp(conn, user_id, None, false, None)?;
                tokens::replace_recovery_codes(conn, user_id, &[])?;
                let ended = sessions::delete_for_user(conn, user_id, keep.as_deref())?;
                Entry::new(&actor, AuditAction::TwoFactorDisable, "user", user_id, now)
                    .detail(format!("{ended} other session(s) ended"))
                    .record(conn)
            })?;
            Ok(())
        })
        .await?;
    Ok(views::see_other("/account?notice=two-factor-off"))
}
