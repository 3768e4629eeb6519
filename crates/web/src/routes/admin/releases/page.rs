//! Builds the release editor page: the form (with the editor's own text, whatever happened), its
//! errors, a conflict panel, the preview, and the workflow actions this person may take.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono_tz::Tz;
use dateline_core::workflow::{Transition, available};
use dateline_core::{Contact, Release, ReleaseContent, ReleaseStatus, Role, ValidationErrors};
use dateline_storage::repo::{organizations, revisions, taxonomy, users};
use dateline_storage::visibility::Scope;

use crate::editorial::access::{self, check_edit, is_own};
use crate::editorial::input::ReleaseForm;
use crate::error::WebResult;
use crate::extract::Staff;
use crate::state::AppState;
use crate::views::comparison::{self, Names, SegmentView};
use crate::views::format::{self, local_input};
use crate::views::release::release_path;
use crate::views::{self, BodyHtml, Chrome};

pub struct Choice {
    pub id: i64,
    pub name: String,
    pub checked: bool,
}

pub struct ConflictView {
    pub revision: i64,
    pub who: String,
    pub when: String,
    pub diff: Vec<SegmentView>,
}

pub struct EmbargoView {
    pub iso: String,
    pub newsroom: String,
    pub mine: String,
    pub left: String,
}

#[derive(Template)]
#[template(path = "admin/release_edit.html")]
pub struct EditorPage {
    pub chrome: Chrome,
    pub is_new: bool,
    pub id: String,
    pub title: String,
    pub action: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub revision: i64,
    pub form: ReleaseForm,
    pub errors: ValidationErrors,
    pub error_list: Vec<(String, String)>,
    pub contact_errors: Vec<String>,
    pub saved_first: bool,
    pub organizations: Vec<(String, String)>,
    /// (`organization_id:index`, label) for each contact on file that can be ticked.
    pub suggested_contacts: Vec<(String, String)>,
    pub contact_rows: Vec<Contact>,
    pub categories: Vec<Choice>,
    pub regions: Vec<Choice>,
    pub dateline_preview: String,
    pub preview_html: Option<BodyHtml>,
    pub conflict: Option<ConflictView>,
    pub comments: Vec<(String, String, String)>,
    pub editable: bool,
    pub correcting: bool,
    pub autosave: bool,
    pub is_editor: bool,
    /// Whether the history and comments are this person's to see.
    pub workings: bool,
    pub author: String,
    pub embargo: Option<EmbargoView>,
    pub published: Option<String>,
    pub public_url: Option<String>,
    pub slug: String,
    pub can_submit: bool,
    pub can_approve: bool,
    pub can_publish: bool,
    pub can_send_back: bool,
    pub can_withdraw: bool,
    pub can_reinstate: bool,
    pub zone_choices: Vec<(String, String)>,
    pub form_embargo_local: String,
    pub form_embargo_zone: String,
}

/// What the editor page should show besides the release itself.
#[derive(Default)]
pub struct Extras {
    /// The form as posted (kept whatever went wrong); `None` shows the stored content.
    pub form: Option<ReleaseForm>,
    pub errors: ValidationErrors,
    pub preview: bool,
    /// The revision now stored, when a save lost a race.
    pub conflict_with: Option<i64>,
    pub notice: Option<String>,
    pub embargo_local: Option<String>,
    pub embargo_zone: Option<String>,
    /// The text was saved and only the step after it was refused, so the summary must not say
    /// "nothing was saved".
    pub saved: bool,
}

/// An element id for a field error, so the summary can link to the field.
fn anchor(field: &str) -> String {
    match field {
        f if f.starts_with("contacts[") => "contact_name_1".into(),
        "embargo_at" => "embargo_local".into(),
        "categories" | "regions" => "tags".into(),
        f => f.replace('.', "_"),
    }
}

