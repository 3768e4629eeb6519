//! `/admin/audit`: the append-only audit log, filterable, newest first. Admins only.

use actix_web::web;
use askama::Template;
use chrono::SecondsFormat;
use chrono_tz::Tz;
use dateline_storage::PageRequest;
use dateline_storage::repo::audit::{self, AuditFilter, AuditRow};
use dateline_storage::repo::users;
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Staff, State};
use crate::pagination::{self, cursor};
use crate::query::Day;
use crate::views::{self, Chrome, format};

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<Row>,
    actions: Vec<String>,
    people: Vec<(String, String)>,
    filter_action: String,
    filter_actor: String,
    filter_result: String,
    filter_from: String,
    filter_to: String,
    next_page: Option<String>,
}

struct Row {
    iso: String,
    utc: String,
    local: String,
    actor: String,
    ip: String,
    action: String,
    object: String,
    result: String,
    detail: String,
    request_id: String,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    result: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

pub async fn list(state: State, staff: Staff, q: web::Query<AuditQuery>) -> WebResult {
    let after = cursor(q.after.as_deref())?;
    let filter = q.filter()?;
    let (chrome, newsroom) =
        views::staff_chrome(&state, "Audit log", &staff, "audit", None).await?;
    let (page, actions, people) = state
        .db(move |conn| -> WebResult<_> {
            Ok((
                audit::list(conn, &filter, &PageRequest::after(after, 50))?,
                audit::actions(conn)?,
                users::all(conn)?,
            ))
        })
        .await?;
    let zone = newsroom.time_zone;
    views::ok(&AuditPage {
        chrome,
        rows: page.items.into_iter().map(|r| Row::new(r, zone)).collect(),
        actions,
        people: people
            .into_iter()
            .map(|u| (u.id.to_string(), u.email))
            .collect(),
        filter_action: nonempty(&q.action).unwrap_or_default(),
        filter_actor: nonempty(&q.actor).unwrap_or_default(),
        filter_result: nonempty(&q.result).unwrap_or_default(),
        filter_from: nonempty(&q.from).unwrap_or_default(),
        filter_to: nonempty(&q.to).unwrap_or_default(),
        next_page: page.next.map(|c| q.page_after(&c.encode())),
    })
}

impl AuditQuery {
    /// The filter the reader chose; a value no menu offers is a 422 naming the field.
    fn filter(&self) -> WebResult<AuditFilter> {
        let actor_id = match nonempty(&self.actor) {
            Some(a) => Some(
                a.parse::<i64>()
                    .map_err(|_| WebError::invalid("actor", "Choose a person from the list."))?,
            ),
            None => None,
        };
        let result = nonempty(&self.result);
        if result
            .as_deref()
            .is_some_and(|r| !["ok", "denied", "failed"].contains(&r))
        {
            return Err(WebError::invalid("result", "Choose ok, denied or failed."));
        }
        let from = Day::param(self.from.as_deref(), "from")?;
        let to = Day::param(self.to.as_deref(), "to")?;
        Ok(AuditFilter {
            action: nonempty(&self.action).map(|a| a.chars().take(64).collect()),
            actor_id,
            result,
            from: from.map(Day::start),
            until: to.and_then(Day::end),
            ..Default::default()
        })
    }

    /// The next page of the same filtered list.
    fn page_after(&self, after: &str) -> String {
        fn given(v: &Option<String>) -> &str {
            v.as_deref().map_or("", str::trim)
        }
        let params = [
            ("action", &self.action),
            ("actor", &self.actor),
            ("result", &self.result),
            ("from", &self.from),
            ("to", &self.to),
        ];
        pagination::link(
            "/admin/audit",
            params
                .into_iter()
                .map(|(k, v)| (k, given(v)))
                .chain([("after", after)]),
        )
    }
}

impl Row {
    fn new(r: AuditRow, zone: Tz) -> Row {
        Row {
            iso: r.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            utc: r.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            local: format::datetime(r.at, zone),
            actor: if r.actor_label.is_empty() {
                "—".into()
            } else {
                r.actor_label
            },
            ip: r.ip,
            action: r.action,
            object: if r.object_id.is_empty() {
                r.object_type
            } else {
                format!("{} {}", r.object_type, r.object_id)
            },
            result: r.result,
            detail: r.detail,
            request_id: r.request_id,
        }
    }
}
