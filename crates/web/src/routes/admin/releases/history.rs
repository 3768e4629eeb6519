//! A release's history: every revision, any one of them as readers would see it, a word-level
//! comparison of any two, and restoring one as a new revision. Every id in the address is checked
//! against the release the person may read (`docs/security.md` Z2).

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use dateline_core::ReleaseStatus;
use dateline_storage::repo::{organizations, revisions, taxonomy};
use dateline_storage::visibility::Scope;
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Staff, State, Visitor};
use crate::routes::forms::CsrfForm;
use crate::state::AppState;
use crate::usecases::access;
use crate::usecases::releases;
use crate::views::comparison::{self, Names, SegmentView};
use crate::views::{self, Chrome, format};

#[derive(Template)]
#[template(path = "admin/release_history.html")]
struct HistoryPage {
    chrome: Chrome,
    id: String,
    headline: String,
    revisions: Vec<RevisionRow>,
    current: i64,
    default_from: i64,
    default_to: i64,
    can_restore: bool,
    /// Restoring publishes a correction, so the form asks for its public note.
    live: bool,
    /// A refused restore: the message, the revision it was for and the note as typed.
    error: Option<String>,
    error_revision: i64,
    typed_note: String,
}

/// A restore the pipeline refused, shown on the history page with what was typed.
struct Refusal {
    revision: i64,
    note: String,
    message: String,
    status: StatusCode,
}

struct RevisionRow {
    revision: i64,
    action: String,
    note: String,
    status: String,
    who: String,
    when: String,
}

pub async fn history(state: State, staff: Staff, id: web::Path<String>) -> WebResult {
    let release = access::load_workings(&state, &staff, &id).await?;
    history_page(&state, &staff, &release, None).await
}

async fn history_page(
    state: &AppState,
    staff: &Staff,
    release: &dateline_core::Release,
    refused: Option<Refusal>,
) -> WebResult {
    let (chrome, newsroom) = views::staff_chrome(state, "History", staff, "releases", None).await?;
    let rid = release.id;
    let list = state.db(move |conn| revisions::list(conn, rid)).await?;
    let zone = newsroom.time_zone;
    // On a live release a restore is a correction, an editor's move; withdrawn text changes
    // only after reinstatement.
    let live = release.status == ReleaseStatus::Published;
    let can_restore = match release.status {
        ReleaseStatus::Published => staff.user.role.is_staff_editor(),
        ReleaseStatus::Withdrawn => false,
        _ => access::check_edit(staff, release).is_ok(),
    };
    let status = refused.as_ref().map_or(StatusCode::OK, |r| r.status);
    let (error, error_revision, typed_note) = match refused {
        Some(r) => (Some(r.message), r.revision, r.note),
        None => (None, 0, String::new()),
    };
    views::render(
        status,
        &HistoryPage {
            chrome,
            id: release.public_id.to_string(),
            headline: release.content.headline.clone(),
            current: release.revision,
            default_to: release.revision,
            // The list is newest first and may skip numbers (autosaves replace each other).
            default_from: list.get(1).map_or(release.revision, |r| r.revision),
            can_restore,
            live,
            error,
            error_revision,
            typed_note,
            revisions: list
                .into_iter()
                .map(|r| RevisionRow {
                    revision: r.revision,
                    action: r.action.replace('_', " "),
                    note: r.note,
                    status: r.status.replace('_', " "),
                    who: r.author_name.unwrap_or_else(|| "—".into()),
                    when: format::datetime(r.created_at, zone),
                })
                .collect(),
        },
    )
}

/// One revision as readers would have seen it.
pub async fn revision(state: State, staff: Staff, path: web::Path<(String, i64)>) -> WebResult {
    let (id, n) = path.into_inner();
    let mut release = access::load_workings(&state, &staff, &id).await?;
    let rid = release.id;
    let (rev, content) = state.db(move |conn| revisions::get(conn, rid, n)).await?;
    release.body_html = dateline_core::content::render_markdown(&content.body);
    release.content = content;
    let now = state.clock.now();
    let loaded = state
        .db(move |conn| crate::views::release_page::load_page(conn, release, now))
        .await?;
    let newsroom = views::load_newsroom(&state).await?;
    let banner = Some(format!(
        "Revision {} ({}), saved {}. This is a historical version, not what readers see now.",
        rev.revision,
        rev.action.replace('_', " "),
        format::datetime(rev.created_at, newsroom.time_zone)
    ));
    let visitor = Visitor(Some(staff.0.clone()));
    let mut page =
        crate::views::release_page::release_page(&state, &newsroom, &visitor, loaded, banner);
    page.chrome.noindex = true;
    views::ok(&page)
}

