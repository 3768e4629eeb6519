//! The append-only audit log. Rows are only ever inserted; both backends refuse UPDATE and DELETE
//! with a trigger. The one exception is [`prune_before`], an operator's retention policy.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::Result;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{audit_log, audit_prune_permits};
use crate::time::{from_db, to_db};

/// Who did something, from where. Built by the web layer from the vetted client address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// A readable name for the log page: an email, "scheduler", "cli", or the attempted email.
    pub label: String,
    pub ip: String,
    pub request_id: String,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Actor {
            label: label.to_owned(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub outcome: Outcome,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// Control characters are escaped so one row can never pretend to be two lines in an export.
fn clean(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

pub fn record(conn: &mut DbConnection, e: &Entry<'_>) -> Result<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(to_db(e.at)),
            audit_log::actor_id.eq(e.actor.user_id),
            audit_log::actor_label.eq(clean(&e.actor.label, 200)),
            audit_log::ip.eq(clean(&e.actor.ip, 64)),
            audit_log::action.eq(e.action),
            audit_log::object_type.eq(e.object_type),
            audit_log::object_id.eq(clean(&e.object_id, 100)),
            audit_log::result.eq(e.outcome.as_str()),
            audit_log::request_id.eq(clean(&e.actor.request_id, 64)),
            audit_log::detail.eq(clean(&e.detail, 1_000)),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub ip: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub result: String,
    pub request_id: String,
    pub detail: String,
}

#[derive(Queryable)]
struct Row {
    id: i64,
    at: NaiveDateTime,
    actor_id: Option<i64>,
    actor_label: String,
    ip: String,
    action: String,
    object_type: String,
    object_id: String,
    result: String,
    request_id: String,
    detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<i64>,
    pub result: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditRow>> {
    let mut q = audit_log::table
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(page.fetch())
        .into_boxed();
    if let Some(a) = &filter.action {
        q = q.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(a) = filter.actor_id {
        q = q.filter(audit_log::actor_id.eq(a));
    }
    if let Some(r) = &filter.result {
        q = q.filter(audit_log::result.eq(r.clone()));
    }
    if let Some(t) = &filter.object_type {
        q = q.filter(audit_log::object_type.eq(t.clone()));
    }
    if let Some(o) = &filter.object_id {
        q = q.filter(audit_log::object_id.eq(o.clone()));
    }
    if let Some(f) = filter.from {
        q = q.filter(audit_log::at.ge(to_db(f)));
    }
    if let Some(u) = filter.until {
        q = q.filter(audit_log::at.lt(to_db(u)));
    }
    if let Some(c) = &page.after {
        let t = to_db(c.time_key().unwrap_or_default());
        q = q.filter(
            audit_log::at
                .lt(t)
                .or(audit_log::at.eq(t).and(audit_log::id.lt(c.id))),
        );
    }
    let rows: Vec<AuditRow> = q
        .load::<Row>(conn)?
        .into_iter()
        .map(|r| AuditRow {
            id: r.id,
            at: from_db(r.at),
            actor_id: r.actor_id,
            actor_label: r.actor_label,
            ip: r.ip,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            result: r.result,
            request_id: r.request_id,
            detail: r.detail,
        })
        .collect();
    Ok(Page::from_overfetch(rows, page.limit, |r| {
        Cursor::time(r.at, r.id)
    }))
}

/// The distinct actions present, for the filter menu.
pub fn actions(conn: &mut DbConnection) -> Result<Vec<String>> {
    Ok(audit_log::table
        .select(audit_log::action)
        .distinct()
        .order(audit_log::action.asc())
        .load(conn)?)
}

pub fn count_action(conn: &mut DbConnection, action: &str, object_id: &str) -> Result<i64> {
    Ok(audit_log::table
        .filter(audit_log::action.eq(action))
        .filter(audit_log::object_id.eq(object_id))
        .count()
        .get_result(conn)?)
}

/// Deletes the rows from before `cutoff` and returns how many went. The trigger that keeps the
/// log append-only lets a row go only while a permit with a later cutoff exists; the permit is
/// written and removed inside this transaction, so no other connection ever sees it and no
/// other statement can use it.
pub fn prune_before(conn: &mut DbConnection, cutoff: DateTime<Utc>) -> Result<usize> {
    write_tx(conn, |conn| {
        let permit: i64 = diesel::insert_into(audit_prune_permits::table)
            .values(audit_prune_permits::cutoff.eq(to_db(cutoff)))
            .returning(audit_prune_permits::id)
            .get_result(conn)?;
        let removed = diesel::delete(audit_log::table.filter(audit_log::at.lt(to_db(cutoff))))
            .execute(conn)?;
        diesel::delete(audit_prune_permits::table.find(permit)).execute(conn)?;
        Ok(removed)
    })
}
