//! First run: while no account exists, the one-time link printed by `dateline serve` opens a page
//! that creates the first admin. Afterwards the page does not exist (404). There is never a
//! default account.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use dateline_auth::password::{self, Policy};
use dateline_auth::tokens::hash_token;
use dateline_core::user::{is_plausible_email, normalize_email};
use dateline_core::{Role, ValidationErrors};
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::tokens::{self, LinkKind};
use dateline_storage::repo::users::{self, NewUser};
use dateline_storage::{StorageError, write_tx};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::Client;
use crate::routes::auth::session;
use crate::routes::forms::{CsrfForm, anonymous_csrf};
use crate::state::AppState;
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "auth/account_form.html")]
pub struct AccountForm {
    pub chrome: Chrome,
    pub heading: String,
    pub intro: String,
    pub action: String,
    pub button: String,
    pub csrf: String,
    pub ask_email: bool,
    pub ask_name: bool,
    pub email: String,
    pub name: String,
    pub min_length: usize,
    pub errors: ValidationErrors,
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
    email: &str,
    name: &str,
    errors: ValidationErrors,
) -> WebResult {
    let (csrf, pre) = anonymous_csrf(req, state);
    let mut chrome = views::chrome(state, "Set up Dateline", None).await?;
    chrome.noindex = true;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = AccountForm {
        chrome,
        heading: "Create the first admin account".into(),
        intro: "This newsroom has no accounts yet. The account you create here can invite colleagues, manage settings and publish. This page works once.".into(),
        action: format!("/setup/{token}"),
        button: "Create admin account".into(),
        csrf,
        ask_email: true,
        ask_name: true,
        email: email.to_owned(),
        name: name.to_owned(),
        min_length: state.password_policy.min_length,
        errors,
    };
    let mut res = views::render(status, &form)?;
    if let Some(c) = pre {
        res.add_cookie(&c).map_err(WebError::internal)?;
    }
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

/// The link is valid only while it is unused, unexpired, and no account exists yet.
async fn link_is_open(state: &AppState, token: &str) -> WebResult<bool> {
    let hash = hash_token(token);
    let now = state.clock.now();
    state
        .db(move |conn| -> WebResult<_> {
            Ok(users::count(conn)? == 0
                && tokens::find_link(conn, LinkKind::Setup, &hash, now)?.is_some())
        })
        .await
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> WebResult {
    if !link_is_open(&state, &token).await? {
        return Err(WebError::NotFound);
    }
    page(&req, &state, &token, "", "", ValidationErrors::new()).await
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// Field checks shared by setup and invitations.
pub fn check_new_account(
    policy: Policy,
    email: &str,
    name: &str,
    password: &str,
    confirm: &str,
) -> ValidationErrors {
    let mut e = ValidationErrors::new();
    if !is_plausible_email(email) {
        e.add("email", "Enter an email address such as ana@example.com.");
    }
    e.line("name", name, true, 100);
    check_new_password(&mut e, policy, password, confirm, &[email, name]);
    e
}

pub fn check_new_password(
    e: &mut ValidationErrors,
    policy: Policy,
    password: &str,
    confirm: &str,
    personal: &[&str],
) {
    if let Err(p) = policy.check(password, personal) {
        e.add("password", p.to_string());
    } else if password != confirm {
        e.add("confirm", "The two passwords differ.");
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    client: Client,
    CsrfForm(f): CsrfForm<SetupForm>,
) -> WebResult {
    if !link_is_open(&state, &token).await? {
        return Err(WebError::NotFound);
    }
    let email = normalize_email(&f.email);
    let policy = state.password_policy;
    let errors = check_new_account(policy, &email, &f.name, &f.password, &f.confirm);
    if !errors.is_empty() {
        return page(&req, &state, &token, &email, &f.name, errors).await;
    }
    let pw = f.password.clone();
    let hash = state.hashing(move || password::hash(&pw)).await??;
    let now = state.clock.now();
    let token_hash = hash_token(&token);
    let actor = client.anonymous_actor("setup");
    let name = f.name.trim().to_owned();
    let created = state
        .db(move |conn| -> WebResult<_> {
            let user = write_tx(conn, |conn| {
                // Re-checked inside the transaction: two browsers racing on one link make one admin.
                let link = tokens::find_link(conn, LinkKind::Setup, &token_hash, now)?
                    .ok_or(StorageError::NotFound)?;
                if users::count(conn)? > 0 || !tokens::consume_link(conn, link.id, now)? {
                    return Err(StorageError::NotFound);
                }
                tokens::expire_links(conn, LinkKind::Setup, None, now)?;
                let user = users::create(
                    conn,
                    &NewUser {
                        email,
                        display_name: name,
                        role: Role::Admin,
                        password_hash: hash,
                    },
                )?;
                Entry::new(&actor, AuditAction::UserCreate, "user", user.id, now)
                    .detail(format!("first admin {} via setup link", user.email))
                    .record(conn)?;
                Ok(user)
            })?;
            Ok(user)
        })
        .await?;
    let cookie = session::start(&state, &created, false, &client, None).await?;
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .finish();
    res.add_cookie(&cookie).map_err(WebError::internal)?;
    Ok(res)
}
