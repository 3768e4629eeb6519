//! `/api/v1/{organizations|categories|regions|tags}`: list, read, create, update (with If-Match)
//! and delete. Creating needs only a name; the slug is derived from it unless given.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use dateline_core::Contact;
use dateline_storage::repo::audit::AuditAction;
use dateline_storage::repo::organizations::{self, OrganizationInput};
use dateline_storage::repo::taxonomy::{self, TaxonInput};
use dateline_storage::visibility::Scope;
use dateline_storage::{DbConnection, PageRequest};
use serde::{Deserialize, Serialize};

use crate::error::{WebError, WebResult};
use crate::extract::{Acting, State, Visitor};
use crate::middleware::identity::Identity;
use crate::pagination::cursor;
use crate::routes::api::dto::List;
use crate::routes::api::{ApiJson, etag, if_match};
use crate::taxa::{self, Kind};
use crate::usecases::catalogue::{self, Record};
use crate::usecases::input::ContactInput;

#[derive(Clone, Copy)]
enum Collection {
    Organizations,
    Taxa(Kind),
}

impl Collection {
    fn parse(s: &str) -> WebResult<Self> {
        if s == "organizations" {
            Ok(Collection::Organizations)
        } else {
            Kind::parse(s).map(Collection::Taxa)
        }
    }

