//! "Paste a release": an editor pastes a plain-text wire release and the editor opens with its
//! fields filled in and what the parser was unsure of listed, for review. Nothing is stored
//! until the editor saves, which goes through the ordinary create path.

use askama::Template;
use serde::Deserialize;

use crate::error::WebResult;
use crate::extract::{Staff, State};
use crate::routes::admin::releases::page::{self, Extras};
use crate::routes::forms::CsrfForm;
use crate::state::AppState;
use crate::usecases::import::{self, Options};
use crate::usecases::input::{RELEASE_FORM_LIMIT, ReleaseForm};
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "admin/release_paste.html")]
struct PastePage {
    chrome: Chrome,
    text: String,
    error: Option<String>,
}

async fn paste_page(
    state: &AppState,
    staff: &Staff,
    text: String,
    error: Option<String>,
) -> WebResult {
    let status = views::rejected_status(error.is_some());
    let (chrome, _) =
        views::staff_chrome(state, "Paste a release", staff, "releases", None).await?;
    views::render(
        status,
        &PastePage {
            chrome,
            text,
            error,
        },
    )
}

pub async fn form(state: State, staff: Staff) -> WebResult {
    paste_page(&state, &staff, String::new(), None).await
}

#[derive(Deserialize)]
pub struct PasteForm {
    #[serde(default)]
    text: String,
}

pub async fn submit(
    state: State,
    staff: Staff,
    CsrfForm(f): CsrfForm<PasteForm, RELEASE_FORM_LIMIT>,
) -> WebResult {
    if let Err(e) = import::read_text(f.text.as_bytes()) {
        return paste_page(
            &state,
            &staff,
            f.text,
            Some(format!("This cannot be read: {e}.")),
        )
        .await;
    }
    let language = views::load_newsroom(&state).await?.language;
    // Parsed before taking a connection: the connection is only for finding the issuer.
    let parsed = dateline_core::wire::parse(&f.text);
    let (parsed, content) = state
        .db(move |conn| {
            import::draft(
                conn,
                parsed,
                &Options {
                    language,
                    ..Options::default()
                },
            )
        })
        .await?;
    let checks = parsed
        .flags
        .iter()
        .map(|f| match f.line {
            0 => format!("{}: {}", f.field, f.message),
            n => format!("{} (line {n}): {}", f.field, f.message),
        })
        .collect();
    page::render(
        &state,
        &staff,
        None,
        Extras {
            form: Some(ReleaseForm::from_content(&content, 0)),
            checks,
            ..Extras::default()
        },
    )
    .await
}
