//! `/account`: name, time zone, password and sessions.

use actix_web::HttpResponse;
use askama::Template;
use dateline_core::ValidationErrors;
use dateline_storage::repo::audit::{AuditAction, Entry, Outcome};
use dateline_storage::repo::{sessions, users};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Client, Notice, Staff, State};
use crate::routes::auth::reauth;
use crate::routes::auth::session;
use crate::routes::forms::{CsrfForm, CsrfOnly};
use crate::state::AppState;
use crate::usecases::users::{AccountError, PasswordVia, set_password};
use crate::views::format::Moment;
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "account/show.html")]
struct AccountPage {
    chrome: Chrome,
    email: String,
    role: &'static str,
    display_name: String,
    time_zone: String,
    newsroom_zone: String,
    zones: Vec<&'static str>,
    revision: i64,
    min_length: usize,
    totp_enabled: bool,
    sessions: Vec<SessionView>,
    profile_errors: ValidationErrors,
    password_errors: ValidationErrors,
}

struct SessionView {
    current: bool,
    agent: String,
    ip: String,
    created: Moment,
    seen: Moment,
}

pub fn zone_names() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect()
}

async fn page(
    state: &AppState,
    staff: &Staff,
    notice: Option<&str>,
    profile_errors: ValidationErrors,
    password_errors: ValidationErrors,
) -> WebResult {
    let (chrome, newsroom) =
        views::staff_chrome(state, "Your account", staff, "account", notice).await?;
    let (user, creds, list) = super::with_sessions(state, staff.user.id).await?;
    let zone = user
        .time_zone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or(newsroom.time_zone);
    let current = staff.session_id_hash().unwrap_or_default().to_owned();
    // Either form refused makes the page a 422.
    let status = views::form_status(&profile_errors).max(views::form_status(&password_errors));
    let page = AccountPage {
        chrome,
        email: user.email.clone(),
        role: user.role.label(),
        display_name: user.display_name.clone(),
        time_zone: user.time_zone.clone().unwrap_or_default(),
        newsroom_zone: newsroom.time_zone.name().to_owned(),
        zones: zone_names(),
        revision: user.revision,
        min_length: state.password_policy.min_length,
        totp_enabled: creds.totp_enabled,
        sessions: list
            .into_iter()
            .map(|s| SessionView {
                current: s.id == current,
                agent: describe_agent(&s.user_agent),
                ip: s.ip,
                created: Moment::new(s.created_at, zone),
                seen: Moment::new(s.last_seen_at, zone),
            })
            .collect(),
        profile_errors,
        password_errors,
    };
    views::render(status, &page)
}

/// A short description of a browser from its user agent, for the sessions list.
fn describe_agent(ua: &str) -> String {
    let browser = ["Firefox", "Edg", "Chrome", "Safari", "curl"]
        .into_iter()
        .find(|b| ua.contains(b))
        .map(|b| if b == "Edg" { "Edge" } else { b });
    let os = ["Windows", "Mac OS X", "Android", "iPhone", "Linux"]
        .into_iter()
        .find(|o| ua.contains(o));
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        _ if ua.is_empty() => "Unknown browser".into(),
        _ => ua.chars().take(40).collect(),
    }
}

pub async fn show(state: State, staff: Staff, notice: Notice) -> WebResult {
    page(
        &state,
        &staff,
        notice.as_deref(),
        ValidationErrors::new(),
        ValidationErrors::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    time_zone: String,
    revision: i64,
}

pub async fn save_profile(
    state: State,
    staff: Staff,
    CsrfForm(f): CsrfForm<ProfileForm>,
) -> WebResult {
    let mut e = ValidationErrors::new();
    e.line("display_name", &f.display_name, true, 100);
    let zone = f.time_zone.trim().to_owned();
    if !zone.is_empty() && zone.parse::<chrono_tz::Tz>().is_err() {
        e.add("time_zone", "Choose a time zone from the list.");
    }
    if !e.is_empty() {
        return page(&state, &staff, None, e, ValidationErrors::new()).await;
    }
    let user = staff.user.clone();
    state
        .db(move |conn| -> WebResult<_> {
            let current = users::get(conn, user.id)?;
            // Role and disabled are kept as stored: a profile form never changes them.
            users::update(
                conn,
                user.id,
                f.revision,
                &users::UserUpdate {
                    display_name: f.display_name.trim().to_owned(),
                    role: current.role,
                    disabled: current.disabled,
                    time_zone: (!zone.is_empty()).then_some(zone),
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(views::see_other("/account?notice=saved"))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// Needs the current password. Every session of the account ends, and this browser gets a new
/// one, so a stolen session cannot outlive the change.
pub async fn change_password(
    state: State,
    staff: Staff,
    client: Client,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> WebResult {
    let caller = staff.caller();
    let user_id = staff.user.id;
    if !reauth::current_password_ok(&state, &staff, &f.current).await? {
        let now = state.clock.now();
        crate::audit::record_apart(&state, caller.actor, move |a| {
            Entry::new(a, AuditAction::PasswordChange, "user", user_id, now)
                .outcome(Outcome::Failed)
                .detail("wrong current password")
        })
        .await;
        let e = ValidationErrors::single("current", "Your current password is not right.");
        return page(&state, &staff, None, ValidationErrors::new(), e).await;
    }
    let via = PasswordVia::Owner;
    match set_password(&state, &caller, &staff.user, &f.password, &f.confirm, via).await {
        Ok(_) => {}
        Err(AccountError::Invalid(e)) => {
            return page(&state, &staff, None, ValidationErrors::new(), e).await;
        }
        Err(other) => return Err(other.into()),
    }
    let cookie = session::start(&state, &staff.user, false, &client, None).await?;
    let mut res = views::see_other("/account?notice=password-changed");
    res.add_cookie(&cookie).map_err(WebError::internal)?;
    Ok(res)
}

pub async fn revoke_other_sessions(
    state: State,
    staff: Staff,
    _: CsrfOnly,
) -> WebResult<HttpResponse> {
    let user_id = staff.user.id;
    let keep = staff.session_id_hash().map(str::to_owned);
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db(move |conn| -> WebResult<_> {
            let ended = sessions::delete_for_user(conn, user_id, keep.as_deref())?;
            Entry::new(&actor, AuditAction::SessionsRevoke, "user", user_id, now)
                .detail(format!("{ended} other session(s) ended"))
                .record(conn)?;
            Ok(())
        })
        .await?;
    Ok(views::see_other("/account?notice=sessions-ended"))
}
