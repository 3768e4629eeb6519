//! One-time links made by admins: invitations (7 days) and password resets (1 hour). Only their
//! hashes are stored; each works once. A used, expired or unknown link is a 404.

use actix_web::{HttpRequest, web};
use dateline_auth::tokens::hash_token;
use dateline_core::{User, ValidationErrors};
use dateline_storage::repo::tokens::{self, LinkKind, OneTimeLink};
use dateline_storage::repo::users;

use crate::error::{WebError, WebResult};
use crate::extract::{Client, State};
use crate::routes::auth::account_form::{self, Fields, Screen, visitor};
use crate::routes::forms::CsrfForm;
use crate::state::AppState;
use crate::usecases::users::{AccountError, Origin, PasswordVia, set_password};
use crate::views;

async fn open_link(state: &AppState, kind: LinkKind, token: &str) -> WebResult<OneTimeLink> {
    let hash = hash_token(token);
    let now = state.clock.now();
    state
        .db(move |conn| tokens::find_link(conn, kind, &hash, now))
        .await?
        .ok_or(WebError::NotFound)
}

/// A reset link and the account it resets.
async fn open_reset(state: &AppState, token: &str) -> WebResult<(OneTimeLink, User)> {
    let link = open_link(state, LinkKind::Reset, token).await?;
    let user_id = link.user_id.ok_or(WebError::NotFound)?;
    let user = state.db(move |conn| users::get(conn, user_id)).await?;
    Ok((link, user))
}

fn invite_screen(token: &str, link: &OneTimeLink) -> Screen<'static> {
    let role = link.role.map(|r| r.label().to_lowercase());
    Screen::for_link(
        "Join the newsroom",
        format!(
            "You were invited as {}. Choose your password to finish creating your account.",
            role.as_deref().unwrap_or("contributor")
        ),
        format!("/invite/{token}"),
        "Create my account",
        true,
    )
}

pub async fn invite_form(req: HttpRequest, state: State, token: web::Path<String>) -> WebResult {
    let link = open_link(&state, LinkKind::Invite, &token).await?;
    let (email, name) = (
        link.email.clone().unwrap_or_default(),
        link.display_name.clone().unwrap_or_default(),
    );
    let screen = invite_screen(&token, &link);
    account_form::render(&req, &state, screen, &email, &name, ValidationErrors::new()).await
}

pub async fn invite(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
    client: Client,
    CsrfForm(f): CsrfForm<Fields>,
) -> WebResult {
    let link = open_link(&state, LinkKind::Invite, &token).await?;
    let email = link.email.clone().unwrap_or_default();
    let screen = invite_screen(&token, &link);
    let origin = Origin::Invitation(link);
    account_form::open_account(&req, &state, &client, screen, &f, &email, origin).await
}

fn reset_screen(token: &str) -> Screen<'static> {
    Screen::for_link(
        "Choose a new password",
        "Choose a new password for your account. You will be signed out everywhere and can then sign in with it.".into(),
        format!("/reset/{token}"),
        "Set new password",
        false,
    )
}

pub async fn reset_form(req: HttpRequest, state: State, token: web::Path<String>) -> WebResult {
    let (_, user) = open_reset(&state, &token).await?;
    let screen = reset_screen(&token);
    account_form::render(
        &req,
        &state,
        screen,
        &user.email,
        "",
        ValidationErrors::new(),
    )
    .await
}

pub async fn reset(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
    client: Client,
    CsrfForm(f): CsrfForm<Fields>,
) -> WebResult {
    let (link, user) = open_reset(&state, &token).await?;
    let caller = visitor(&client, &user.email);
    let via = PasswordVia::ResetLink(link.id);
    match set_password(&state, &caller, &user, &f.password, &f.confirm, via).await {
        Ok(_) => Ok(views::see_other("/login?notice=password-reset")),
        Err(AccountError::Invalid(errors)) => {
            let screen = reset_screen(&token);
            account_form::render(&req, &state, screen, &user.email, "", errors).await
        }
        Err(other) => Err(other.into()),
    }
}
