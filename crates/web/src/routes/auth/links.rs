//! One-time links made by admins: invitations (7 days) and password resets (1 hour). Only their
//! hashes are stored; each works once. A used, expired or unknown link is a 404.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use dateline_auth::password;
use dateline_auth::tokens::hash_token;
use dateline_core::ValidationErrors;
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::sessions;
use dateline_storage::repo::tokens::{self, LinkKind, OneTimeLink};
use dateline_storage::repo::users::{self, NewUser};
use dateline_storage::{StorageError, write_tx};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::Client;
use crate::routes::auth::session;
use crate::routes::auth::setup::{AccountForm, check_new_password};
use crate::routes::forms::{CsrfForm, anonymous_csrf};
use crate::state::AppState;
use crate::views;

async fn open_link(state: &AppState, kind: LinkKind, token: &str) -> WebResult<OneTimeLink> {
    let hash = hash_token(token);
    let now = state.clock.now();
    state
        .db(move |conn| tokens::find_link(conn, kind, &hash, now))
        .await?
        .ok_or(WebError::NotFound)
}

struct Screen<'a> {
    heading: &'a str,
    intro: String,
    action: String,
    button: &'a str,
    ask_name: bool,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    screen: Screen<'_>,
    email: &str,
    name: &str,
    errors: ValidationErrors,
) -> WebResult {
    let (csrf, pre) = anonymous_csrf(req, state);
    let mut chrome = views::chrome(state, screen.heading, None).await?;
    chrome.noindex = true;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = AccountForm {
        chrome,
        heading: screen.heading.into(),
        intro: screen.intro,
        action: screen.action,
        button: screen.button.into(),
        csrf,
        ask_email: false,
        ask_name: screen.ask_name,
        email: email.to_owned(),
        name: name.to_owned(),
        min_length: state.password_policy.min_length,
        errors,
    };
    let mut res = views::render(status, &form)?;
    if let Some(c) = pre {
        res.add_cookie(&c).map_err(WebError::internal)?;
    }
    // The token is in the address: never send it onwards.
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static(crate::middleware::headers::PRIVATE_REFERRER_POLICY),
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

fn invite_screen(token: &str, link: &OneTimeLink) -> Screen<'static> {
    Screen {
        heading: "Join the newsroom",
        intro: format!(
            "You were invited as {}. Choose your password to finish creating your account.",
            link.role
                .map(|r| r.label().to_lowercase())
                .unwrap_or_else(|| "contributor".into())
        ),
        action: format!("/invite/{token}"),
        button: "Create my account",
        ask_name: true,
    }
}

pub async fn invite_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> WebResult {
    let link = open_link(&state, LinkKind::Invite, &token).await?;
    let (email, name) = (
        link.email.clone().unwrap_or_default(),
        link.display_name.clone().unwrap_or_default(),
    );
    render(
        &req,
        &state,
        invite_screen(&token, &link),
        &email,
        &name,
        ValidationErrors::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    client: Client,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> WebResult {
    let link = open_link(&state, LinkKind::Invite, &token).await?;
    let email = link.email.clone().unwrap_or_default();
    let mut errors = ValidationErrors::new();
    errors.line("name", &f.name, true, 100);
    check_new_password(
        &mut errors,
        state.password_policy,
        &f.password,
        &f.confirm,
        &[&email, &f.name],
    );
    if !errors.is_empty() {
        return render(
            &req,
            &state,
            invite_screen(&token, &link),
            &email,
            &f.name,
            errors,
        )
        .await;
    }
    let pw = f.password.clone();
    let hash = state.hashing(move || password::hash(&pw)).await??;
    let now = state.clock.now();
    let role = link.role.unwrap_or(dateline_core::Role::Contributor);
    let actor = client.anonymous_actor(&email);
    let name = f.name.trim().to_owned();
    let user = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                if !tokens::consume_link(conn, link.id, now)? {
                    return Err(StorageError::NotFound);
                }
                let user = users::create(
                    conn,
                    &NewUser {
                        email,
                        display_name: name,
                        role,
                        password_hash: hash,
                    },
                )?;
                Entry::new(&actor, AuditAction::UserCreate, "user", user.id, now)
                    .detail(format!(
                        "{} joined as {} by invitation",
                        user.email, user.role
                    ))
                    .record(conn)?;
                Ok(user)
            })
        })
        .await?;
    let cookie = session::start(&state, &user, false, &client, None).await?;
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .finish();
    res.add_cookie(&cookie).map_err(WebError::internal)?;
    Ok(res)
}

fn reset_screen(token: &str) -> Screen<'static> {
    Screen {
        heading: "Choose a new password",
        intro: "Choose a new password for your account. You will be signed out everywhere and can then sign in with it.".into(),
        action: format!("/reset/{token}"),
        button: "Set new password",
        ask_name: false,
    }
}

pub async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> WebResult {
    let link = open_link(&state, LinkKind::Reset, &token).await?;
    let user_id = link.user_id.ok_or(WebError::NotFound)?;
    let user = state.db(move |conn| users::get(conn, user_id)).await?;
    render(
        &req,
        &state,
        reset_screen(&token),
        &user.email,
        "",
        ValidationErrors::new(),
    )
    .await
}

pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    client: Client,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> WebResult {
    let link = open_link(&state, LinkKind::Reset, &token).await?;
    let user_id = link.user_id.ok_or(WebError::NotFound)?;
    let user = state.db(move |conn| users::get(conn, user_id)).await?;
    let mut errors = ValidationErrors::new();
    check_new_password(
        &mut errors,
        state.password_policy,
        &f.password,
        &f.confirm,
        &[&user.email, &user.display_name],
    );
    if !errors.is_empty() {
        return render(&req, &state, reset_screen(&token), &user.email, "", errors).await;
    }
    let pw = f.password.clone();
    let hash = state.hashing(move || password::hash(&pw)).await??;
    let now = state.clock.now();
    let actor = crate::extract::Client::anonymous_actor(&client, &user.email);
    state
        .db(move |conn| -> WebResult<_> {
            write_tx(conn, |conn| {
                if !tokens::consume_link(conn, link.id, now)? {
                    return Err(StorageError::NotFound);
                }
                tokens::expire_links(conn, LinkKind::Reset, Some(user_id), now)?;
                users::set_password_hash(conn, user_id, &hash)?;
                let ended = sessions::delete_for_user(conn, user_id, None)?;
                Entry::new(&actor, AuditAction::PasswordReset, "user", user_id, now)
                    .detail(format!("by reset link; {ended} session(s) ended"))
                    .record(conn)
            })?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login?notice=password-reset"))
        .finish())
}
