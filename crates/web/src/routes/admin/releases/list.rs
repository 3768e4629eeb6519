//! `/admin/releases`: every release the person may see, most recently changed first, filtered by
//! status, organization, author and text.

use actix_web::web;
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use dateline_core::{ReleaseStatus, ReleaseSummary, User};
use dateline_storage::repo::releases::{self, StaffFilter};
use dateline_storage::repo::{organizations, users};
use dateline_storage::visibility::Scope;
use dateline_storage::{Cursor, PageRequest};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Staff, State};
use crate::pagination::cursor;
use crate::views::{self, Chrome, format};

#[derive(Template)]
#[template(path = "admin/releases.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    statuses: Vec<(&'static str, &'static str)>,
    organizations: Vec<(String, String)>,
    authors: Vec<(String, String)>,
    f_text: String,
    f_status: String,
    f_org: String,
    f_author: String,
    next_page: Option<String>,
}

struct Row {
    edit: String,
    headline: String,
    status: &'static str,
    status_class: &'static str,
    organization: String,
    author: String,
    changed: String,
    embargo: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    organization: Option<String>,
    author: Option<String>,
    after: Option<String>,
}

fn opt_id(v: &Option<String>, field: &str) -> WebResult<Option<i64>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| WebError::invalid(field, "Choose from the list.")),
    }
}

/// The filter the query asks for; a status or id that is not one is a 422 naming the field.
fn staff_filter(q: &ListQuery) -> WebResult<StaffFilter> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.parse::<ReleaseStatus>()
                .map_err(|e| WebError::invalid("status", e.to_string()))?,
        ),
    };
    Ok(StaffFilter {
        status,
        organization_id: opt_id(&q.organization, "organization")?,
        author_id: opt_id(&q.author, "author")?,
        text: q.q.as_deref().map(|t| t.chars().take(200).collect()),
    })
}

pub async fn list(state: State, staff: Staff, q: web::Query<ListQuery>) -> WebResult {
    let after = cursor(q.after.as_deref())?;
    let filter = staff_filter(&q)?;
    let f_text = filter.text.clone().unwrap_or_default();
    let (viewer, now) = (staff.viewer(), state.clock.now());
    let (page, orgs, people) = state
        .db(move |conn| -> WebResult<_> {
            Ok((
                releases::list_for_staff(
                    conn,
                    viewer,
                    now,
                    &filter,
                    &PageRequest::after(after, 50),
                )?,
                organizations::all(conn, Scope::All)?,
                users::all(conn)?,
            ))
        })
        .await?;
    let (chrome, newsroom) =
        views::staff_chrome(&state, "Releases", &staff, "releases", None).await?;
    let zone = newsroom.time_zone;
    views::ok(&ListPage {
        chrome,
        rows: page
            .items
            .iter()
            .map(|r| Row::new(r, &people, now, zone))
            .collect(),
        statuses: ReleaseStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        organizations: views::organization_choices(&orgs),
        authors: people
            .iter()
            .map(|u| (u.id.to_string(), u.display_name.clone()))
            .collect(),
        f_text,
        f_status: q.status.clone().unwrap_or_default(),
        f_org: q.organization.clone().unwrap_or_default(),
        f_author: q.author.clone().unwrap_or_default(),
        next_page: page.next.map(|c| next_page(&q, &c)),
    })
}

/// The address of the next page: the same filters, after the last row shown.
fn next_page(q: &ListQuery, after: &Cursor) -> String {
    let after = after.encode();
    fn given(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }
    crate::pagination::link(
        "/admin/releases",
        [
            ("q", given(&q.q)),
            ("status", given(&q.status)),
            ("organization", given(&q.organization)),
            ("author", given(&q.author)),
            ("after", &after),
        ],
    )
}

impl Row {
    fn new(r: &ReleaseSummary, people: &[User], now: DateTime<Utc>, zone: Tz) -> Self {
        Row {
            edit: format!("/admin/releases/{}", r.public_id),
            headline: r.headline.clone(),
            status: r.status.label(),
            status_class: r.status.as_str(),
            organization: r
                .organization
                .as_ref()
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            author: r
                .author_id
                .and_then(|a| people.iter().find(|u| u.id == a))
                .map(|u| u.display_name.clone())
                .unwrap_or_default(),
            changed: format::relative(r.updated_at, now),
            embargo: r
                .embargo_at
                .filter(|_| r.status == ReleaseStatus::Scheduled)
                .map(|t| format::datetime(t, zone)),
        }
    }
}
