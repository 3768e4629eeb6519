//! View models and the shared page chrome. Handlers turn `core` values into these small,
//! display-ready structs; Askama templates under `web/templates` print them, escaping everything
//! except [`BodyHtml`] and [`JsonLd`].

pub mod comparison;
pub mod format;
pub mod media;
pub mod release;
pub mod release_page;

use std::fmt;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use dateline_core::SanitizedHtml;

use crate::error::WebResult;
use crate::middleware::identity::Identity;

/// Sanitised release HTML (see `dateline_core::content`). The only HTML templates print raw.
#[derive(Debug, Clone, Default)]
pub struct BodyHtml(pub SanitizedHtml);

impl fmt::Display for BodyHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

// Printed unescaped: its content went through the ammonia allowlist.
impl askama::filters::HtmlSafe for BodyHtml {}

/// JSON for a `<script type="application/ld+json">` block. Serialised by serde_json, with `<`,
/// `>` and `&` escaped as `\u003c` and so on, so no value can close the script element.
#[derive(Debug, Clone, Default)]
pub struct JsonLd(String);

impl JsonLd {
    pub fn new(value: &serde_json::Value) -> Self {
        let text = value
            .to_string()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        JsonLd(text)
    }
}

impl fmt::Display for JsonLd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Printed unescaped inside a script data block; see `JsonLd::new` for why that is safe.
impl askama::filters::HtmlSafe for JsonLd {}

/// The signed-in person, as the navigation shows them.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub role: &'static str,
    pub is_editor: bool,
    pub is_admin: bool,
}

#[derive(Debug, Clone)]
pub struct FeedLink {
    pub title: String,
    pub href: String,
    pub mime: &'static str,
}

/// Everything the layout needs besides the page's own content.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub newsroom: String,
    /// This page's `<meta name="description">`: the newsroom's own, unless the page has better.
    pub description: String,
    /// The newsroom's description, for the footer on every page.
    pub tagline: String,
    pub lang: String,
    pub canonical: Option<String>,
    pub noindex: bool,
    pub user: Option<NavUser>,
    /// The session's CSRF token, for the sign-out form in the header.
    pub csrf: String,
    pub css: String,
    pub js: String,
    /// Which navigation entry is current.
    pub section: &'static str,
    pub feeds: Vec<FeedLink>,
    /// Open Graph and Twitter card tags: (attribute, name, content).
    pub meta: Vec<(&'static str, String, String)>,
    pub json_ld: Option<JsonLd>,
    /// A one-line notice shown at the top of the page ("Saved.").
    pub flash: Option<String>,
    pub admin: bool,
}

impl Chrome {
    pub fn new(title: impl Into<String>, newsroom: &crate::newsroom::Newsroom) -> Self {
        Chrome {
            title: title.into(),
            newsroom: newsroom.name.clone(),
            description: newsroom.description.clone(),
            tagline: newsroom.description.clone(),
            lang: newsroom.language.clone(),
            canonical: None,
            noindex: false,
            user: None,
            csrf: String::new(),
            css: crate::assets::url("app.css"),
            js: crate::assets::url("app.js"),
            section: "",
            feeds: Vec::new(),
            meta: Vec::new(),
            json_ld: None,
            flash: None,
            admin: false,
        }
    }

    /// A bare chrome for pages rendered without the database (errors during an outage).
    pub fn minimal(title: impl Into<String>, newsroom_name: &str) -> Self {
        let n = crate::newsroom::Newsroom {
            name: newsroom_name.to_owned(),
            ..Default::default()
        };
        let mut c = Chrome::new(title, &n);
        c.noindex = true;
        c
    }

    pub fn with_user(mut self, identity: Option<&Identity>) -> Self {
        if let Some(i) = identity {
            self.user = Some(NavUser {
                name: i.user.display_name.clone(),
                role: i.user.role.label(),
                is_editor: i.user.role.is_staff_editor(),
                is_admin: i.user.role == dateline_core::Role::Admin,
            });
            self.csrf = i.csrf_token().to_owned();
        }
        self
    }

    pub fn admin(mut self, section: &'static str) -> Self {
        self.admin = true;
        self.noindex = true;
        self.section = section;
        self
    }

    pub fn section(mut self, section: &'static str) -> Self {
        self.section = section;
        self
    }

    pub fn flash(mut self, message: Option<String>) -> Self {
        self.flash = message;
        self
    }
}

