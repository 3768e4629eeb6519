//! `/admin/webhooks`: endpoints that hear of publications, corrections and withdrawals, and the
//! log of every delivery with the receiver's status codes. Admins only.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use dateline_core::ValidationErrors;
use dateline_core::webhook::Event;
use dateline_storage::repo::webhooks::{self as repo, Attempt, Delivery, Webhook};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Notice, Staff, State};
use crate::routes::forms::{CsrfForm, CsrfOnly};
use crate::usecases::webhooks::{self as usecase, EndpointInput};
use crate::views::{self, Chrome, format};
use crate::webhooks::secrets;

/// Deliveries shown on an endpoint's page, newest first.
const LOG_ROWS: i64 = 50;

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct ListPage {
    chrome: Chrome,
    endpoints: Vec<EndpointRow>,
    form: FormView,
}

struct EndpointRow {
    id: i64,
    url: String,
    description: String,
    events: String,
    active: bool,
    allow_private: bool,
    pending: i64,
    delivered: i64,
    failed: i64,
}

/// The endpoint form as shown: what was typed, with one checkbox per event.
struct FormView {
    url: String,
    description: String,
    events: Vec<(&'static str, &'static str, bool)>,
    allow_private: bool,
    active: bool,
    errors: ValidationErrors,
}

impl FormView {
    fn of(input: &EndpointInput, errors: ValidationErrors) -> Self {
        FormView {
            url: input.url.clone(),
            description: input.description.clone(),
            events: Event::ALL
                .iter()
                .map(|e| {
                    (
                        e.as_str(),
                        e.label(),
                        input.events.iter().any(|n| n == e.as_str()),
                    )
                })
                .collect(),
            allow_private: input.allow_private,
            active: input.active,
            errors,
        }
    }

    fn blank() -> Self {
        let all = Event::ALL.iter().map(|e| e.as_str().to_owned()).collect();
        FormView::of(
            &EndpointInput {
                events: all,
                active: true,
                ..EndpointInput::default()
            },
            ValidationErrors::new(),
        )
    }

    fn of_webhook(hook: &Webhook) -> Self {
        FormView::of(
            &EndpointInput {
                url: hook.url.clone(),
                description: hook.description.clone(),
                events: hook.events.iter().map(|e| e.as_str().to_owned()).collect(),
                allow_private: hook.allow_private,
                active: hook.active,
            },
            ValidationErrors::new(),
        )
    }
}

#[derive(Deserialize)]
pub struct EndpointForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    events: Vec<String>,
    allow_private: Option<String>,
    active: Option<String>,
}

impl EndpointForm {
    fn input(self) -> EndpointInput {
        EndpointInput {
            url: self.url,
            description: self.description,
            events: self.events,
            allow_private: self.allow_private.as_deref() == Some("true"),
            active: self.active.as_deref() == Some("true"),
        }
    }
}

pub async fn list(state: State, staff: Staff, notice: Notice) -> WebResult {
    list_page(
        &state,
        &staff,
        notice.as_deref(),
        FormView::blank(),
        StatusCode::OK,
    )
    .await
}

async fn list_page(
    state: &State,
    staff: &Staff,
    notice: Option<&str>,
    form: FormView,
    status: StatusCode,
) -> WebResult {
    let (chrome, _) = views::staff_chrome(state, "Webhooks", staff, "webhooks", notice).await?;
    let endpoints = state
        .db(|conn| -> WebResult<_> {
            let mut rows = Vec::new();
            for hook in repo::list(conn)? {
                let (pending, delivered, failed) = repo::counts(conn, hook.id)?;
                rows.push(EndpointRow {
                    id: hook.id,
                    events: event_labels(&hook.events),
                    url: hook.url,
                    description: hook.description,
                    active: hook.active,
                    allow_private: hook.allow_private,
                    pending,
                    delivered,
                    failed,
                });
            }
            Ok(rows)
        })
        .await?;
    views::render(
        status,
        &ListPage {
            chrome,
            endpoints,
            form,
        },
    )
}

