//! Builds the release editor page: the form (with the editor's own text, whatever happened), its
//! errors, a conflict panel, the preview, and the workflow actions this person may take.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use dateline_core::workflow::{Transition, available};
use dateline_core::{
    Category, Contact, Organization, Region, Release, ReleaseContent, ReleaseStatus, Role, User,
    ValidationErrors,
};
use dateline_storage::repo::media::{self, Media};
use dateline_storage::repo::{organizations, revisions, taxonomy, users};
use dateline_storage::visibility::Scope;

use crate::error::WebResult;
use crate::extract::Staff;
use crate::newsroom::Newsroom;
use crate::routes::public::media::url as media_url;
use crate::state::AppState;
use crate::usecases::access::{self, check_edit, is_own};
use crate::usecases::input::ReleaseForm;
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
    /// What to check before saving a release read from wire text.
    pub checks: Vec<String>,
    /// The release's pictures and documents.
    pub files: Vec<FileRow>,
    /// Whether files may be added or removed now (as the text may be edited).
    pub can_change_files: bool,
}

/// One file in the editor's list.
pub struct FileRow {
    pub id: i64,
    pub thumb: Option<String>,
    pub href: String,
    pub name: String,
    pub about: String,
    pub alt: String,
}

impl FileRow {
    fn new(m: &Media) -> FileRow {
        let kind = m.kind.as_str().to_uppercase();
        let size = crate::views::media::human_size(m.byte_size);
        FileRow {
            id: m.id,
            thumb: m.renditions.first().map(|r| media_url(&r.sha256, r.format)),
            href: media_url(&m.sha256, m.kind),
            name: m.original_name.clone(),
            about: match m.dimensions {
                Some((w, h)) => format!("{kind}, {w}×{h}, {size}"),
                None => format!("{kind}, {size}"),
            },
            alt: m.alt.clone(),
        }
    }
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
    /// What the wire-text parser was unsure of, for the editor to check before saving.
    pub checks: Vec<String>,
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
    let stored = Stored::load(
        state,
        release.cloned().filter(|_| workings),
        extras.conflict_with,
    )
    .await?;
    let view = View::new(state, staff, release, &newsroom, workings);
    let page = view.page(chrome, title, stored, extras);
    let status_code = if page.conflict.is_some() {
        StatusCode::CONFLICT
    } else {
        views::form_status(&page.errors)
    };
    views::render(status_code, &page)
}

/// What the page reads from storage besides the release: the lists its form offers, the
/// comments, and the stored revision a save lost to.
struct Stored {
    organizations: Vec<Organization>,
    categories: Vec<Category>,
    regions: Vec<Region>,
    people: Vec<User>,
    comments: Vec<revisions::ReviewComment>,
    conflict: Option<(revisions::Revision, ReleaseContent)>,
    files: Vec<Media>,
}

impl Stored {
    /// `release` is `None` for a new release and for a person who may not see its workings.
    async fn load(
        state: &AppState,
        release: Option<Release>,
        conflict_rev: Option<i64>,
    ) -> WebResult<Self> {
        state
            .db(move |conn| -> WebResult<_> {
                let comments = match &release {
                    Some(r) => revisions::comments(conn, r.id)?,
                    None => Vec::new(),
                };
                let conflict = match (&release, conflict_rev) {
                    (Some(r), Some(n)) => Some(revisions::get(conn, r.id, n)?),
                    _ => None,
                };
                let files = match &release {
                    Some(r) => media::for_releases(conn, &[r.id])?
                        .remove(&r.id)
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                Ok(Stored {
                    files,
                    organizations: organizations::all(conn, Scope::All)?,
                    categories: taxonomy::all_categories(conn, Scope::All)?,
                    regions: taxonomy::all_regions(conn, Scope::All)?,
                    people: users::all(conn)?,
                    comments,
                    conflict,
                })
            })
            .await
    }

    fn names(&self) -> Names<'_> {
        Names {
            organizations: &self.organizations,
            categories: &self.categories,
            regions: &self.regions,
        }
    }
}

/// Who is looking at which release, and when: what every part of the page depends on.
struct View<'a> {
    staff: &'a Staff,
    release: Option<&'a Release>,
    newsroom_language: String,
    status: Option<ReleaseStatus>,
    is_editor: bool,
    correcting: bool,
    editable: bool,
    workings: bool,
    /// The newsroom's time zone, and the person's own (the newsroom's unless they chose one).
    zone: Tz,
    mine: Tz,
    now: DateTime<Utc>,
}

