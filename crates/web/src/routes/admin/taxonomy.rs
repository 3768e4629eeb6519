//! `/admin/taxonomy/{kind}`: categories (a tree), regions and tags. Editors and admins.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use dateline_core::ValidationErrors;
use dateline_storage::repo::audit::{Actor, AuditAction, Entry};
use dateline_storage::repo::settings;
use dateline_storage::repo::taxonomy::TaxonInput;
use dateline_storage::write_tx;
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Acting, Notice, Staff};
use crate::routes::forms::{CsrfForm, CsrfOnly};
use crate::state::AppState;
use crate::taxa::{self, Kind, Taxon};
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
    kind: &'static str,
    heading: &'static str,
    singular: &'static str,
    rows: Vec<Row>,
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

#[derive(Template)]
#[template(path = "admin/taxon_edit.html")]
struct EditPage {
    chrome: Chrome,
    kind: &'static str,
    heading: &'static str,
    singular: &'static str,
    id: i64,
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
    form: TaxonForm,
    errors: ValidationErrors,
    notice: Option<&str>,
) -> WebResult {
    let (chrome, _) = views::staff_chrome(state, kind.heading(), staff, "taxonomy", notice).await?;
    let all = load(state, kind).await?;
    let name_of = |id: Option<i64>| {
        id.and_then(|p| all.iter().find(|t| t.id == p))
            .map(|t| t.name.clone())
            .unwrap_or_default()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    views::render(
        status,
        &ListPage {
            chrome,
            kind: kind.as_str(),
            heading: kind.heading(),
            singular: kind.singular(),
            rows: all
                .iter()
                .map(|t| Row {
                    id: t.id,
                    name: t.name.clone(),
                    slug: t.slug.clone(),
                    parent: name_of(t.parent_id),
                })
                .collect(),
            is_new: true,
            action: format!("/admin/taxonomy/{}", kind.as_str()),
            revision: 0,
            name: form.name,
            slug: form.slug,
            description: form.description,
            parent: form.parent,
            parents: all
                .iter()
                .map(|t| (t.id.to_string(), t.name.clone()))
                .collect(),
            errors,
        },
    )
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    kind: web::Path<String>,
    notice: Notice,
) -> WebResult {
    list_page(
        &state,
        &staff,
        Kind::parse(&kind)?,
        TaxonForm::default(),
        ValidationErrors::new(),
        notice.as_deref(),
    )
    .await
}

/// Writes go through one place so each bumps the content version (public listings show names)
/// and leaves an audit row.
async fn write<T, F>(
    state: &AppState,
    actor: Actor,
    action: AuditAction,
    kind: Kind,
    f: F,
) -> WebResult<T>
where
    T: Send + 'static + HasId,
    F: FnOnce(&mut dateline_storage::DbConnection) -> WebResult<T> + Send + 'static,
{
    let now = state.clock.now();
    state
        .db(move |conn| -> WebResult<_> {
            let mut out = None;
            let result: Result<(), WebError> = write_tx(conn, |conn| {
                let value = f(conn)?;
                settings::bump_content_version(conn, now)?;
                Entry::new(&actor, action, kind.singular(), value.id_text(), now).record(conn)?;
                out = Some(value);
                Ok(())
            });
            result?;
            out.ok_or_else(|| WebError::internal("write produced nothing"))
        })
        .await
}

pub trait HasId {
    fn id_text(&self) -> String;
}

impl HasId for Taxon {
    fn id_text(&self) -> String {
        self.id.to_string()
    }
}

impl HasId for i64 {
    fn id_text(&self) -> String {
        self.to_string()
    }
}

pub async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    acting: Acting,
    kind: web::Path<String>,
    CsrfForm(f): CsrfForm<TaxonForm>,
) -> WebResult {
    let kind = Kind::parse(&kind)?;
    let input = match f.input() {
        Ok(i) => i,
        Err(e) => return list_page(&state, &staff, kind, f, e, None).await,
    };
    match write(
        &state,
        acting.0,
        AuditAction::TaxonomyCreate,
        kind,
        move |conn| taxa::create(conn, kind, &input),
    )
    .await
    {
        Ok(_) => Ok(views::see_other(format!(
            "/admin/taxonomy/{}?notice=created",
            kind.as_str()
        ))),
        Err(WebError::Invalid(e)) => list_page(&state, &staff, kind, f, e, None).await,
        Err(e) => Err(e),
    }
}

async fn edit_page(
    state: &AppState,
    staff: &Staff,
    kind: Kind,
    id: i64,
    form: Option<TaxonForm>,
    errors: ValidationErrors,
    notice: Option<&str>,
) -> WebResult {
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
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    views::render(
        status,
        &EditPage {
            chrome,
            kind: kind.as_str(),
            heading: kind.heading(),
            singular: kind.singular(),
            id,
            is_new: false,
            action: format!("/admin/taxonomy/{}/{id}", kind.as_str()),
            revision: form.revision.unwrap_or(taxon.revision),
            name: form.name,
            slug: form.slug,
            description: form.description,
            parent: form.parent,
            parents: all
                .iter()
                .filter(|t| t.id != id)
                .map(|t| (t.id.to_string(), t.name.clone()))
                .collect(),
            errors,
        },
    )
}

pub async fn edit(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
    notice: Notice,
) -> WebResult {
    let (kind, id) = path.into_inner();
    edit_page(
        &state,
        &staff,
        Kind::parse(&kind)?,
        id,
        None,
        ValidationErrors::new(),
        notice.as_deref(),
    )
    .await
}

pub async fn save(
    state: web::Data<AppState>,
    staff: Staff,
    acting: Acting,
    path: web::Path<(String, i64)>,
    CsrfForm(f): CsrfForm<TaxonForm>,
) -> WebResult {
    let (kind, id) = path.into_inner();
    let kind = Kind::parse(&kind)?;
    let input = match f.input() {
        Ok(i) => i,
        Err(e) => return edit_page(&state, &staff, kind, id, Some(f), e, None).await,
    };
    let revision = f.revision.ok_or_else(|| {
        WebError::BadRequest("The form lacks its revision; reload the page.".into())
    })?;
    match write(
        &state,
        acting.0,
        AuditAction::TaxonomyUpdate,
        kind,
        move |conn| taxa::update(conn, kind, id, revision, &input),
    )
    .await
    {
        Ok(_) => Ok(views::see_other(format!(
            "/admin/taxonomy/{}/{id}?notice=saved",
            kind.as_str()
        ))),
        Err(WebError::Invalid(e)) => edit_page(&state, &staff, kind, id, Some(f), e, None).await,
        Err(e) => Err(e),
    }
}

pub async fn delete(
    state: web::Data<AppState>,
    acting: Acting,
    path: web::Path<(String, i64)>,
    _: CsrfOnly,
) -> WebResult {
    let (kind, id) = path.into_inner();
    let kind = Kind::parse(&kind)?;
    write(
        &state,
        acting.0,
        AuditAction::TaxonomyDelete,
        kind,
        move |conn| taxa::delete(conn, kind, id).map(|_| id),
    )
    .await?;
    Ok(views::see_other(format!(
        "/admin/taxonomy/{}?notice=deleted",
        kind.as_str()
    )))
}
