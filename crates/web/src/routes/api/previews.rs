//! Journalist preview links over the API.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::SecondsFormat;
use serde::Deserialize;

use crate::error::WebResult;
use crate::extract::{Client, Staff, State};
use crate::routes::admin::releases::links::{DEFAULT_DAYS, MAX_DAYS, create_link, revoke_link};
use crate::routes::api::optional_json;
use crate::usecases::access;

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    #[serde(default)]
    label: String,
    /// How many days the link works: 1 to 30, 7 when left out.
    #[serde(default)]
    days: Option<i64>,
}

pub async fn create(
    req: HttpRequest,
    state: State,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    body: web::Bytes,
) -> WebResult {
    let b: LinkBody = optional_json(&req, &body)?;
    let days = b.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(crate::error::WebError::invalid(
            "days",
            format!("Choose between 1 and {MAX_DAYS} days."),
        ));
    }
    if b.label.chars().count() > 200 {
        return Err(crate::error::WebError::invalid(
            "label",
            "Keep the label under 200 characters.",
        ));
    }
    let release = access::load_workings(&state, &staff, &id).await?;
    let (link, url) = create_link(&state, &staff, &client, &release, &b.label, days).await?;
    Ok(HttpResponse::Created().json(CreatedLink {
        expires_at: link.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        id: link.id,
        label: link.label,
        url,
    }))
}

/// A new preview link. The address is shown this once: only its hash is kept.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct CreatedLink {
    expires_at: String,
    id: i64,
    label: String,
    url: String,
}

pub async fn revoke(state: State, staff: Staff, client: Client, id: web::Path<i64>) -> WebResult {
    revoke_link(&state, &staff, &client, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