impl<'a> View<'a> {
    fn new(
        state: &AppState,
        staff: &'a Staff,
        release: Option<&'a Release>,
        newsroom: &Newsroom,
        workings: bool,
    ) -> Self {
        let is_editor = staff.user.role >= Role::Editor;
        let status = release.map(|r| r.status);
        let correcting = is_editor && status == Some(ReleaseStatus::Published);
        let zone = newsroom.time_zone;
        View {
            staff,
            release,
            newsroom_language: newsroom.language.clone(),
            status,
            is_editor,
            correcting,
            editable: release.is_none_or(|r| check_edit(staff, r).is_ok()) || correcting,
            workings,
            zone,
            mine: staff
                .user
                .time_zone
                .as_deref()
                .and_then(|z| z.parse().ok())
                .unwrap_or(zone),
            now: state.clock.now(),
        }
    }

    fn page(&self, chrome: Chrome, title: String, stored: Stored, extras: Extras) -> EditorPage {
        let release = self.release;
        let form = extras.form.unwrap_or_else(|| self.stored_form());
        let (content, _) = form.to_content();
        let conflict = self.conflict(&stored, &content);
        EditorPage {
            files: stored.files.iter().map(FileRow::new).collect(),
            can_change_files: release.is_some_and(|r| check_edit(self.staff, r).is_ok()),
            checks: extras.checks,
            chrome,
            is_new: release.is_none(),
            id: release.map(|r| r.public_id.to_string()).unwrap_or_default(),
            title,
            action: self.action(),
            status_label: self.status.map(|s| s.label()).unwrap_or("New"),
            status_class: self.status.map(|s| s.as_str()).unwrap_or("draft"),
            revision: self.revision(extras.conflict_with, &form),
            dateline_preview: content.dateline.to_display(),
            preview_html: extras
                .preview
                .then(|| BodyHtml(dateline_core::content::render_markdown(&content.body))),
            organizations: views::organization_choices(&stored.organizations),
            suggested_contacts: suggested_contacts(&stored.organizations, &content),
            contact_rows: contact_rows(&content),
            categories: choices(
                stored.categories.iter().map(|c| (c.id, &c.name)),
                &content.category_ids,
            ),
            regions: choices(
                stored.regions.iter().map(|c| (c.id, &c.name)),
                &content.region_ids,
            ),
            comments: self.comments(stored.comments),
            editable: self.editable,
            correcting: self.correcting,
            autosave: self.status == Some(ReleaseStatus::Draft)
                && self.editable
                && conflict.is_none(),
            is_editor: self.is_editor,
            workings: self.workings,
            author: self.author(&stored.people),
            embargo: self.embargo(),
            published: release
                .and_then(|r| r.published_at)
                .map(|t| format::datetime(t, self.zone)),
            public_url: self.public_url(),
            slug: release.map(|r| r.slug.clone()).unwrap_or_default(),
            can_submit: self.allowed(Transition::Submit)
                && (release.is_some_and(|r| is_own(self.staff, r)) || self.is_editor),
            can_approve: self.allowed(Transition::Approve),
            can_publish: self.allowed(Transition::Publish),
            can_send_back: self.allowed(Transition::SendBack),
            can_withdraw: self.allowed(Transition::Withdraw),
            can_reinstate: self.allowed(Transition::Reinstate),
            zone_choices: self.zone_choices(),
            form_embargo_local: extras
                .embargo_local
                .unwrap_or_else(|| local_input(self.now + chrono::Duration::hours(1), self.zone)),
            form_embargo_zone: extras
                .embargo_zone
                .unwrap_or_else(|| self.zone.name().to_owned()),
            conflict,
            error_list: error_list(&extras.errors),
            contact_errors: contact_errors(&extras.errors),
            saved_first: extras.saved,
            errors: extras.errors,
            form,
        }
    }

    /// The form as stored: the release's content, or an empty one in the newsroom's language.
    fn stored_form(&self) -> ReleaseForm {
        match self.release {
            Some(r) => ReleaseForm::from_content(&r.content, r.revision),
            None => ReleaseForm {
                language: self.newsroom_language.clone(),
                revision: Some(0),
                ..Default::default()
            },
        }
    }

    fn action(&self) -> String {
        match self.release {
            None => "/admin/releases".into(),
            Some(r) if self.correcting => format!("/admin/releases/{}/correct", r.public_id),
            Some(r) => format!("/admin/releases/{}", r.public_id),
        }
    }

