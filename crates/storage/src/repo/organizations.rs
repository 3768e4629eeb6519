//! Issuing organizations and their default media contacts.

use chrono::NaiveDateTime;
use dateline_core::{Contact, Organization};
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError, not_found};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::repo::named::{
    after_name, delete_unused, insert_named, pick_slug, slug_after_edit, update_at_revision,
};
use crate::schema::{organization_contacts, organizations, releases};
use crate::time::{now, to_db};
use crate::visibility::Scope;

pub use dateline_core::organization::OrganizationInput;

#[derive(Debug, Clone, Queryable)]
pub(crate) struct OrganizationRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub website: String,
    pub boilerplate: String,
    pub _created_at: NaiveDateTime,
    pub _updated_at: NaiveDateTime,
    pub revision: i64,
}

#[derive(Debug, Clone, Queryable)]
pub(crate) struct ContactRow {
    pub _id: i64,
    pub owner_id: i64,
    pub _position: i32,
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Contact {
            name: r.name,
            title: r.title,
            email: r.email,
            phone: r.phone,
        }
    }
}

fn load(conn: &mut DbConnection, row: OrganizationRow) -> Result<Organization> {
    let mut all = load_many(conn, vec![row])?;
    all.pop().ok_or(StorageError::NotFound)
}

/// Attaches contacts to a batch of rows with one query.
fn load_many(conn: &mut DbConnection, rows: Vec<OrganizationRow>) -> Result<Vec<Organization>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut contacts: std::collections::HashMap<i64, Vec<Contact>> =
        std::collections::HashMap::new();
    for c in organization_contacts::table
        .filter(organization_contacts::organization_id.eq_any(&ids))
        .order((
            organization_contacts::organization_id.asc(),
            organization_contacts::position.asc(),
        ))
        .load::<ContactRow>(conn)?
    {
        contacts.entry(c.owner_id).or_default().push(c.into());
    }
    Ok(rows
        .into_iter()
        .map(|row| Organization {
            contacts: contacts.remove(&row.id).unwrap_or_default(),
            id: row.id,
            slug: row.slug,
            name: row.name,
            website: row.website,
            boilerplate: row.boilerplate,
            revision: row.revision,
        })
        .collect())
}

fn slug_taken(conn: &mut DbConnection, slug: &str, except: Option<i64>) -> Result<bool> {
    let mut q = organizations::table
        .filter(organizations::slug.eq(slug))
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(organizations::id.ne(id));
    }
    Ok(q.count().get_result::<i64>(conn)? > 0)
}

fn choose_slug(
    conn: &mut DbConnection,
    input: &OrganizationInput,
    except: Option<i64>,
) -> Result<String> {
    pick_slug(&input.slug, &input.name, "organization", |s| {
        slug_taken(conn, s, except)
    })
}

fn replace_contacts(conn: &mut DbConnection, org_id: i64, contacts: &[Contact]) -> Result<()> {
    diesel::delete(
        organization_contacts::table.filter(organization_contacts::organization_id.eq(org_id)),
    )
    .execute(conn)?;
    for (i, c) in contacts.iter().enumerate() {
        diesel::insert_into(organization_contacts::table)
            .values((
                organization_contacts::organization_id.eq(org_id),
                organization_contacts::position.eq(i as i32),
                organization_contacts::name.eq(c.name.trim()),
                organization_contacts::title.eq(c.title.trim()),
                organization_contacts::email.eq(c.email.trim()),
                organization_contacts::phone.eq(c.phone.trim()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn create(conn: &mut DbConnection, input: &OrganizationInput) -> Result<Organization> {
    input.validate()?;
    write_tx(conn, |conn| {
        let slug = choose_slug(conn, input, None)?;
        let columns = (
            organizations::website.eq(input.website.trim()),
            organizations::boilerplate.eq(input.boilerplate.trim()),
        );
        let row = insert_named!(
            conn,
            organizations,
            OrganizationRow,
            &slug,
            input.name.trim(),
            columns
        )?;
        replace_contacts(conn, row.id, &input.contacts)?;
        load(conn, row)
    })
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<Organization> {
    let row = organizations::table
        .find(id)
        .first::<OrganizationRow>(conn)
        .map_err(not_found)?;
    load(conn, row)
}

pub fn get_by_slug(conn: &mut DbConnection, slug: &str) -> Result<Organization> {
    let row = organizations::table
        .filter(organizations::slug.eq(slug))
        .first::<OrganizationRow>(conn)
        .map_err(not_found)?;
    load(conn, row)
}

/// Compare-and-swap on the revision; contacts are replaced as a whole.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    expected_revision: i64,
    input: &OrganizationInput,
) -> Result<Organization> {
    input.validate()?;
    write_tx(conn, |conn| {
        let slug = slug_after_edit!(conn, organizations, id, input.slug)?;
        let changes = (
            organizations::name.eq(input.name.trim()),
            organizations::website.eq(input.website.trim()),
            organizations::boilerplate.eq(input.boilerplate.trim()),
            organizations::updated_at.eq(to_db(now())),
        );
        update_at_revision!(conn, organizations, id, expected_revision, &slug, changes)?;
        replace_contacts(conn, id, &input.contacts)?;
        crate::repo::search::rename_organization(conn, id, input.name.trim())?;
        get(conn, id)
    })
}

/// Refused with `InUse` while releases name the organization.
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<()> {
    delete_unused!(conn, organizations, id, "this organization")
}

/// Whether the organization `$org` (a column of the outer query, or an id) issued a release
/// matching `$releases`. The probe walks that organization's releases newest first and stops at
/// the first match.
macro_rules! issued_release_in {
    ($org:expr, $releases:expr) => {
        diesel::dsl::exists(
            releases::table
                .filter(releases::organization_id.eq($org))
                .filter($releases)
                .select(releases::id),
        )
    };
}

/// Organizations in `scope`, in name order, a page at a time.
pub fn list(
    conn: &mut DbConnection,
    page: &PageRequest,
    scope: Scope,
) -> Result<Page<Organization>> {
    let orgs = in_scope(conn, scope, Some(page))?;
    Ok(Page::from_overfetch(orgs, page.limit, |o| {
        Cursor::text(&o.name, o.id)
    }))
}

/// Every organization in `scope` with its contacts, in name order: for pickers and the index
/// page.
pub fn all(conn: &mut DbConnection, scope: Scope) -> Result<Vec<Organization>> {
    in_scope(conn, scope, None)
}

/// Organizations in `scope` in name order: all of them, or one page.
fn in_scope(
    conn: &mut DbConnection,
    scope: Scope,
    page: Option<&PageRequest>,
) -> Result<Vec<Organization>> {
    let mut q = organizations::table
        .order((organizations::name.asc(), organizations::id.asc()))
        .into_boxed();
    if let Some(visible) = scope.releases() {
        q = q.filter(issued_release_in!(organizations::id.nullable(), visible));
    }
    if let Some(page) = page {
        q = after_name!(q.limit(page.fetch()), page, organizations);
    }
    let rows = q.load::<OrganizationRow>(conn)?;
    load_many(conn, rows)
}

/// Whether the organization `id` may be shown under `scope`.
pub fn visible(conn: &mut DbConnection, id: i64, scope: Scope) -> Result<bool> {
    match scope.releases() {
        None => Ok(true),
        Some(visible) => Ok(diesel::select(issued_release_in!(id, visible)).get_result(conn)?),
    }
}
