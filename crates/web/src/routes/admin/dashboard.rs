//! `/admin`: what needs attention. My drafts, what waits for review, what is scheduled (with the
//! embargo in the newsroom's zone and mine, and the time left), what went out lately, and a
//! warning for anything past its embargo that has not gone live.

use askama::Template;
use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use dateline_core::{ReleaseStatus, ReleaseSummary, Role, User, Viewer};

use dateline_storage::repo::releases::{self, StaffFilter};
use dateline_storage::repo::users;
use dateline_storage::{DbConnection, PageRequest, Result as StorageResult};

use crate::error::WebResult;
use crate::extract::{Notice, Staff, State};
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

pub async fn show(state: State, staff: Staff, notice: Notice) -> WebResult {
    let (chrome, newsroom) =
        views::staff_chrome(&state, "Dashboard", &staff, "dashboard", notice.as_deref()).await?;
    let now = state.clock.now();
    let (viewer, me) = (staff.viewer(), staff.user.id);
    let editor = staff.user.role >= Role::Editor;
    let lists = state
        .db(move |conn| Lists::load(conn, viewer, me, editor, now))
        .await?;
    let lines = Lines {
        now,
        zone: newsroom.time_zone,
        mine_zone: staff
            .user
            .time_zone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or(newsroom.time_zone),
        lists: &lists,
    };
    views::ok(&DashboardPage {
        chrome,
        name: staff
            .user
            .display_name
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_owned(),
        greeting: greeting(now.with_timezone(&lines.mine_zone).hour()),
        is_editor: editor,
        drafts: lines.of(&lists.drafts),
        review: lines.of(&lists.review),
        scheduled: lines.of(&lists.scheduled),
        overdue: lines.of(lists.scheduled.iter().filter(|r| {
            r.embargo_at
                .is_some_and(|t| (now - t).num_seconds() > OVERDUE_AFTER_SECONDS)
        })),
        published: lines.of(&lists.published),
    })
}

fn greeting(hour: u32) -> &'static str {
    match hour {
        5..=11 => "morning",
        12..=17 => "afternoon",
        _ => "evening",
    }
}

/// What the dashboard lists, read in one database call.
struct Lists {
    drafts: Vec<ReleaseSummary>,
    review: Vec<ReleaseSummary>,
    scheduled: Vec<ReleaseSummary>,
    published: Vec<ReleaseSummary>,
    people: Vec<User>,
    /// My drafts an editor sent back with a comment.
    sent_back: Vec<i64>,
}

impl Lists {
    /// My drafts; what waits for review and what is scheduled (everyone's for an editor, mine
    /// otherwise, scheduled soonest first); and the latest published.
    fn load(
        conn: &mut DbConnection,
        viewer: Viewer,
        me: i64,
        editor: bool,
        now: DateTime<Utc>,
    ) -> StorageResult<Lists> {
        let mine = |conn: &mut DbConnection, status, n| {
            let filter = StaffFilter {
                status: Some(status),
                author_id: Some(me),
                ..Default::default()
            };
            releases::list_for_staff(conn, viewer, now, &filter, &PageRequest::first(n))
                .map(|p| p.items)
        };
        let drafts = mine(conn, ReleaseStatus::Draft, 20)?;
        let review = if editor {
            releases::by_status(conn, ReleaseStatus::InReview, 50)?
        } else {
            mine(conn, ReleaseStatus::InReview, 20)?
        };
        let mut scheduled = if editor {
            releases::by_status(conn, ReleaseStatus::Scheduled, 100)?
        } else {
            mine(conn, ReleaseStatus::Scheduled, 50)?
        };
        scheduled.sort_by_key(|r| r.embargo_at);
        let latest = StaffFilter {
            status: Some(ReleaseStatus::Published),
            ..Default::default()
        };
        let published =
            releases::list_for_staff(conn, viewer, now, &latest, &PageRequest::first(8))?.items;
        let sent_back = drafts
            .iter()
            .filter(|d| {
                dateline_storage::repo::revisions::comments(conn, d.id)
                    .map(|c| !c.is_empty())
                    .unwrap_or(false)
            })
            .map(|d| d.id)
            .collect();
        Ok(Lists {
            drafts,
            review,
            scheduled,
            published,
            people: users::all(conn)?,
            sent_back,
        })
    }
}

/// Turns releases into dashboard lines, with times in the newsroom's zone and mine.
struct Lines<'a> {
    now: DateTime<Utc>,
    zone: Tz,
    mine_zone: Tz,
    lists: &'a Lists,
}

impl Lines<'_> {
    fn of<'r>(&self, releases: impl IntoIterator<Item = &'r ReleaseSummary>) -> Vec<Line> {
        releases.into_iter().map(|r| self.line(r)).collect()
    }

    fn line(&self, r: &ReleaseSummary) -> Line {
        let (zone, now) = (self.zone, self.now);
        let embargo = r.embargo_at;
        let at = |tz: Tz| embargo.map(|t| format::datetime(t, tz)).unwrap_or_default();
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
                .and_then(|a| self.lists.people.iter().find(|u| u.id == a))
                .map(|u| u.display_name.clone())
                .unwrap_or_default(),
            sent_back: self.lists.sent_back.contains(&r.id),
            embargo_iso: embargo.map(|t| t.to_rfc3339()).unwrap_or_default(),
            embargo_newsroom: at(zone),
            embargo_mine: at(self.mine_zone),
            left: embargo
                .map(|t| format::relative(t, now))
                .unwrap_or_default(),
        }
    }
}
