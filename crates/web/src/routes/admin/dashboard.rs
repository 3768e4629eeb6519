//! `/admin`: what needs attention. My drafts, what waits for review, what is scheduled (with the
//! embargo in the newsroom's zone and mine, and the time left), what went out lately, and a
//! warning for anything past its embargo that has not gone live.

use actix_web::web;
use askama::Template;
use chrono::Timelike;
use chrono_tz::Tz;
use dateline_core::{ReleaseStatus, ReleaseSummary, Role};
use dateline_storage::PageRequest;
use dateline_storage::repo::releases::{self, StaffFilter};
use dateline_storage::repo::users;

use crate::error::WebResult;
use crate::extract::{Notice, Staff};
use crate::state::AppState;
use crate::views::release::release_path;
use crate::views::{self, Chrome, format};

/// A scheduled release this long past its embargo without going live is shown as overdue.
pub const OVERDUE_AFTER_SECONDS: i64 = 60;

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    name: String,
    greeting: &'static str,
    is_editor: bool,
    drafts: Vec<Line>,
    review: Vec<Line>,
    scheduled: Vec<Line>,
    overdue: Vec<Line>,
    published: Vec<Line>,
}

struct Line {
    headline: String,
    edit: String,
    public: String,
    changed: String,
    author: String,
    sent_back: bool,
    embargo_iso: String,
    embargo_newsroom: String,
    embargo_mine: String,
    left: String,
}

pub async fn show(state: web::Data<AppState>, staff: Staff, notice: Notice) -> WebResult {
    let (chrome, newsroom) =
        views::staff_chrome(&state, "Dashboard", &staff, "dashboard", notice.as_deref()).await?;
    let now = state.clock.now();
    let viewer = staff.viewer();
    let me = staff.user.id;
    let editor = staff.user.role >= Role::Editor;
    let (drafts, review, scheduled, published, people, sent_back) = state
        .db(move |conn| -> WebResult<_> {
            let mine = |status| StaffFilter {
                status: Some(status),
                author_id: Some(me),
                ..Default::default()
            };
            let drafts = releases::list_for_staff(
                conn,
                viewer,
                now,
                &mine(ReleaseStatus::Draft),
                &PageRequest::first(20),
            )?
            .items;
            let review = if editor {
                releases::by_status(conn, ReleaseStatus::InReview, 50)?
            } else {
                releases::list_for_staff(
                    conn,
                    viewer,
                    now,
                    &mine(ReleaseStatus::InReview),
                    &PageRequest::first(20),
                )?
                .items
            };
            let mut scheduled = if editor {
                releases::by_status(conn, ReleaseStatus::Scheduled, 100)?
            } else {
                releases::list_for_staff(
                    conn,
                    viewer,
                    now,
                    &mine(ReleaseStatus::Scheduled),
                    &PageRequest::first(50),
                )?
                .items
            };
            scheduled.sort_by_key(|r| r.embargo_at);
            let published = releases::list_for_staff(
                conn,
                viewer,
                now,
                &StaffFilter {
                    status: Some(ReleaseStatus::Published),
                    ..Default::default()
                },
                &PageRequest::first(8),
            )?
            .items;
            let sent_back: Vec<i64> = drafts
                .iter()
                .filter(|d| {
                    dateline_storage::repo::revisions::comments(conn, d.id)
                        .map(|c| !c.is_empty())
                        .unwrap_or(false)
                })
                .map(|d| d.id)
                .collect();
            Ok((
                drafts,
                review,
                scheduled,
                published,
                users::all(conn)?,
                sent_back,
            ))
        })
        .await?;
    let mine_zone: Tz = staff
        .user
        .time_zone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or(newsroom.time_zone);
    let zone = newsroom.time_zone;
    let line = |r: &ReleaseSummary| {
        let embargo = r.embargo_at;
        Line {
            headline: r.headline.clone(),
            edit: format!("/admin/releases/{}", r.public_id),
            public: release_path(r.public_id.as_str(), &r.slug),
            changed: match (r.status, r.published_at) {
                (ReleaseStatus::Published, Some(p)) => {
                    format!("published {}", format::datetime(p, zone))
                }
                _ => format::relative(r.updated_at, now),
            },
            author: r
                .author_id
                .and_then(|a| people.iter().find(|u| u.id == a))
                .map(|u| u.display_name.clone())
                .unwrap_or_default(),
            sent_back: sent_back.contains(&r.id),
            embargo_iso: embargo.map(|t| t.to_rfc3339()).unwrap_or_default(),
            embargo_newsroom: embargo
                .map(|t| format::datetime(t, zone))
                .unwrap_or_default(),
            embargo_mine: embargo
                .map(|t| format::datetime(t, mine_zone))
                .unwrap_or_default(),
            left: embargo
                .map(|t| format::relative(t, now))
                .unwrap_or_default(),
        }
    };
    let overdue = scheduled
        .iter()
        .filter(|r| {
            r.embargo_at
                .is_some_and(|t| (now - t).num_seconds() > OVERDUE_AFTER_SECONDS)
        })
        .map(line)
        .collect();
    let hour = now.with_timezone(&mine_zone).hour();
    views::ok(&DashboardPage {
        chrome,
        name: staff
            .user
            .display_name
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_owned(),
        greeting: match hour {
            5..=11 => "morning",
            12..=17 => "afternoon",
            _ => "evening",
        },
        is_editor: editor,
        drafts: drafts.iter().map(line).collect(),
        review: review.iter().map(line).collect(),
        scheduled: scheduled.iter().map(line).collect(),
        overdue,
        published: published.iter().map(line).collect(),
    })
}