pub async fn render(
    state: &AppState,
    staff: &Staff,
    release: Option<&Release>,
    extras: Extras,
) -> WebResult<HttpResponse> {
    let title = release
        .map(|r| r.content.headline.clone())
        .unwrap_or_else(|| "New release".into());
    let (chrome, newsroom) = views::staff_chrome(
        state,
        title.clone(),
        staff,
        if release.is_some() { "releases" } else { "new" },
        extras.notice.as_deref(),
    )
    .await?;
    let workings = release.is_none_or(|r| access::can_see_workings(staff, r));
    let release_owned = release.cloned().filter(|_| workings);
    let conflict_rev = extras.conflict_with;
    let (orgs, cats, regs, people, comments, conflict_content) = state
        .db(move |conn| -> WebResult<_> {
            let comments = match &release_owned {
                Some(r) => revisions::comments(conn, r.id)?,
                None => Vec::new(),
            };
            let conflict = match (&release_owned, conflict_rev) {
                (Some(r), Some(n)) => Some(revisions::get(conn, r.id, n)?),
                _ => None,
            };
            Ok((
                organizations::all(conn, Scope::All)?,
                taxonomy::all_categories(conn, Scope::All)?,
                taxonomy::all_regions(conn, Scope::All)?,
                users::all(conn)?,
                comments,
                conflict,
            ))
        })
        .await?;
    let is_editor = staff.user.role >= Role::Editor;
    let default_form = || match release {
        Some(r) => ReleaseForm::from_content(&r.content, r.revision),
        None => ReleaseForm {
            language: newsroom.language.clone(),
            revision: Some(0),
            ..Default::default()
        },
    };
    let form = extras.form.unwrap_or_else(default_form);
    let (content, _) = form.to_content();
    let status = release.map(|r| r.status);
    let correcting = is_editor && status == Some(ReleaseStatus::Published);
    let editable = release.is_none_or(|r| check_edit(staff, r).is_ok()) || correcting;
    let moves = status.map(available).unwrap_or_default();
    let allowed = |t: Transition| {
        moves.contains(&t)
            && dateline_auth::permissions::for_transition(t).granted_to(staff.user.role)
    };
    let own = release.is_some_and(|r| is_own(staff, r));
    let zone = newsroom.time_zone;
    let mine: Tz = staff
        .user
        .time_zone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or(zone);
    let now = state.clock.now();

    let mut contact_rows = content.contacts.clone();
    while contact_rows.len() < 2 || contact_rows.len() < content.contacts.len() + 1 {
        contact_rows.push(Contact::default());
    }
    contact_rows.truncate(10);
    let org_id = content.organization_id;
    // The issuer's contacts on file not on the release yet, to tick instead of retyping.
    let suggested_contacts: Vec<(String, String)> = orgs
        .iter()
        .find(|o| Some(o.id) == org_id)
        .map(|o| {
            o.contacts
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    !content
                        .contacts
                        .iter()
                        .any(|x| x.name == c.name && x.email == c.email)
                })
                .map(|(i, c)| {
                    let label = [
                        c.name.as_str(),
                        c.title.as_str(),
                        c.email.as_str(),
                        c.phone.as_str(),
                    ]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
                    (format!("{}:{i}", o.id), label)
                })
                .collect()
        })
        .unwrap_or_default();
    let names = Names {
        organizations: &orgs,
        categories: &cats,
        regions: &regs,
    };
    let conflict =
        conflict_content.map(
            |(rev, stored): (revisions::Revision, ReleaseContent)| ConflictView {
                revision: rev.revision,
                who: rev.author_name.clone().unwrap_or_else(|| "Someone".into()),
                when: format::relative(rev.created_at, now),
                diff: comparison::segments(&stored, &content, &names),
            },
        );
    let revision = match (conflict_rev, release) {
        // After a conflict the form carries the stored revision: saving again is a deliberate choice.
        (Some(n), _) => n,
        (None, Some(_)) => form.revision.unwrap_or(0),
        (None, None) => 0,
    };
    let mut zone_choices = vec![(
        zone.name().to_owned(),
        format!("{} (newsroom)", zone.name()),
    )];
    if mine != zone {
        zone_choices.push((mine.name().to_owned(), format!("{} (yours)", mine.name())));
    }
    if zone != Tz::UTC && mine != Tz::UTC {
        zone_choices.push(("UTC".into(), "UTC".into()));
    }
    let error_list = extras
        .errors
        .errors
        .iter()
        .map(|e| (anchor(&e.field), e.message.clone()))
        .collect();
    let contact_errors = extras
        .errors
        .errors
        .iter()
        .filter(|e| e.field.starts_with("contacts"))
        .map(|e| {
            format!(
                "{}: {}",
                e.field.replace("contacts[", "Contact ").replace(']', ""),
                e.message
            )
        })
        .collect();
    let status_code = if conflict.is_some() {
        StatusCode::CONFLICT
    } else if extras.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = EditorPage {
        chrome,
        is_new: release.is_none(),
        id: release.map(|r| r.public_id.to_string()).unwrap_or_default(),
        title,
        action: match release {
            None => "/admin/releases".into(),
            Some(r) if correcting => format!("/admin/releases/{}/correct", r.public_id),
            Some(r) => format!("/admin/releases/{}", r.public_id),
        },
        status_label: status.map(|s| s.label()).unwrap_or("New"),
        status_class: status.map(|s| s.as_str()).unwrap_or("draft"),
        revision,
        dateline_preview: content.dateline.to_display(),
        preview_html: extras
            .preview
            .then(|| BodyHtml(dateline_core::content::render_markdown(&content.body))),
        organizations: orgs
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone()))
            .collect(),
        suggested_contacts,
        contact_rows,
        categories: cats
            .iter()
            .map(|c| Choice {
                id: c.id,
                name: c.name.clone(),
                checked: content.category_ids.contains(&c.id),
            })
            .collect(),
        regions: regs
            .iter()
            .map(|c| Choice {
                id: c.id,
                name: c.name.clone(),
                checked: content.region_ids.contains(&c.id),
            })
            .collect(),
        comments: comments
            .into_iter()
            .map(|c| {
                (
                    c.author_name.unwrap_or_else(|| "An editor".into()),
                    format::relative(c.created_at, now),
                    c.body,
                )
            })
            .collect(),
        editable,
        correcting,
        autosave: status == Some(ReleaseStatus::Draft) && editable && conflict.is_none(),
        is_editor,
        workings,
        author: release
            .and_then(|r| r.author_id)
            .and_then(|a| people.iter().find(|u| u.id == a))
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
        embargo: release
            .and_then(|r| r.embargo_at)
            .filter(|_| status == Some(ReleaseStatus::Scheduled))
            .map(|t| EmbargoView {
                iso: t.to_rfc3339(),
                newsroom: format::datetime(t, zone),
                mine: format::datetime(t, mine),
                left: format::relative(t, now),
            }),
        published: release
            .and_then(|r| r.published_at)
            .map(|t| format::datetime(t, zone)),
        public_url: release
            .filter(|r| r.status == ReleaseStatus::Published)
            .map(|r| release_path(r.public_id.as_str(), &r.slug)),
        slug: release.map(|r| r.slug.clone()).unwrap_or_default(),
        can_submit: allowed(Transition::Submit) && (own || is_editor),
        can_approve: allowed(Transition::Approve),
        can_publish: allowed(Transition::Publish),
        can_send_back: allowed(Transition::SendBack),
        can_withdraw: allowed(Transition::Withdraw),
        can_reinstate: allowed(Transition::Reinstate),
        zone_choices,
        form_embargo_local: extras
            .embargo_local
            .unwrap_or_else(|| local_input(now + chrono::Duration::hours(1), zone)),
        form_embargo_zone: extras
            .embargo_zone
            .unwrap_or_else(|| zone.name().to_owned()),
        conflict,
        error_list,
        contact_errors,
        saved_first: extras.saved,
        errors: extras.errors,
        form,
    };
    views::render(status_code, &page)
}
