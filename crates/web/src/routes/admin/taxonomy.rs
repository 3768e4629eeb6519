//! `/admin/taxonomy/{kind}`: categories (a tree), regions and tags. Editors and admins.

use actix_web::web;
use askama::Template;
use dateline_core::ValidationErrors;
use dateline_storage::repo::audit::AuditAction;
use dateline_storage::repo::taxonomy::TaxonInput;
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Notice, Staff, State};
use crate::routes::forms::{self, CsrfForm, CsrfOnly};
use crate::state::AppState;
use crate::taxa::{self, Kind, Taxon};
use crate::usecases::catalogue::{self, Record};
use crate::views::{self, Chrome};

struct Row {
    id: i64,
    name: String,
    slug: String,
    parent: String,
}

#[derive(Template)]
#[template(path = "admin/taxonomy.html")]
struct ListPage {
    chrome: Chrome,
    heading: &'static str,
    rows: Vec<Row>,
    form: FormPanel,
}

#[derive(Template)]
#[template(path = "admin/taxon_edit.html")]
struct EditPage {
    chrome: Chrome,
    heading: &'static str,
    id: i64,
    form: FormPanel,
}

/// The add-or-edit form both pages show (`admin/_taxon_form.html`).
struct FormPanel {
    kind: &'static str,
    singular: &'static str,
    is_new: bool,
    action: String,
    revision: i64,
    name: String,
    slug: String,
    description: String,
    parent: String,
    parents: Vec<(String, String)>,
    errors: ValidationErrors,
}

