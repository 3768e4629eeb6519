//! The one page on which someone not signed in chooses a password: the first admin through the
//! setup link, a colleague accepting an invitation, or anyone following a reset link. The link's
//! token is in the address, so the page is never cached and never sends its address onwards.

use actix_web::HttpRequest;
use actix_web::http::header;
use askama::Template;
use dateline_core::{Role, ValidationErrors};
use serde::Deserialize;

use crate::error::WebResult;
use crate::extract::Client;
use crate::routes::auth::session;
use crate::routes::forms::{anonymous_csrf, anonymous_form_page};
use crate::state::AppState;
use crate::usecases::Caller;
use crate::usecases::users::{AccountError, Origin, Typed, register};
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "auth/account_form.html")]
struct AccountForm {
    chrome: Chrome,
    heading: String,
    intro: String,
    action: String,
    button: String,
    csrf: String,
    ask_email: bool,
    ask_name: bool,
    email: String,
    name: String,
    min_length: usize,
    errors: ValidationErrors,
}

/// What the form sends. Link pages have no email field: the link knows the address.
#[derive(Deserialize)]
pub struct Fields {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub confirm: String,
}

impl Fields {
    /// The fields as the use case takes them, for the account at `email`.
    pub fn typed<'a>(&'a self, email: &'a str) -> Typed<'a> {
        Typed {
            email,
            name: &self.name,
            password: &self.password,
            confirm: &self.confirm,
        }
    }
}

/// What differs between the setup, invitation and reset pages.
pub struct Screen<'a> {
    /// The window title; the heading when `None`.
    pub title: Option<&'a str>,
    pub heading: &'a str,
    pub intro: String,
    pub action: String,
    pub button: &'a str,
    pub ask_email: bool,
    pub ask_name: bool,
}

impl Screen<'_> {
    /// A page opened from an invitation or reset link, which never asks for the email.
    pub fn for_link<'a>(
        heading: &'a str,
        intro: String,
        action: String,
        button: &'a str,
        ask_name: bool,
    ) -> Screen<'a> {
        Screen {
            title: None,
            heading,
            intro,
            action,
            button,
            ask_email: false,
            ask_name,
        }
    }
}

/// The form, refilled with `email` and `name` and listing `errors` (a 422 when there are any).
pub async fn render(
    req: &HttpRequest,
    state: &AppState,
    screen: Screen<'_>,
    email: &str,
    name: &str,
    errors: ValidationErrors,
) -> WebResult {
    let (csrf, pre) = anonymous_csrf(req, state);
    let title = screen.title.unwrap_or(screen.heading);
    let mut chrome = views::chrome(state, title, None).await?;
    chrome.noindex = true;
    let form = AccountForm {
        chrome,
        heading: screen.heading.into(),
        intro: screen.intro,
        action: screen.action,
        button: screen.button.into(),
        csrf,
        ask_email: screen.ask_email,
        ask_name: screen.ask_name,
        email: email.to_owned(),
        name: name.to_owned(),
        min_length: state.password_policy.min_length,
        errors,
    };
    let mut res = anonymous_form_page(views::form_status(&form.errors), &form, pre)?;
    // The token is in the address: never send it onwards.
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static(crate::middleware::headers::PRIVATE_REFERRER_POLICY),
    );
    Ok(res)
}

/// Someone acting through a one-time link: not signed in, with only the authority the link
/// carries (the use case checks the link), recorded under `label` in the audit log.
pub fn visitor(client: &Client, label: &str) -> Caller {
    Caller {
        user_id: None,
        role: Role::Contributor,
        actor: client.anonymous_actor(label),
    }
}

/// Opens the account the form describes through `origin` and signs its owner in, or shows the
/// form again with what to correct.
pub async fn open_account(
    req: &HttpRequest,
    state: &AppState,
    client: &Client,
    screen: Screen<'_>,
    fields: &Fields,
    email: &str,
    origin: Origin,
) -> WebResult {
    // The audit log names the invited address; the first admin is recorded as "setup".
    let label = match origin {
        Origin::Setup(_) => "setup",
        _ => email,
    };
    let caller = visitor(client, label);
    match register(state, &caller, fields.typed(email), origin).await {
        Ok(user) => session::start_and_redirect(state, &user, client).await,
        Err(AccountError::Invalid(errors)) => {
            render(req, state, screen, email, &fields.name, errors).await
        }
        Err(other) => Err(other.into()),
    }
}