    fn revision(&self, conflict_rev: Option<i64>, form: &ReleaseForm) -> i64 {
        match (conflict_rev, self.release) {
            // After a conflict the form carries the stored revision: saving again is a deliberate choice.
            (Some(n), _) => n,
            (None, Some(_)) => form.revision.unwrap_or(0),
            (None, None) => 0,
        }
    }

    /// Whether the workflow allows this move now and this person's role may make it.
    fn allowed(&self, t: Transition) -> bool {
        self.status.map(available).unwrap_or_default().contains(&t)
            && dateline_auth::permissions::for_transition(t).granted_to(self.staff.user.role)
    }

    /// The saved revision a save lost to, compared with the text the editor just sent.
    fn conflict(&self, stored: &Stored, content: &ReleaseContent) -> Option<ConflictView> {
        stored.conflict.as_ref().map(|(rev, saved)| ConflictView {
            revision: rev.revision,
            who: rev.author_name.clone().unwrap_or_else(|| "Someone".into()),
            when: format::relative(rev.created_at, self.now),
            diff: comparison::segments(saved, content, &stored.names()),
        })
    }

    fn comments(&self, comments: Vec<revisions::ReviewComment>) -> Vec<(String, String, String)> {
        comments
            .into_iter()
            .map(|c| {
                (
                    c.author_name.unwrap_or_else(|| "An editor".into()),
                    format::relative(c.created_at, self.now),
                    c.body,
                )
            })
            .collect()
    }

    fn author(&self, people: &[User]) -> String {
        self.release
            .and_then(|r| r.author_id)
            .and_then(|a| people.iter().find(|u| u.id == a))
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    }

    /// Where readers find the release, once it is public.
    fn public_url(&self) -> Option<String> {
        self.release
            .filter(|r| r.status == ReleaseStatus::Published)
            .map(|r| release_path(r.public_id.as_str(), &r.slug))
    }

    fn embargo(&self) -> Option<EmbargoView> {
        self.release
            .and_then(|r| r.embargo_at)
            .filter(|_| self.status == Some(ReleaseStatus::Scheduled))
            .map(|t| EmbargoView {
                iso: t.to_rfc3339(),
                newsroom: format::datetime(t, self.zone),
                mine: format::datetime(t, self.mine),
                left: format::relative(t, self.now),
            })
    }

    /// The zones an embargo may be given in: the newsroom's, the person's own, and UTC.
    fn zone_choices(&self) -> Vec<(String, String)> {
        let (zone, mine) = (self.zone, self.mine);
        let mut choices = vec![(
            zone.name().to_owned(),
            format!("{} (newsroom)", zone.name()),
        )];
        if mine != zone {
            choices.push((mine.name().to_owned(), format!("{} (yours)", mine.name())));
        }
        if zone != Tz::UTC && mine != Tz::UTC {
            choices.push(("UTC".into(), "UTC".into()));
        }
        choices
    }
}

/// The contact rows the form prints: those given, then blanks (at least two, one spare, ten at most).
fn contact_rows(content: &ReleaseContent) -> Vec<Contact> {
    let mut rows = content.contacts.clone();
    while rows.len() < 2 || rows.len() < content.contacts.len() + 1 {
        rows.push(Contact::default());
    }
    rows.truncate(10);
    rows
}

/// The issuer's contacts on file not on the release yet, to tick instead of retyping.
fn suggested_contacts(orgs: &[Organization], content: &ReleaseContent) -> Vec<(String, String)> {
    let Some(o) = orgs.iter().find(|o| Some(o.id) == content.organization_id) else {
        return Vec::new();
    };
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
}

/// Checkboxes for categories or regions, ticked where the release has them.
fn choices<'n>(items: impl Iterator<Item = (i64, &'n String)>, checked: &[i64]) -> Vec<Choice> {
    items
        .map(|(id, name)| Choice {
            id,
            name: name.clone(),
            checked: checked.contains(&id),
        })
        .collect()
}

/// The error summary: each message with the element it belongs to.
fn error_list(errors: &ValidationErrors) -> Vec<(String, String)> {
    errors
        .errors
        .iter()
        .map(|e| (anchor(&e.field), e.message.clone()))
        .collect()
}

/// Contact errors again beside the contact rows, named by row.
fn contact_errors(errors: &ValidationErrors) -> Vec<String> {
    errors
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
        .collect()
}
