//! Organizations' siblings: categories, regions and tags, handled through one shape so the pages
//! and the API treat the three kinds alike.

use chrono::{DateTime, Utc};
use dateline_core::Role;
use dateline_storage::DbConnection;
use dateline_storage::repo::taxonomy::{self, TaxonInput};
use dateline_storage::visibility::Scope;

use crate::middleware::identity::Identity;

use crate::error::{WebError, WebResult};

/// Deserialised from the `{kind}` of a route, so a route with any other word is a 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Categories,
    Regions,
    Tags,
}

impl Kind {
    pub fn parse(s: &str) -> WebResult<Kind> {
        match s {
            "categories" => Ok(Kind::Categories),
            "regions" => Ok(Kind::Regions),
            "tags" => Ok(Kind::Tags),
            _ => Err(WebError::NotFound),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Categories => "categories",
            Kind::Regions => "regions",
            Kind::Tags => "tags",
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            Kind::Categories => "category",
            Kind::Regions => "region",
            Kind::Tags => "tag",
        }
    }

    pub fn heading(self) -> &'static str {
        match self {
            Kind::Categories => "Categories",
            Kind::Regions => "Regions",
            Kind::Tags => "Tags",
        }
    }
}

/// Which tags `who` may learn of. Tags are typed into releases, so each caller sees only the tags
/// on releases they may read: editors all, contributors also their own drafts', readers the
/// public ones'.
pub fn tag_scope(who: Option<&Identity>, now: DateTime<Utc>) -> Scope {
    match who {
        Some(w) if w.role() >= Role::Editor => Scope::All,
        who => Scope::VisibleTo {
            now,
            author: who.map(|w| w.user.id),
        },
    }
}

/// Which organizations, categories and regions `who` may learn of. The newsroom picks them from
/// full lists when writing a release, so anyone signed in sees them all; readers see those of
/// public releases, so one set up for an embargoed launch stays unknown until the launch.
pub fn newsroom_scope(who: Option<&Identity>, now: DateTime<Utc>) -> Scope {
    match who {
        Some(_) => Scope::All,
        None => Scope::public(now),
    }
}

/// [`tag_scope`] for tags, [`newsroom_scope`] for the others.
pub fn scope(kind: Kind, who: Option<&Identity>, now: DateTime<Utc>) -> Scope {
    match kind {
        Kind::Tags => tag_scope(who, now),
        Kind::Categories | Kind::Regions => newsroom_scope(who, now),
    }
}

/// A category, region or tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Taxon {
    pub id: i64,
    pub slug: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<i64>,
    pub revision: i64,
}

impl From<dateline_core::Category> for Taxon {
    fn from(c: dateline_core::Category) -> Self {
        Taxon {
            id: c.id,
            slug: c.slug,
            name: c.name,
            description: Some(c.description),
            parent_id: c.parent_id,
            revision: c.revision,
        }
    }
}

impl From<dateline_core::Region> for Taxon {
    fn from(r: dateline_core::Region) -> Self {
        Taxon {
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: None,
            parent_id: None,
            revision: r.revision,
        }
    }
}

impl From<dateline_core::Tag> for Taxon {
    fn from(t: dateline_core::Tag) -> Self {
        Taxon {
            id: t.id,
            slug: t.slug,
            name: t.name,
            description: None,
            parent_id: None,
            revision: t.revision,
        }
    }
}

/// Every one of a kind, for the newsroom's own pages.
pub fn all(conn: &mut DbConnection, kind: Kind) -> WebResult<Vec<Taxon>> {
    Ok(match kind {
        Kind::Categories => taxonomy::all_categories(conn, Scope::All)?
            .into_iter()
            .map(Taxon::from)
            .collect(),
        Kind::Regions => taxonomy::all_regions(conn, Scope::All)?
            .into_iter()
            .map(Taxon::from)
            .collect(),
        Kind::Tags => {
            let mut out = Vec::new();
            let mut page = dateline_storage::PageRequest::first(100);
            loop {
                let p = taxonomy::list_tags(conn, &page, Scope::All)?;
                out.extend(p.items.into_iter().map(Taxon::from));
                match p.next {
                    Some(c) => page = dateline_storage::PageRequest::after(Some(c), 100),
                    None => break,
                }
            }
            out
        }
    })
}

/// One page of a kind, of those in `scope`.
pub fn page(
    conn: &mut DbConnection,
    kind: Kind,
    req: &dateline_storage::PageRequest,
    scope: Scope,
) -> WebResult<dateline_storage::Page<Taxon>> {
    Ok(match kind {
        Kind::Categories => taxonomy::list_categories(conn, req, scope)?.map(Taxon::from),
        Kind::Regions => taxonomy::list_regions(conn, req, scope)?.map(Taxon::from),
        Kind::Tags => taxonomy::list_tags(conn, req, scope)?.map(Taxon::from),
    })
}

/// Whether the one with this id may be shown under `scope`.
pub fn visible(conn: &mut DbConnection, kind: Kind, id: i64, scope: Scope) -> WebResult<bool> {
    Ok(match kind {
        Kind::Categories => taxonomy::category_visible(conn, id, scope)?,
        Kind::Regions => taxonomy::region_visible(conn, id, scope)?,
        Kind::Tags => taxonomy::tag_visible(conn, id, scope)?,
    })
}

pub fn get(conn: &mut DbConnection, kind: Kind, id: i64) -> WebResult<Taxon> {
    Ok(match kind {
        Kind::Categories => taxonomy::get_category(conn, id)?.into(),
        Kind::Regions => taxonomy::get_region(conn, id)?.into(),
        Kind::Tags => taxonomy::get_tag(conn, id)?.into(),
    })
}

pub fn by_slug(conn: &mut DbConnection, kind: Kind, slug: &str) -> WebResult<Taxon> {
    Ok(match kind {
        Kind::Categories => taxonomy::category_by_slug(conn, slug)?.into(),
        Kind::Regions => taxonomy::region_by_slug(conn, slug)?.into(),
        Kind::Tags => taxonomy::tag_by_slug(conn, slug)?.into(),
    })
}

pub fn create(conn: &mut DbConnection, kind: Kind, input: &TaxonInput) -> WebResult<Taxon> {
    Ok(match kind {
        Kind::Categories => taxonomy::create_category(conn, input)?.into(),
        Kind::Regions => taxonomy::create_region(conn, input)?.into(),
        Kind::Tags => taxonomy::create_tag(conn, input)?.into(),
    })
}

pub fn update(
    conn: &mut DbConnection,
    kind: Kind,
    id: i64,
    revision: i64,
    input: &TaxonInput,
) -> WebResult<Taxon> {
    Ok(match kind {
        Kind::Categories => taxonomy::update_category(conn, id, revision, input)?.into(),
        Kind::Regions => taxonomy::update_region(conn, id, revision, input)?.into(),
        Kind::Tags => taxonomy::update_tag(conn, id, revision, input)?.into(),
    })
}

pub fn delete(conn: &mut DbConnection, kind: Kind, id: i64) -> WebResult<()> {
    match kind {
        Kind::Categories => taxonomy::delete_category(conn, id)?,
        Kind::Regions => taxonomy::delete_region(conn, id)?,
        Kind::Tags => taxonomy::delete_tag(conn, id)?,
    }
    Ok(())
}
