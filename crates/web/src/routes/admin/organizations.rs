//! `/admin/organizations`: issuers, their "About" boilerplate, website and default contacts.

use actix_web::web;
use askama::Template;
use dateline_core::{Contact, ValidationErrors};
use dateline_storage::repo::audit::AuditAction;
use dateline_storage::repo::media;
use dateline_storage::repo::organizations::{self, OrganizationInput};
use dateline_storage::visibility::Scope;
use serde::Deserialize;

use crate::error::WebResult;
use crate::extract::{Notice, Staff, State};
use crate::routes::forms::{self, CsrfForm, CsrfOnly};
use crate::state::AppState;
use crate::usecases::catalogue::{self, Record};
use crate::views::media::{Figure, LOGO_SIZES};
use crate::views::{self, Chrome};

struct Row {
    id: i64,
    name: String,
    slug: String,
    website: String,
    contacts: usize,
}

#[derive(Template)]
#[template(path = "admin/organizations.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
}

pub async fn list(state: State, staff: Staff, notice: Notice) -> WebResult {
    let (chrome, _) = views::staff_chrome(
        &state,
        "Organizations",
        &staff,
        "organizations",
        notice.as_deref(),
    )
    .await?;
    let all = state
        .db(|conn| organizations::all(conn, Scope::All))
        .await?;
    views::ok(&ListPage {
        chrome,
        rows: all
            .into_iter()
            .map(|o| Row {
                id: o.id,
                name: o.name,
                slug: o.slug,
                website: o.website,
                contacts: o.contacts.len(),
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "admin/organization_edit.html")]
struct EditPage {
    chrome: Chrome,
    is_new: bool,
    id: i64,
    action: String,
    revision: i64,
    name: String,
    slug: String,
    website: String,
    boilerplate: String,
    contacts: Vec<Contact>,
    errors: ValidationErrors,
    /// The current logo: its media id and a picture of it.
    logo: Option<(i64, Figure)>,
}

#[derive(Deserialize, Default, Clone)]
pub struct OrganizationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    boilerplate: String,
    #[serde(default)]
    contact_name: Vec<String>,
    #[serde(default)]
    contact_title: Vec<String>,
    #[serde(default)]
    contact_email: Vec<String>,
    #[serde(default)]
    contact_phone: Vec<String>,
    revision: Option<i64>,
}

impl OrganizationForm {
    fn input(&self) -> OrganizationInput {
        let at =
            |v: &Vec<String>, i: usize| v.get(i).map(|s| s.trim().to_owned()).unwrap_or_default();
        let rows = self.contact_name.len().max(self.contact_email.len());
        OrganizationInput {
            name: self.name.clone(),
            slug: self.slug.trim().to_owned(),
            website: self.website.trim().to_owned(),
            boilerplate: self.boilerplate.clone(),
            contacts: (0..rows)
                .map(|i| Contact {
                    name: at(&self.contact_name, i),
                    title: at(&self.contact_title, i),
                    email: at(&self.contact_email, i),
                    phone: at(&self.contact_phone, i),
                })
                .filter(|c| !c.is_empty())
                .collect(),
        }
    }
}

async fn edit_page(
    state: &AppState,
    staff: &Staff,
    id: Option<i64>,
    rejected: Option<(OrganizationForm, ValidationErrors)>,
    notice: Option<&str>,
) -> WebResult {
    let (form, errors) = rejected.unzip();
    let errors = errors.unwrap_or_default();
    let (existing, logo) = match id {
        Some(id) => {
            let (o, files) = state
                .db(move |conn| -> WebResult<_> {
                    Ok((
                        organizations::get(conn, id)?,
                        media::for_organization(conn, id)?,
                    ))
                })
                .await?;
            let logo = files
                .iter()
                .find_map(|m| Some((m.id, Figure::new(m, LOGO_SIZES)?)));
            (Some(o), logo)
        }
        None => (None, None),
    };
    let title = existing
        .as_ref()
        .map(|o| o.name.clone())
        .unwrap_or_else(|| "New organization".into());
    let (chrome, _) = views::staff_chrome(state, title, staff, "organizations", notice).await?;
    let form = form.unwrap_or_else(|| match &existing {
        Some(o) => OrganizationForm {
            name: o.name.clone(),
            slug: o.slug.clone(),
            website: o.website.clone(),
            boilerplate: o.boilerplate.clone(),
            contact_name: o.contacts.iter().map(|c| c.name.clone()).collect(),
            contact_title: o.contacts.iter().map(|c| c.title.clone()).collect(),
            contact_email: o.contacts.iter().map(|c| c.email.clone()).collect(),
            contact_phone: o.contacts.iter().map(|c| c.phone.clone()).collect(),
            revision: Some(o.revision),
        },
        None => OrganizationForm::default(),
    });
    let mut contacts = form.input().contacts;
    contacts.push(Contact::default());
    if contacts.len() < 2 {
        contacts.push(Contact::default());
    }
    views::render(
        views::form_status(&errors),
        &EditPage {
            chrome,
            is_new: existing.is_none(),
            id: id.unwrap_or_default(),
            action: id
                .map(|i| format!("/admin/organizations/{i}"))
                .unwrap_or_else(|| "/admin/organizations".into()),
            revision: form.revision.unwrap_or_default(),
            name: form.name,
            slug: form.slug,
            website: form.website,
            boilerplate: form.boilerplate,
            contacts,
            errors,
            logo,
        },
    )
}

pub async fn new_form(state: State, staff: Staff) -> WebResult {
    edit_page(&state, &staff, None, None, None).await
}

pub async fn edit(state: State, staff: Staff, id: web::Path<i64>, notice: Notice) -> WebResult {
    edit_page(
        &state,
        &staff,
        Some(id.into_inner()),
        None,
        notice.as_deref(),
    )
    .await
}

fn record(staff: &Staff, action: AuditAction) -> Record {
    Record::new(staff.actor(), action, "organization")
}

pub async fn create(
    state: State,
    staff: Staff,
    CsrfForm(f): CsrfForm<OrganizationForm>,
) -> WebResult {
    let input = f.input();
    let created = catalogue::change(
        &state,
        record(&staff, AuditAction::OrganizationCreate),
        move |conn| {
            let id = organizations::create(conn, &input)?.id;
            Ok((id, id.to_string()))
        },
    )
    .await;
    forms::redirect_or_again(
        created,
        |id| format!("/admin/organizations/{id}?notice=created"),
        |e| edit_page(&state, &staff, None, Some((f, e)), None),
    )
    .await
}

pub async fn save(
    state: State,
    staff: Staff,
    id: web::Path<i64>,
    CsrfForm(f): CsrfForm<OrganizationForm>,
) -> WebResult {
    let id = id.into_inner();
    let input = f.input();
    let revision = forms::loaded_revision(f.revision)?;
    let saved = catalogue::change(
        &state,
        record(&staff, AuditAction::OrganizationUpdate),
        move |conn| {
            organizations::update(conn, id, revision, &input)?;
            Ok(((), id.to_string()))
        },
    )
    .await;
    forms::redirect_or_again(
        saved,
        |()| format!("/admin/organizations/{id}?notice=saved"),
        |e| edit_page(&state, &staff, Some(id), Some((f, e)), None),
    )
    .await
}

pub async fn delete(state: State, staff: Staff, id: web::Path<i64>, _: CsrfOnly) -> WebResult {
    let id = id.into_inner();
    catalogue::change(
        &state,
        record(&staff, AuditAction::OrganizationDelete),
        move |conn| {
            organizations::delete(conn, id)?;
            Ok(((), id.to_string()))
        },
    )
    .await?;
    Ok(views::see_other("/admin/organizations?notice=deleted"))
}
