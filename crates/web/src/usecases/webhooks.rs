//! Registering and looking after webhook endpoints: the checks on what an admin typed, the
//! sealing of each new secret, and an audit row for every change, in one transaction each.

use chrono::{DateTime, Utc};
use dateline_auth::SecretKey;
use dateline_auth::webhook_signature::new_secret;
use dateline_core::ValidationErrors;
use dateline_core::webhook::{Event, check_endpoint};
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::webhooks::{self, Settings, Webhook};
use dateline_storage::{DbConnection, StorageError, write_tx};

use super::Caller;
use crate::webhooks::secrets;

/// An endpoint as the form sends it.
#[derive(Debug, Clone, Default)]
pub struct EndpointInput {
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub allow_private: bool,
    pub active: bool,
}

/// The longest description kept.
const DESCRIPTION_MAX: usize = 200;

/// Checks the form: a usable address, at least one known event, a short description.
pub fn settings(input: &EndpointInput) -> Result<Settings, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let url = check_endpoint(&input.url).unwrap_or_else(|errors| {
        e.errors.extend(errors.errors);
        String::new()
    });
    let mut events = Vec::new();
    for name in &input.events {
        match Event::parse(name) {
            Some(event) if !events.contains(&event) => events.push(event),
            Some(_) => {}
            None => e.add(
                "events",
                format!("{name:?} is not an event Dateline sends."),
            ),
        }
    }
    if events.is_empty() && e.for_field("events").is_none() {
        e.add("events", "Choose at least one event to send.");
    }
    e.line("description", &input.description, false, DESCRIPTION_MAX);
    if !e.is_empty() {
        return Err(e);
    }
    Ok(Settings {
        url,
        description: input.description.trim().to_owned(),
        events,
        allow_private: input.allow_private,
        active: input.active,
    })
}

fn describe(s: &Settings) -> String {
    let events: Vec<&str> = s.events.iter().map(|e| e.as_str()).collect();
    format!(
        "{} [{}]{}{}",
        s.url,
        events.join(" "),
        if s.allow_private {
            ", private addresses allowed"
        } else {
            ""
        },
        if s.active { "" } else { ", paused" }
    )
}

/// Registers an endpoint with a new secret, which the endpoint's page shows.
pub fn register(
    conn: &mut DbConnection,
    key: &SecretKey,
    caller: &Caller,
    input: &EndpointInput,
    now: DateTime<Utc>,
) -> Result<Webhook, StorageError> {
    let settings = settings(input)?;
    let sealed = secrets::seal(key, &new_secret())
        .map_err(|e| StorageError::Corrupt(format!("sealing a webhook secret: {e}")))?;
    write_tx(conn, |conn| {
        let hook = webhooks::create(conn, &settings, &sealed, caller.user_id, now)?;
        Entry::new(
            &caller.actor,
            AuditAction::WebhookCreate,
            "webhook",
            hook.id,
            now,
        )
        .detail(describe(&settings))
        .record(conn)?;
        Ok(hook)
    })
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    input: &EndpointInput,
    now: DateTime<Utc>,
) -> Result<Webhook, StorageError> {
    let settings = settings(input)?;
    write_tx(conn, |conn| {
        let hook = webhooks::update(conn, id, &settings, now)?;
        Entry::new(
            &caller.actor,
            AuditAction::WebhookUpdate,
            "webhook",
            id,
            now,
        )
        .detail(describe(&settings))
        .record(conn)?;
        Ok(hook)
    })
}

/// Replaces the secret; deliveries from now on are signed with the new one.
pub fn rotate_secret(
    conn: &mut DbConnection,
    key: &SecretKey,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let sealed = secrets::seal(key, &new_secret())
        .map_err(|e| StorageError::Corrupt(format!("sealing a webhook secret: {e}")))?;
    write_tx(conn, |conn| {
        webhooks::replace_secret(conn, id, &sealed, now)?;
        Entry::new(
            &caller.actor,
            AuditAction::WebhookSecretRotate,
            "webhook",
            id,
            now,
        )
        .record(conn)
    })
}

/// Removes an endpoint and its delivery log; deliveries still owed to it are dropped.
pub fn delete(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    write_tx(conn, |conn| {
        let hook = webhooks::get(conn, id)?;
        webhooks::delete(conn, id)?;
        Entry::new(
            &caller.actor,
            AuditAction::WebhookDelete,
            "webhook",
            id,
            now,
        )
        .detail(hook.url)
        .record(conn)
    })
}

/// Puts a failed or waiting delivery of endpoint `webhook_id` back in line now. `false` when it
/// was already delivered.
pub fn send_again(
    conn: &mut DbConnection,
    caller: &Caller,
    webhook_id: i64,
    delivery_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    write_tx(conn, |conn| {
        let delivery = webhooks::delivery(conn, delivery_id)?;
        if delivery.webhook_id != webhook_id {
            return Err(StorageError::NotFound);
        }
        let queued = webhooks::send_again(conn, delivery_id, now)?;
        if queued {
            Entry::new(
                &caller.actor,
                AuditAction::WebhookResend,
                "webhook",
                webhook_id,
                now,
            )
            .detail(format!("delivery {delivery_id} ({})", delivery.event))
            .record(conn)?;
        }
        Ok(queued)
    })
}