impl FormPanel {
    /// The form for a new taxon (`editing` is `None`) or for `editing`, offering every other
    /// taxon of the kind as a parent.
    fn new(
        kind: Kind,
        editing: Option<&Taxon>,
        all: &[Taxon],
        form: TaxonForm,
        errors: ValidationErrors,
    ) -> Self {
        let id = editing.map(|t| t.id);
        FormPanel {
            kind: kind.as_str(),
            singular: kind.singular(),
            is_new: editing.is_none(),
            action: match id {
                Some(id) => format!("/admin/taxonomy/{}/{id}", kind.as_str()),
                None => format!("/admin/taxonomy/{}", kind.as_str()),
            },
            revision: form.revision.or(editing.map(|t| t.revision)).unwrap_or(0),
            name: form.name,
            slug: form.slug,
            description: form.description,
            parent: form.parent,
            parents: all
                .iter()
                .filter(|t| Some(t.id) != id)
                .map(|t| (t.id.to_string(), t.name.clone()))
                .collect(),
            errors,
        }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct TaxonForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    parent: String,
    revision: Option<i64>,
}

impl TaxonForm {
    fn input(&self) -> Result<TaxonInput, ValidationErrors> {
        let parent_id = match self.parent.trim() {
            "" => None,
            p => Some(p.parse::<i64>().map_err(|_| {
                ValidationErrors::single("parent", "Choose a parent from the list.")
            })?),
        };
        Ok(TaxonInput {
            name: self.name.clone(),
            slug: self.slug.trim().to_owned(),
            description: self.description.clone(),
            parent_id,
        })
    }
}

async fn load(state: &AppState, kind: Kind) -> WebResult<Vec<Taxon>> {
    state.db(move |conn| taxa::all(conn, kind)).await
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    kind: Kind,
    rejected: Option<(TaxonForm, ValidationErrors)>,
    notice: Option<&str>,
) -> WebResult {
    let (form, errors) = rejected.unwrap_or_default();
    let (chrome, _) = views::staff_chrome(state, kind.heading(), staff, "taxonomy", notice).await?;
    let all = load(state, kind).await?;
    let name_of = |id: Option<i64>| {
        id.and_then(|p| all.iter().find(|t| t.id == p))
            .map(|t| t.name.clone())
            .unwrap_or_default()
    };
    views::render(
        views::form_status(&errors),
        &ListPage {
            chrome,
            heading: kind.heading(),
            rows: all
                .iter()
                .map(|t| Row {
                    id: t.id,
                    name: t.name.clone(),
                    slug: t.slug.clone(),
                    parent: name_of(t.parent_id),
                })
                .collect(),
            form: FormPanel::new(kind, None, &all, form, errors),
        },
    )
}

pub async fn list(state: State, staff: Staff, kind: web::Path<Kind>, notice: Notice) -> WebResult {
    list_page(&state, &staff, *kind, None, notice.as_deref()).await
}

fn record(staff: &Staff, action: AuditAction, kind: Kind) -> Record {
    Record::new(staff.actor(), action, kind.singular())
}

pub async fn create(
    state: State,
    staff: Staff,
    kind: web::Path<Kind>,
    CsrfForm(f): CsrfForm<TaxonForm>,
) -> WebResult {
    let kind = kind.into_inner();
    let created = match f.input() {
        Ok(input) => {
            catalogue::change(
                &state,
                record(&staff, AuditAction::TaxonomyCreate, kind),
                move |conn| {
                    let taxon = taxa::create(conn, kind, &input)?;
                    Ok(((), taxon.id.to_string()))
                },
            )
            .await
        }
        Err(e) => Err(WebError::Invalid(e)),
    };
    forms::redirect_or_again(
        created,
        |()| format!("/admin/taxonomy/{}?notice=created", kind.as_str()),
        |e| list_page(&state, &staff, kind, Some((f, e)), None),
    )
    .await
}

async fn edit_page(
    state: &AppState,
    staff: &Staff,
    kind: Kind,
    id: i64,
    rejected: Option<(TaxonForm, ValidationErrors)>,
    notice: Option<&str>,
) -> WebResult {
    let (form, errors) = rejected.unzip();
    let errors = errors.unwrap_or_default();
    let taxon = state.db(move |conn| taxa::get(conn, kind, id)).await?;
    let all = load(state, kind).await?;
    let (chrome, _) =
        views::staff_chrome(state, taxon.name.clone(), staff, "taxonomy", notice).await?;
    let form = form.unwrap_or_else(|| TaxonForm {
        name: taxon.name.clone(),
        slug: taxon.slug.clone(),
        description: taxon.description.clone().unwrap_or_default(),
        parent: taxon.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        revision: Some(taxon.revision),
    });
    views::render(
        views::form_status(&errors),
        &EditPage {
            chrome,
            heading: kind.heading(),
            id,
            form: FormPanel::new(kind, Some(&taxon), &all, form, errors),
        },
    )
}

pub async fn edit(
    state: State,
    staff: Staff,
    path: web::Path<(Kind, i64)>,
    notice: Notice,
) -> WebResult {
    let (kind, id) = path.into_inner();
    edit_page(&state, &staff, kind, id, None, notice.as_deref()).await
}

pub async fn save(
    state: State,
    staff: Staff,
    path: web::Path<(Kind, i64)>,
    CsrfForm(f): CsrfForm<TaxonForm>,
) -> WebResult {
    let (kind, id) = path.into_inner();
    let revision = forms::loaded_revision(f.revision)?;
    let saved = match f.input() {
        Ok(input) => {
            catalogue::change(
                &state,
                record(&staff, AuditAction::TaxonomyUpdate, kind),
                move |conn| {
                    taxa::update(conn, kind, id, revision, &input)?;
                    Ok(((), id.to_string()))
                },
            )
            .await
        }
        Err(e) => Err(WebError::Invalid(e)),
    };
    forms::redirect_or_again(
        saved,
        |()| format!("/admin/taxonomy/{}/{id}?notice=saved", kind.as_str()),
        |e| edit_page(&state, &staff, kind, id, Some((f, e)), None),
    )
    .await
}

pub async fn delete(
    state: State,
    staff: Staff,
    path: web::Path<(Kind, i64)>,
    _: CsrfOnly,
) -> WebResult {
    let (kind, id) = path.into_inner();
    catalogue::change(
        &state,
        record(&staff, AuditAction::TaxonomyDelete, kind),
        move |conn| {
            taxa::delete(conn, kind, id)?;
            Ok(((), id.to_string()))
        },
    )
    .await?;
    Ok(views::see_other(format!(
        "/admin/taxonomy/{}?notice=deleted",
        kind.as_str()
    )))
}