#[derive(Template)]
#[template(path = "admin/release_compare.html")]
struct ComparePage {
    chrome: Chrome,
    id: String,
    from: i64,
    to: i64,
    segments: Vec<SegmentView>,
    unchanged: bool,
}

#[derive(Deserialize)]
pub struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
}

/// A revision number from the address: a positive whole number, or a 400 naming the parameter.
fn revision_param(raw: Option<&str>, parameter: &str) -> WebResult<Option<i64>> {
    crate::query::given(raw)
        .map(|v| {
            crate::query::bounded(v, i64::MAX).ok_or_else(|| {
                WebError::bad_query(parameter, "Give a revision number from the history.")
            })
        })
        .transpose()
}

pub async fn compare(
    state: State,
    staff: Staff,
    id: web::Path<String>,
    q: web::Query<CompareQuery>,
) -> WebResult {
    let release = access::load_workings(&state, &staff, &id).await?;
    let to = revision_param(q.to.as_deref(), "to")?.unwrap_or(release.revision);
    let rid = release.id;
    let asked_from = revision_param(q.from.as_deref(), "from")?;
    let (from, old, new, orgs, cats, regs) = state
        .db(move |conn| -> WebResult<_> {
            let from = match asked_from {
                Some(f) => f,
                None => revisions::previous(conn, rid, to)?.unwrap_or(to),
            };
            let old = revisions::get(conn, rid, from)?.1;
            let new = revisions::get(conn, rid, to)?.1;
            Ok((
                from,
                old,
                new,
                organizations::all(conn, Scope::All)?,
                taxonomy::all_categories(conn, Scope::All)?,
                taxonomy::all_regions(conn, Scope::All)?,
            ))
        })
        .await?;
    let names = Names {
        organizations: &orgs,
        categories: &cats,
        regions: &regs,
    };
    let segments = comparison::segments(&old, &new, &names);
    let (chrome, _) =
        views::staff_chrome(&state, "Compare revisions", &staff, "releases", None).await?;
    let unchanged = comparison::unchanged(&segments);
    views::ok(&ComparePage {
        chrome,
        id: release.public_id.to_string(),
        from,
        to,
        segments,
        unchanged,
    })
}

#[derive(Deserialize)]
pub struct RestoreForm {
    revision: Option<i64>,
    /// The public correction note, when restoring onto a live release.
    #[serde(default)]
    note: String,
}

pub async fn restore(
    state: State,
    staff: Staff,
    path: web::Path<(String, i64)>,
    CsrfForm(f): CsrfForm<RestoreForm>,
) -> WebResult {
    let caller = staff.caller();
    let (id, n) = path.into_inner();
    let release = access::load_workings(&state, &staff, &id).await?;
    if n < 1 || n > release.revision {
        return Err(WebError::NotFound);
    }
    // A missing or over-long note, or nothing to restore: the page again, note as typed.
    let (message, status) =
        match releases::restore(&state, &caller, &release, n, f.revision, &f.note).await {
            Ok(restored) => {
                return Ok(views::see_other(format!(
                    "/admin/releases/{}?notice=restored",
                    restored.public_id
                )));
            }
            Err(WebError::Invalid(errors)) => {
                let messages: Vec<&str> =
                    errors.errors.iter().map(|e| e.message.as_str()).collect();
                (messages.join(" "), StatusCode::UNPROCESSABLE_ENTITY)
            }
            Err(WebError::Conflict {
                message,
                current_revision: None,
            }) => (message, StatusCode::CONFLICT),
            Err(e) => return Err(e),
        };
    let refusal = Refusal {
        revision: n,
        note: f.note,
        message,
        status,
    };
    history_page(&state, &staff, &release, Some(refusal)).await
}
