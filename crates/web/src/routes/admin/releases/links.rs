//! Journalist preview links: per release, a 256-bit token stored hashed, an expiry (7 days by
//! default) and revocation. Editors make them; opening one is logged.

use actix_web::web;
use askama::Template;
use chrono::{DateTime, Utc};
use dateline_auth::tokens::{hash_token, random_token};
use dateline_core::{Release, ValidationErrors};
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::previews::{self, PreviewLink};
use dateline_storage::write_tx;
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Client, Staff, State};
use crate::middleware::identity::Identity;
use crate::routes::forms::{CsrfForm, CsrfOnly};
use crate::state::AppState;
use crate::usecases::access;
use crate::views::{self, Chrome, format};

pub const DEFAULT_DAYS: i64 = 7;
pub const MAX_DAYS: i64 = 30;

#[derive(Template)]
#[template(path = "admin/release_links.html")]
struct LinksPage {
    chrome: Chrome,
    id: String,
    headline: String,
    links: Vec<LinkRow>,
    new_url: Option<String>,
    errors: ValidationErrors,
}

struct LinkRow {
    id: i64,
    label: String,
    created: String,
    expires: String,
    opens: i64,
    last_opened: String,
    live: bool,
    state: &'static str,
}

async fn page(
    state: &AppState,
    staff: &Staff,
    release: &Release,
    new_url: Option<String>,
    errors: ValidationErrors,
) -> WebResult {
    let (chrome, newsroom) =
        views::staff_chrome(state, "Preview links", staff, "releases", None).await?;
    let rid = release.id;
    let list = state
        .db(move |conn| previews::list_for_release(conn, rid))
        .await?;
    let (zone, now) = (newsroom.time_zone, state.clock.now());
    let status = views::form_status(&errors);
    views::render(
        status,
        &LinksPage {
            chrome,
            id: release.public_id.to_string(),
            headline: release.content.headline.clone(),
            links: list
                .into_iter()
                .map(|l| LinkRow {
                    id: l.id,
                    label: if l.label.is_empty() {
                        "—".into()
                    } else {
                        l.label.clone()
                    },
                    created: format::datetime(l.created_at, zone),
                    expires: format::datetime(l.expires_at, zone),
                    opens: l.open_count,
                    last_opened: l
                        .last_opened_at
                        .map(|t| format::relative(t, now))
                        .unwrap_or_default(),
                    live: l.is_live(now),
                    state: if l.revoked_at.is_some() {
                        "Revoked"
                    } else {
                        "Expired"
                    },
                })
                .collect(),
            new_url,
            errors,
        },
    )
}

pub async fn list(state: State, staff: Staff, id: web::Path<String>) -> WebResult {
    let release = access::load_workings(&state, &staff, &id).await?;
    page(&state, &staff, &release, None, ValidationErrors::new()).await
}

/// Creates a link and returns it with its URL (the only time the token is known).
pub async fn create_link(
    state: &AppState,
    identity: &Identity,
    client: &Client,
    release: &Release,
    label: &str,
    days: i64,
) -> WebResult<(PreviewLink, String)> {
    if release.status == dateline_core::ReleaseStatus::Withdrawn {
        return Err(WebError::Conflict {
            message: "A withdrawn release cannot be previewed.".into(),
            current_revision: None,
        });
    }
    let token = random_token();
    let hash = hash_token(&token);
    let now: DateTime<Utc> = state.clock.now();
    let expires = now + chrono::Duration::days(days);
    let (rid, user, actor, label, object) = (
        release.id,
        identity.user.id,
        client.actor(Some(identity)),
        label.trim().to_owned(),
        release.public_id.to_string(),
    );
    let link = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let link = previews::create(conn, rid, &hash, &label, Some(user), now, expires)?;
                Entry::new(
                    &actor,
                    AuditAction::PreviewLinkCreate,
                    "release",
                    object,
                    now,
                )
                .detail(format!(
                    "link {} for {:?}, {days} days",
                    link.id, link.label
                ))
                .record(conn)?;
                Ok::<_, dateline_storage::StorageError>(link)
            })
        })
        .await?;
    Ok((link, state.config.absolute(&format!("/preview/{token}"))))
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    days: String,
}

pub fn parse_days(raw: &str) -> Result<i64, ValidationErrors> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(DEFAULT_DAYS);
    }
    match raw.parse::<i64>() {
        Ok(d) if (1..=MAX_DAYS).contains(&d) => Ok(d),
        _ => Err(ValidationErrors::single(
            "days",
            format!("Choose between 1 and {MAX_DAYS} days."),
        )),
    }
}

pub async fn create(
    state: State,
    staff: Staff,
    client: Client,
    id: web::Path<String>,
    CsrfForm(f): CsrfForm<LinkForm>,
) -> WebResult {
    let release = access::load_workings(&state, &staff, &id).await?;
    let mut errors = ValidationErrors::new();
    errors.line("label", &f.label, false, 200);
    let days = match parse_days(&f.days) {
        Ok(d) if errors.is_empty() => d,
        Ok(_) => return page(&state, &staff, &release, None, errors).await,
        Err(e) => return page(&state, &staff, &release, None, e).await,
    };
    let (_, url) = create_link(&state, &staff, &client, &release, &f.label, days).await?;
    page(&state, &staff, &release, Some(url), ValidationErrors::new()).await
}

/// Revokes a link. The link's release is checked too: a link id belonging to a release the person
/// cannot read is a 404.
pub async fn revoke_link(
    state: &AppState,
    identity: &Identity,
    client: &Client,
    link_id: i64,
) -> WebResult<Release> {
    let link = state.db(move |conn| previews::get(conn, link_id)).await?;
    let rid = link.release_id;
    let release = state
        .db(move |conn| dateline_storage::repo::releases::get(conn, rid))
        .await?;
    if !access::can_read(identity, &release, state.clock.now()) {
        return Err(WebError::NotFound);
    }
    let (actor, now, object) = (
        client.actor(Some(identity)),
        state.clock.now(),
        release.public_id.to_string(),
    );
    state
        .db(move |conn| -> WebResult<_> {
            write_tx(conn, |conn| {
                previews::revoke(conn, link_id, now)?;
                Entry::new(
                    &actor,
                    AuditAction::PreviewLinkRevoke,
                    "release",
                    object,
                    now,
                )
                .detail(format!("link {link_id}"))
                .record(conn)
            })?;
            Ok(())
        })
        .await?;
    Ok(release)
}

pub async fn revoke(
    state: State,
    staff: Staff,
    client: Client,
    id: web::Path<i64>,
    _: CsrfOnly,
) -> WebResult {
    let release = revoke_link(&state, &staff, &client, id.into_inner()).await?;
    Ok(views::see_other(format!(
        "/admin/releases/{}/links",
        release.public_id
    )))
}
