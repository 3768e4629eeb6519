//! The one page on which someone not signed in chooses a password: the first admin through the
//! setup link, a colleague accepting an invitation, or anyone following a reset link. The link's
//! token is in the address, so the page is never cached and never sends its address onwards.

use actix_web::HttpRequest;
use actix_web::http::header;
use askama::Template;
use dateline_core::{Role, ValidationErrors};

use crate::error::WebResult;
use crate::extract::Client;
use crate::routes::forms::{anonymous_csrf, anonymous_form_page};
use crate::state::AppState;
use crate::usecases::Caller;
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