/// Renders a template into an HTML response with the given status.
pub fn render<T: Template>(status: StatusCode, page: &T) -> WebResult {
    let body = page.render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// The status of a page that shows a form: 422 when it comes back with errors to fix.
pub fn form_status(errors: &dateline_core::ValidationErrors) -> StatusCode {
    rejected_status(!errors.is_empty())
}

/// 422 for a page shown again because what was sent was refused, 200 otherwise.
pub fn rejected_status(rejected: bool) -> StatusCode {
    if rejected {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

pub fn ok<T: Template>(page: &T) -> WebResult {
    render(StatusCode::OK, page)
}

/// The chrome for a page, with the newsroom's current settings.
pub async fn chrome(
    state: &crate::state::AppState,
    title: impl Into<String>,
    identity: Option<&Identity>,
) -> WebResult<Chrome> {
    let newsroom = load_newsroom(state).await?;
    Ok(Chrome::new(title, &newsroom).with_user(identity))
}

pub async fn load_newsroom(state: &crate::state::AppState) -> WebResult<crate::newsroom::Newsroom> {
    let newsroom = state.db(crate::newsroom::Newsroom::load).await?;
    state.remember_newsroom_name(&newsroom.name);
    Ok(newsroom)
}

/// Fixed messages a redirect may ask the next page to show (`?notice=saved`). Only known keys
/// are shown, so nothing from the address is ever echoed.
pub fn notice(key: Option<&str>) -> Option<String> {
    let text = match key? {
        "signed-out" => "You are signed out.",
        "password-reset" => "Your password was changed. Sign in with the new one.",
        "saved" => "Saved.",
        "created" => "Created.",
        "deleted" => "Deleted.",
        "password-changed" => "Your password was changed, and your other sessions were ended.",
        "sessions-ended" => "Your other sessions were ended.",
        "two-factor-on" => "Two-factor sign-in is on.",
        "two-factor-off" => "Two-factor sign-in is off.",
        "two-factor-required" => {
            "This newsroom requires two-factor sign-in for your role. Set it up to continue."
        }
        "token-revoked" => "The token was revoked.",
        "submitted" => "Submitted for review.",
        "approved" => "Approved and scheduled.",
        "published" => "Published.",
        "sent-back" => "Sent back to the author.",
        "withdrawn" => "Withdrawn.",
        "reinstated" => "Reinstated.",
        "corrected" => "The correction is published.",
        "restored" => "The revision was restored as a new revision.",
        "link-created" => "Preview link created.",
        "link-revoked" => "The preview link was revoked.",
        "file-added" => "The file was added.",
        "file-removed" => "The file was removed.",
        "logo-saved" => "The logo was saved.",
        "logo-removed" => "The logo was removed.",
        "file-replaced" => "The file was replaced everywhere it is shown.",
        "user-created" => "The account was created.",
        "invited" => "Invitation link created.",
        "reset-link" => "Password reset link created.",
        "sessions-revoked" => "All sessions of this account were ended.",
        "slug-changed" => "The address was changed; the old one redirects to the new one.",
        "webhook-created" => "The endpoint was added. Give its signing secret to the receiver.",
        "secret-rotated" => "A new signing secret was made; deliveries from now on use it.",
        "resent" => "The delivery is queued and goes out within seconds.",
        "already-delivered" => "That delivery was already delivered.",
        _ => return None,
    };
    Some(text.to_owned())
}

/// The chrome for a newsroom page, with the person's navigation and a notice if any.
pub async fn staff_chrome(
    state: &crate::state::AppState,
    title: impl Into<String>,
    identity: &Identity,
    section: &'static str,
    notice_key: Option<&str>,
) -> WebResult<(Chrome, crate::newsroom::Newsroom)> {
    let newsroom = load_newsroom(state).await?;
    let chrome = Chrome::new(title, &newsroom)
        .with_user(Some(identity))
        .admin(section)
        .flash(notice(notice_key));
    Ok((chrome, newsroom))
}

/// A redirect after a successful form post, with a notice for the next page.
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location.into()))
        .finish()
}

/// Organizations as `<select>` options, by id: the staff pages' filters and forms.
pub fn organization_choices(orgs: &[dateline_core::Organization]) -> Vec<(String, String)> {
    orgs.iter()
        .map(|o| (o.id.to_string(), o.name.clone()))
        .collect()
}
