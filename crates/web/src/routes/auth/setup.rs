//! First run: while no account exists, the one-time link printed by `dateline serve` opens a page
//! that creates the first admin. Afterwards the page does not exist (404). There is never a
//! default account.

use actix_web::{HttpRequest, web};
use dateline_auth::tokens::hash_token;
use dateline_core::ValidationErrors;
use dateline_core::user::normalize_email;
use dateline_storage::repo::tokens::{self, LinkKind};
use dateline_storage::repo::users;

use crate::error::{WebError, WebResult};
use crate::extract::{Client, State};
use crate::routes::auth::account_form::{self, Fields, Screen};
use crate::routes::forms::CsrfForm;
use crate::state::AppState;
use crate::usecases::users::Origin;

fn screen(token: &str) -> Screen<'static> {
    Screen {
        title: Some("Set up Dateline"),
        heading: "Create the first admin account",
        intro: "This newsroom has no accounts yet. The account you create here can invite colleagues, manage settings and publish. This page works once.".into(),
        action: format!("/setup/{token}"),
        button: "Create admin account",
        ask_email: true,
        ask_name: true,
    }
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

pub async fn form(req: HttpRequest, state: State, token: web::Path<String>) -> WebResult {
    if !link_is_open(&state, &token).await? {
        return Err(WebError::NotFound);
    }
    let screen = screen(&token);
    account_form::render(&req, &state, screen, "", "", ValidationErrors::new()).await
}

pub async fn submit(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
    client: Client,
    CsrfForm(f): CsrfForm<Fields>,
) -> WebResult {
    if !link_is_open(&state, &token).await? {
        return Err(WebError::NotFound);
    }
    let email = normalize_email(&f.email);
    let screen = screen(&token);
    let origin = Origin::Setup(hash_token(&token));
    account_form::open_account(&req, &state, &client, screen, &f, &email, origin).await
}
