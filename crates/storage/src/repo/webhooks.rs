//! Webhook endpoints and their deliveries. Deliveries are an outbox: [`enqueue`] runs inside the
//! publish pipeline's transaction, and the scheduler of any instance claims due deliveries with
//! a short lease ([`claim`]), sends them, and writes each attempt ([`record_attempt`]). A sender
//! that dies mid-request leaves its lease to expire and another instance tries again, so a
//! receiver may see a delivery twice and never zero times; the delivery id in the headers lets
//! it tell.

use chrono::{DateTime, NaiveDateTime, Utc};
use dateline_core::Release;
use dateline_core::webhook::{Event, Notice, events_from_text, events_to_text};
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError, found};
use crate::schema::{webhook_attempts, webhook_deliveries, webhooks};
use crate::time::{from_db, opt_from_db, to_db};

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// An endpoint as the admin registered it. `secret` is the sealed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub events: Vec<Event>,
    pub secret: String,
    pub allow_private: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

type WebhookRow = (
    i64,
    String,
    String,
    String,
    String,
    bool,
    bool,
    Option<i64>,
    NaiveDateTime,
    NaiveDateTime,
);

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.0,
            url: r.1,
            description: r.2,
            events: events_from_text(&r.3),
            secret: r.4,
            allow_private: r.5,
            active: r.6,
            created_at: from_db(r.8),
            updated_at: from_db(r.9),
        }
    }
}

