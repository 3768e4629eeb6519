//! `/admin/settings`: the newsroom's name, description, time zone, default language and the
//! two-factor requirement. Admins only.

use actix_web::http::StatusCode;
use askama::Template;
use dateline_core::ValidationErrors;
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::write_tx;
use serde::Deserialize;

use crate::error::WebResult;
use crate::extract::{Notice, Staff, State};
use crate::newsroom::Newsroom;
use crate::routes::account::profile::zone_names;
use crate::routes::forms::CsrfForm;
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    name: String,
    description: String,
    time_zone: String,
    language: String,
    require_two_factor: bool,
    zones: Vec<&'static str>,
    errors: ValidationErrors,
}

pub async fn show(state: State, staff: Staff, notice: Notice) -> WebResult {
    let (chrome, n) =
        views::staff_chrome(&state, "Settings", &staff, "settings", notice.as_deref()).await?;
    views::ok(&SettingsPage {
        chrome,
        name: n.name.clone(),
        description: n.description.clone(),
        time_zone: n.time_zone.name().to_owned(),
        language: n.language.clone(),
        require_two_factor: n.require_two_factor,
        zones: zone_names(),
        errors: ValidationErrors::new(),
    })
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    language: String,
    require_two_factor: Option<String>,
}

pub async fn save(state: State, staff: Staff, CsrfForm(f): CsrfForm<SettingsForm>) -> WebResult {
    let require = f.require_two_factor.as_deref() == Some("true");
    let zone = match Newsroom::validate(
        &f.name,
        &f.description,
        f.time_zone.trim(),
        f.language.trim(),
    ) {
        Ok(z) => z,
        Err(errors) => {
            let (chrome, _) =
                views::staff_chrome(&state, "Settings", &staff, "settings", None).await?;
            let page = SettingsPage {
                chrome,
                name: f.name,
                description: f.description,
                time_zone: f.time_zone,
                language: f.language,
                require_two_factor: require,
                zones: zone_names(),
                errors,
            };
            return views::render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let newsroom = Newsroom {
        name: f.name.trim().to_owned(),
        description: f.description.trim().to_owned(),
        time_zone: zone,
        language: f.language.trim().to_owned(),
        require_two_factor: require,
    };
    let now = state.clock.now();
    let actor = staff.actor();
    let saved = newsroom.clone();
    state
        .db(move |conn| -> WebResult<_> {
            write_tx(conn, |conn| {
                saved.save(conn)?;
                // Pages print the name and zone: cached pages must change with them.
                dateline_storage::repo::settings::bump_content_version(conn, now)?;
                Entry::new(&actor, AuditAction::SettingsChange, "settings", "", now)
                    .detail(format!(
                        "name {:?}, zone {}, language {}, two-factor required: {}",
                        saved.name,
                        saved.time_zone.name(),
                        saved.language,
                        saved.require_two_factor
                    ))
                    .record(conn)
            })?;
            Ok(())
        })
        .await?;
    state.remember_newsroom_name(&newsroom.name);
    Ok(views::see_other("/admin/settings?notice=saved"))
}