    fn singular(self) -> &'static str {
        match self {
            Collection::Organizations => "organization",
            Collection::Taxa(k) => k.singular(),
        }
    }

    fn scope(self, who: Option<&Identity>, now: DateTime<Utc>) -> Scope {
        match self {
            Collection::Organizations => taxa::newsroom_scope(who, now),
            Collection::Taxa(k) => taxa::scope(k, who, now),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct OrganizationDto {
    id: i64,
    slug: String,
    name: String,
    website: String,
    boilerplate: String,
    contacts: Vec<Contact>,
    revision: i64,
}

impl From<dateline_core::Organization> for OrganizationDto {
    fn from(o: dateline_core::Organization) -> Self {
        OrganizationDto {
            id: o.id,
            slug: o.slug,
            name: o.name,
            website: o.website,
            boilerplate: o.boilerplate,
            contacts: o.contacts,
            revision: o.revision,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "CatalogueItem")]
pub(crate) enum Item {
    Organization(OrganizationDto),
    Taxon(taxa::Taxon),
}

impl Item {
    fn revision(&self) -> i64 {
        match self {
            Item::Organization(o) => o.revision,
            Item::Taxon(t) => t.revision,
        }
    }

    fn id(&self) -> i64 {
        match self {
            Item::Organization(o) => o.id,
            Item::Taxon(t) => t.id,
        }
    }
}

fn find(conn: &mut DbConnection, c: Collection, key: &str) -> WebResult<Item> {
    let id = key.parse::<i64>().ok();
    Ok(match (c, id) {
        (Collection::Organizations, Some(id)) => {
            Item::Organization(organizations::get(conn, id)?.into())
        }
        (Collection::Organizations, None) => {
            Item::Organization(organizations::get_by_slug(conn, key)?.into())
        }
        (Collection::Taxa(k), Some(id)) => Item::Taxon(taxa::get(conn, k, id)?),
        (Collection::Taxa(k), None) => Item::Taxon(taxa::by_slug(conn, k, key)?),
    })
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CatalogueListQuery")]
pub struct ListQuery {
    after: Option<String>,
    limit: Option<String>,
}

pub async fn list(
    state: State,
    visitor: Visitor,
    kind: web::Path<String>,
    q: web::Query<ListQuery>,
) -> WebResult {
    let c = Collection::parse(&kind)?;
    let scope = c.scope(visitor.identity(), state.clock.now());
    let limit = crate::query::limit(q.limit.as_deref(), 50)?;
    let req = PageRequest::after(cursor(q.after.as_deref())?, limit);
    let body = state
        .db(move |conn| -> WebResult<_> {
            Ok(match c {
                Collection::Organizations => {
                    let p = organizations::list(conn, &req, scope)?;
                    List {
                        items: p
                            .items
                            .into_iter()
                            .map(|o| Item::Organization(o.into()))
                            .collect(),
                        next: p.next.map(|n| n.encode()),
                    }
                }
                Collection::Taxa(k) => {
                    let p = taxa::page(conn, k, &req, scope)?;
                    List {
                        items: p.items.into_iter().map(Item::Taxon).collect(),
                        next: p.next.map(|n| n.encode()),
                    }
                }
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

pub async fn get(state: State, visitor: Visitor, path: web::Path<(String, String)>) -> WebResult {
    let (kind, key) = path.into_inner();
    let c = Collection::parse(&kind)?;
    let scope = c.scope(visitor.identity(), state.clock.now());
    let item = state
        .db(move |conn| -> WebResult<_> {
            let item = find(conn, c, &key)?;
            let visible = match c {
                Collection::Organizations => organizations::visible(conn, item.id(), scope)?,
                Collection::Taxa(k) => taxa::visible(conn, k, item.id(), scope)?,
            };
            if !visible {
                return Err(WebError::NotFound);
            }
            Ok(item)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.revision()))
        .json(item))
}

/// What creating or updating accepts. Organizations use the organization fields, the others
/// `description` (categories) and `parent` (a category slug).
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CatalogueInput")]
pub struct Input {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    website: String,
    #[serde(default)]
    boilerplate: String,
    #[serde(default)]
    contacts: Vec<ContactInput>,
}

impl Input {
    fn check_fields(&self, c: Collection) -> WebResult<()> {
        let org_only =
            !self.website.is_empty() || !self.boilerplate.is_empty() || !self.contacts.is_empty();
        let taxon_only = !self.description.is_empty() || self.parent.is_some();
        match c {
            Collection::Organizations if taxon_only => Err(WebError::invalid(
                "description",
                "Organizations have no description or parent.",
            )),
            Collection::Taxa(_) if org_only => Err(WebError::invalid(
                "website",
                "Only organizations have a website, boilerplate and contacts.",
            )),
            Collection::Taxa(k) if k != Kind::Categories && taxon_only => Err(WebError::invalid(
                "parent",
                "Only categories have a description and a parent.",
            )),
            _ => Ok(()),
        }
    }

    fn organization(&self) -> OrganizationInput {
        OrganizationInput {
            name: self.name.clone(),
            slug: self.slug.trim().to_owned(),
            website: self.website.trim().to_owned(),
            boilerplate: self.boilerplate.clone(),
            contacts: self.contacts.iter().map(Contact::from).collect(),
        }
    }

    fn taxon(&self, conn: &mut DbConnection) -> WebResult<TaxonInput> {
        let parent_id = match self
            .parent
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(slug) => Some(
                taxonomy::category_by_slug(conn, slug)
                    .map_err(|e| {
                        if e.is_not_found() {
                            WebError::invalid("parent", format!("There is no category {slug:?}."))
                        } else {
                            e.into()
                        }
                    })?
                    .id,
            ),
        };
        Ok(TaxonInput {
            name: self.name.clone(),
            slug: self.slug.trim().to_owned(),
            description: self.description.clone(),
            parent_id,
        })
    }
}

/// An item with its id as the audit log names it.
fn with_id(item: Item) -> (Item, String) {
    let id = item.id().to_string();
    (item, id)
}

pub async fn create(
    state: State,
    acting: Acting,
    kind: web::Path<String>,
    input: ApiJson<Input>,
) -> WebResult {
    let c = Collection::parse(&kind)?;
    let input = input.into_inner();
    input.check_fields(c)?;
    let item = catalogue::change(
        &state,
        Record::new(acting.0, AuditAction::TaxonomyCreate, c.singular()).via_api(),
        move |conn| {
            Ok(with_id(match c {
                Collection::Organizations => {
                    Item::Organization(organizations::create(conn, &input.organization())?.into())
                }
                Collection::Taxa(k) => {
                    let t = input.taxon(conn)?;
                    Item::Taxon(taxa::create(conn, k, &t)?)
                }
            }))
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(item.revision()))
        .json(item))
}

pub async fn update(
    req: HttpRequest,
    state: State,
    acting: Acting,
    path: web::Path<(String, String)>,
    input: ApiJson<Input>,
) -> WebResult {
    let expected = if_match(&req)?;
    let (kind, key) = path.into_inner();
    let c = Collection::parse(&kind)?;
    let input = input.into_inner();
    input.check_fields(c)?;
    let result = catalogue::change(
        &state,
        Record::new(acting.0, AuditAction::TaxonomyUpdate, c.singular()).via_api(),
        move |conn| {
            let id = find(conn, c, &key)?.id();
            Ok(with_id(match c {
                Collection::Organizations => Item::Organization(
                    organizations::update(conn, id, expected, &input.organization())?.into(),
                ),
                Collection::Taxa(k) => {
                    let t = input.taxon(conn)?;
                    Item::Taxon(taxa::update(conn, k, id, expected, &t)?)
                }
            }))
        },
    )
    .await;
    let item = match result {
        Err(WebError::Conflict {
            current_revision: Some(current),
            ..
        }) => {
            return Err(WebError::PreconditionFailed {
                message: format!(
                    "This {} is at revision {current}, not {expected}.",
                    c.singular()
                ),
                current_revision: Some(current),
            });
        }
        other => other?,
    };
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.revision()))
        .json(item))
}

pub async fn delete(state: State, acting: Acting, path: web::Path<(String, String)>) -> WebResult {
    let (kind, key) = path.into_inner();
    let c = Collection::parse(&kind)?;
    catalogue::change(
        &state,
        Record::new(acting.0, AuditAction::TaxonomyDelete, c.singular()).via_api(),
        move |conn| {
            let item = find(conn, c, &key)?;
            match c {
                Collection::Organizations => organizations::delete(conn, item.id())?,
                Collection::Taxa(k) => taxa::delete(conn, k, item.id())?,
            }
            Ok(with_id(item))
        },
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