/// What an admin sets on an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub url: String,
    pub description: String,
    pub events: Vec<Event>,
    pub allow_private: bool,
    pub active: bool,
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Webhook>> {
    let rows: Vec<WebhookRow> = webhooks::table.order(webhooks::id).load(conn)?;
    Ok(rows.into_iter().map(Webhook::from).collect())
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<Webhook> {
    found(webhooks::table.find(id).first::<WebhookRow>(conn))
}

pub fn create(
    conn: &mut DbConnection,
    settings: &Settings,
    sealed_secret: &str,
    created_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Webhook> {
    write_tx(conn, |conn| {
        let row: WebhookRow = diesel::insert_into(webhooks::table)
            .values((
                webhooks::url.eq(&settings.url),
                webhooks::description.eq(&settings.description),
                webhooks::events.eq(events_to_text(&settings.events)),
                webhooks::secret.eq(sealed_secret),
                webhooks::allow_private.eq(settings.allow_private),
                webhooks::active.eq(settings.active),
                webhooks::created_by.eq(created_by),
                webhooks::created_at.eq(to_db(now)),
                webhooks::updated_at.eq(to_db(now)),
            ))
            .get_result(conn)?;
        Ok(Webhook::from(row))
    })
}

pub fn update(
    conn: &mut DbConnection,
    id: i64,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Webhook> {
    let n = diesel::update(webhooks::table.find(id))
        .set((
            webhooks::url.eq(&settings.url),
            webhooks::description.eq(&settings.description),
            webhooks::events.eq(events_to_text(&settings.events)),
            webhooks::allow_private.eq(settings.allow_private),
            webhooks::active.eq(settings.active),
            webhooks::updated_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StorageError::NotFound);
    }
    get(conn, id)
}

pub fn replace_secret(
    conn: &mut DbConnection,
    id: i64,
    sealed_secret: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let n = diesel::update(webhooks::table.find(id))
        .set((
            webhooks::secret.eq(sealed_secret),
            webhooks::updated_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

/// Every endpoint's id and sealed secret, for re-sealing under a new server key.
pub fn secrets(conn: &mut DbConnection) -> Result<Vec<(i64, String)>> {
    Ok(webhooks::table
        .select((webhooks::id, webhooks::secret))
        .order(webhooks::id)
        .load(conn)?)
}

/// Deletes an endpoint with its delivery log.
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<()> {
    write_tx(conn, |conn| {
        let deliveries = webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .select(webhook_deliveries::id);
        diesel::delete(
            webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
        )
        .execute(conn)?;
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
            .execute(conn)?;
        match diesel::delete(webhooks::table.find(id)).execute(conn)? {
            0 => Err(StorageError::NotFound),
            _ => Ok(()),
        }
    })
}

/// Owes every active endpoint that listens to `event` a delivery describing `release` now.
/// Called inside the transaction that makes the change, so the two commit or fail together.
pub fn enqueue(
    conn: &mut DbConnection,
    event: Event,
    release: &Release,
    note: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let listening: Vec<(i64, String)> = webhooks::table
        .filter(webhooks::active.eq(true))
        .select((webhooks::id, webhooks::events))
        .load(conn)?;
    let payload = serde_json::to_string(&Notice::new(event, release, note, now))
        .map_err(|e| StorageError::Corrupt(format!("webhook payload: {e}")))?;
    let mut owed = 0;
    for (webhook_id, events) in listening {
        if !events_from_text(&events).contains(&event) {
            continue;
        }
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::webhook_id.eq(webhook_id),
                webhook_deliveries::event.eq(event.as_str()),
                webhook_deliveries::release_id.eq(Some(release.id)),
                webhook_deliveries::payload.eq(&payload),
                webhook_deliveries::state.eq(PENDING),
                webhook_deliveries::attempts.eq(0),
                webhook_deliveries::next_attempt_at.eq(to_db(now)),
                webhook_deliveries::last_error.eq(""),
                webhook_deliveries::created_at.eq(to_db(now)),
            ))
            .execute(conn)?;
        owed += 1;
    }
    Ok(owed)
}

/// A delivery as the admin's log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub release_id: Option<i64>,
    pub payload: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

type DeliveryRow = (
    i64,
    i64,
    String,
    Option<i64>,
    String,
    String,
    i32,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<i32>,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

impl From<DeliveryRow> for Delivery {
    fn from(r: DeliveryRow) -> Self {
        Delivery {
            id: r.0,
            webhook_id: r.1,
            event: r.2,
            release_id: r.3,
            payload: r.4,
            state: r.5,
            attempts: r.6,
            next_attempt_at: from_db(r.7),
            last_status: r.9,
            last_error: r.10,
            created_at: from_db(r.11),
            finished_at: opt_from_db(r.12),
        }
    }
}

/// The newest deliveries to one endpoint.
pub fn deliveries(conn: &mut DbConnection, webhook_id: i64, limit: i64) -> Result<Vec<Delivery>> {
    let rows: Vec<DeliveryRow> = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(Delivery::from).collect())
}

pub fn delivery(conn: &mut DbConnection, id: i64) -> Result<Delivery> {
    found(
        webhook_deliveries::table
            .find(id)
            .first::<DeliveryRow>(conn),
    )
}

/// One try at sending a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; `None` when no answer came.
    pub status: Option<i32>,
    pub error: String,
    pub duration_ms: i32,
}

pub fn attempts(conn: &mut DbConnection, delivery_id: i64) -> Result<Vec<Attempt>> {
    let rows: Vec<(NaiveDateTime, Option<i32>, String, i32)> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq(delivery_id))
        .order(webhook_attempts::id)
        .select((
            webhook_attempts::attempted_at,
            webhook_attempts::status,
            webhook_attempts::error,
            webhook_attempts::duration_ms,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(at, status, error, duration_ms)| Attempt {
            attempted_at: from_db(at),
            status,
            error,
            duration_ms,
        })
        .collect())
}

/// A delivery claimed for sending, with what the sender needs of its endpoint.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub delivery_id: i64,
    pub event: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i32,
    pub webhook: Webhook,
}

/// Claims up to `limit` deliveries that are due and not being sent by another instance, for
/// `lease`. Each claim is a conditional update, so of two instances only one gets a delivery.
pub fn claim(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> Result<Vec<Outgoing>> {
    let free = webhook_deliveries::locked_until
        .is_null()
        .or(webhook_deliveries::locked_until.le(to_db(now)));
    let candidates: Vec<i64> = webhook_deliveries::table
        .filter(webhook_deliveries::state.eq(PENDING))
        .filter(webhook_deliveries::next_attempt_at.le(to_db(now)))
        .filter(free)
        .order(webhook_deliveries::next_attempt_at)
        .select(webhook_deliveries::id)
        .limit(limit)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in candidates {
        let free = webhook_deliveries::locked_until
            .is_null()
            .or(webhook_deliveries::locked_until.le(to_db(now)));
        let won = diesel::update(
            webhook_deliveries::table
                .find(id)
                .filter(webhook_deliveries::state.eq(PENDING))
                .filter(free),
        )
        .set(webhook_deliveries::locked_until.eq(Some(to_db(now + lease))))
        .execute(conn)?;
        if won == 1 {
            let d = delivery(conn, id)?;
            claimed.push(Outgoing {
                delivery_id: d.id,
                event: d.event,
                payload: d.payload,
                attempts: d.attempts,
                webhook: get(conn, d.webhook_id)?,
            });
        }
    }
    Ok(claimed)
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(DateTime<Utc>),
    GiveUp,
}

/// Writes an attempt and moves the delivery on, releasing its lease.
pub fn record_attempt(
    conn: &mut DbConnection,
    delivery_id: i64,
    attempt: &Attempt,
    next: Next,
) -> Result<()> {
    write_tx(conn, |conn| {
        diesel::insert_into(webhook_attempts::table)
            .values((
                webhook_attempts::delivery_id.eq(delivery_id),
                webhook_attempts::attempted_at.eq(to_db(attempt.attempted_at)),
                webhook_attempts::status.eq(attempt.status),
                webhook_attempts::error.eq(&attempt.error),
                webhook_attempts::duration_ms.eq(attempt.duration_ms),
            ))
            .execute(conn)?;
        let (state, next_at, finished) = match next {
            Next::Delivered => (DELIVERED, attempt.attempted_at, Some(attempt.attempted_at)),
            Next::RetryAt(at) => (PENDING, at, None),
            Next::GiveUp => (FAILED, attempt.attempted_at, Some(attempt.attempted_at)),
        };
        diesel::update(webhook_deliveries::table.find(delivery_id))
            .set((
                webhook_deliveries::state.eq(state),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::next_attempt_at.eq(to_db(next_at)),
                webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
                webhook_deliveries::last_status.eq(attempt.status),
                webhook_deliveries::last_error.eq(&attempt.error),
                webhook_deliveries::finished_at.eq(finished.map(to_db)),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Puts a delivery that failed or is waiting for a retry back in line now. A delivery already
/// delivered stays as it is. Returns whether it was queued.
pub fn send_again(conn: &mut DbConnection, delivery_id: i64, now: DateTime<Utc>) -> Result<bool> {
    let n = diesel::update(
        webhook_deliveries::table
            .find(delivery_id)
            .filter(webhook_deliveries::state.ne(DELIVERED)),
    )
    .set((
        webhook_deliveries::state.eq(PENDING),
        webhook_deliveries::next_attempt_at.eq(to_db(now)),
        webhook_deliveries::finished_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// When the next pending delivery falls due, so the scheduler can wake for it.
pub fn next_due(conn: &mut DbConnection) -> Result<Option<DateTime<Utc>>> {
    let at: Option<NaiveDateTime> = webhook_deliveries::table
        .filter(webhook_deliveries::state.eq(PENDING))
        .select(diesel::dsl::min(webhook_deliveries::next_attempt_at))
        .first(conn)?;
    Ok(opt_from_db(at))
}

/// Deletes deliveries that finished before `before`, with their attempts: the log keeps a
/// window, not everything ever sent.
pub fn purge_finished(conn: &mut DbConnection, before: DateTime<Utc>) -> Result<usize> {
    write_tx(conn, |conn| {
        let old = webhook_deliveries::table
            .filter(webhook_deliveries::state.ne(PENDING))
            .filter(webhook_deliveries::finished_at.lt(to_db(before)))
            .select(webhook_deliveries::id);
        diesel::delete(webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(old)))
            .execute(conn)?;
        Ok(diesel::delete(
            webhook_deliveries::table
                .filter(webhook_deliveries::state.ne(PENDING))
                .filter(webhook_deliveries::finished_at.lt(to_db(before))),
        )
        .execute(conn)?)
    })
}

/// Counts of each endpoint's deliveries by state, for the list page: (pending, delivered,
/// failed).
pub fn counts(conn: &mut DbConnection, webhook_id: i64) -> Result<(i64, i64, i64)> {
    let rows: Vec<(String, i64)> = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .group_by(webhook_deliveries::state)
        .select((webhook_deliveries::state, diesel::dsl::count_star()))
        .load(conn)?;
    let of = |s: &str| {
        rows.iter()
            .find(|(state, _)| state == s)
            .map_or(0, |(_, n)| *n)
    };
    Ok((of(PENDING), of(DELIVERED), of(FAILED)))
}