fn event_labels(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| e.label())
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn create(state: State, staff: Staff, CsrfForm(f): CsrfForm<EndpointForm>) -> WebResult {
    let input = f.input();
    let (key, caller, now) = (state.key.clone(), staff.caller(), state.clock.now());
    let typed = input.clone();
    let created = state
        .db(move |conn| usecase::register(conn, &key, &caller, &typed, now))
        .await;
    match created {
        Ok(hook) => Ok(views::see_other(format!(
            "/admin/webhooks/{}?notice=webhook-created",
            hook.id
        ))),
        Err(WebError::Invalid(errors)) => {
            let form = FormView::of(&input, errors);
            list_page(&state, &staff, None, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
struct EndpointPage {
    chrome: Chrome,
    id: i64,
    url: String,
    secret: Option<String>,
    form: FormView,
    deliveries: Vec<DeliveryRow>,
}

struct DeliveryRow {
    id: i64,
    event: String,
    state: String,
    created: String,
    status: String,
    attempts: i32,
    next_attempt: String,
    last_error: String,
    can_resend: bool,
    tries: Vec<TryRow>,
    payload: String,
}

struct TryRow {
    at: String,
    status: String,
    error: String,
    duration_ms: i32,
}

fn status_text(status: Option<i32>) -> String {
    status.map_or_else(|| "no answer".to_owned(), |s| s.to_string())
}

impl DeliveryRow {
    fn new(d: Delivery, tries: Vec<Attempt>, zone: Tz, now: DateTime<Utc>) -> Self {
        let pending = d.state == repo::PENDING;
        DeliveryRow {
            id: d.id,
            created: format::datetime(d.created_at, zone),
            status: if d.attempts == 0 {
                "not tried yet".to_owned()
            } else {
                status_text(d.last_status)
            },
            next_attempt: if pending {
                format::relative(d.next_attempt_at, now)
            } else {
                String::new()
            },
            can_resend: d.state != repo::DELIVERED,
            attempts: d.attempts,
            last_error: d.last_error,
            payload: pretty(&d.payload),
            event: d.event,
            state: d.state,
            tries: tries
                .into_iter()
                .map(|a| TryRow {
                    at: format::datetime(a.attempted_at, zone),
                    status: status_text(a.status),
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

fn pretty(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| payload.to_owned())
}

pub async fn show(state: State, staff: Staff, id: web::Path<i64>, notice: Notice) -> WebResult {
    endpoint_page(&state, &staff, id.into_inner(), notice.as_deref(), None).await
}

/// The endpoint's page; `form` carries a rejected edit so what was typed is kept.
async fn endpoint_page(
    state: &State,
    staff: &Staff,
    id: i64,
    notice: Option<&str>,
    form: Option<FormView>,
) -> WebResult {
    let (chrome, newsroom) =
        views::staff_chrome(state, "Webhook", staff, "webhooks", notice).await?;
    let (zone, now) = (newsroom.time_zone, state.clock.now());
    let (hook, deliveries) = state
        .db(move |conn| -> WebResult<_> {
            let hook = repo::get(conn, id)?;
            let mut rows = Vec::new();
            for d in repo::deliveries(conn, id, LOG_ROWS)? {
                let tries = repo::attempts(conn, d.id)?;
                rows.push(DeliveryRow::new(d, tries, zone, now));
            }
            Ok((hook, rows))
        })
        .await?;
    let status = views::rejected_status(form.is_some());
    let page = EndpointPage {
        chrome,
        id,
        secret: secrets::open(&state.key, &hook.secret),
        form: form.unwrap_or_else(|| FormView::of_webhook(&hook)),
        url: hook.url,
        deliveries,
    };
    views::render(status, &page)
}

pub async fn save(
    state: State,
    staff: Staff,
    id: web::Path<i64>,
    CsrfForm(f): CsrfForm<EndpointForm>,
) -> WebResult {
    let id = id.into_inner();
    let input = f.input();
    let (caller, now, typed) = (staff.caller(), state.clock.now(), input.clone());
    let saved = state
        .db(move |conn| usecase::update(conn, &caller, id, &typed, now))
        .await;
    match saved {
        Ok(_) => Ok(views::see_other(format!(
            "/admin/webhooks/{id}?notice=saved"
        ))),
        Err(WebError::Invalid(errors)) => {
            let form = FormView::of(&input, errors);
            endpoint_page(&state, &staff, id, None, Some(form)).await
        }
        Err(e) => Err(e),
    }
}

pub async fn rotate_secret(
    state: State,
    staff: Staff,
    id: web::Path<i64>,
    _: CsrfOnly,
) -> WebResult {
    let id = id.into_inner();
    let (key, caller, now) = (state.key.clone(), staff.caller(), state.clock.now());
    state
        .db(move |conn| usecase::rotate_secret(conn, &key, &caller, id, now))
        .await?;
    Ok(views::see_other(format!(
        "/admin/webhooks/{id}?notice=secret-rotated"
    )))
}

pub async fn delete(state: State, staff: Staff, id: web::Path<i64>, _: CsrfOnly) -> WebResult {
    let id = id.into_inner();
    let (caller, now) = (staff.caller(), state.clock.now());
    state
        .db(move |conn| usecase::delete(conn, &caller, id, now))
        .await?;
    Ok(views::see_other("/admin/webhooks?notice=deleted"))
}

pub async fn resend(
    state: State,
    staff: Staff,
    path: web::Path<(i64, i64)>,
    _: CsrfOnly,
) -> WebResult {
    let (id, delivery) = path.into_inner();
    let (caller, now) = (staff.caller(), state.clock.now());
    let queued = state
        .db(move |conn| usecase::send_again(conn, &caller, id, delivery, now))
        .await?;
    let notice = if queued {
        "resent"
    } else {
        "already-delivered"
    };
    Ok(views::see_other(format!(
        "/admin/webhooks/{id}?notice={notice}#delivery-{delivery}"
    )))
}
