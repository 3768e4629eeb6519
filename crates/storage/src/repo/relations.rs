//! A release's contacts and taxonomy links: the rows every writer of a release (editor saves,
//! archive import, bulk seeding) leaves beside the release row, written by one function so the
//! three cannot disagree about what a release links to.

use std::collections::HashMap;

use dateline_core::ReleaseContent;
use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::Result;
use crate::repo::taxonomy;
use crate::schema::{release_categories, release_contacts, release_regions, release_tags};

/// Tag ids already found or made, by name. A batch writer keeps one across many releases so a
/// popular tag is looked up once, not once per release.
#[derive(Debug, Default)]
pub(crate) struct TagIds(HashMap<String, i64>);

impl TagIds {
    fn get(&mut self, conn: &mut DbConnection, name: &str) -> Result<i64> {
        if let Some(&id) = self.0.get(name) {
            return Ok(id);
        }
        let id = taxonomy::ensure_tag(conn, name)?.id;
        self.0.insert(name.to_owned(), id);
        Ok(id)
    }
}

/// Replaces everything `content` says the release links to.
pub(crate) fn replace(conn: &mut DbConnection, id: i64, content: &ReleaseContent) -> Result<()> {
    diesel::delete(release_contacts::table.filter(release_contacts::release_id.eq(id)))
        .execute(conn)?;
    diesel::delete(release_categories::table.filter(release_categories::release_id.eq(id)))
        .execute(conn)?;
    diesel::delete(release_regions::table.filter(release_regions::release_id.eq(id)))
        .execute(conn)?;
    diesel::delete(release_tags::table.filter(release_tags::release_id.eq(id))).execute(conn)?;
    insert(conn, id, content, &mut TagIds::default())
}

/// Writes the links of a release that has none yet (a row inserted in this transaction).
pub(crate) fn insert(
    conn: &mut DbConnection,
    id: i64,
    content: &ReleaseContent,
    tags: &mut TagIds,
) -> Result<()> {
    let mut links = Links::default();
    links.add(conn, id, content, tags)?;
    links.write(conn)
}

/// The link rows of one or many releases, gathered first and then written a few statements per
/// table: a bulk load of a thousand releases writes its several thousand links in a handful of
/// statements rather than one each.
#[derive(Debug, Default)]
pub(crate) struct Links {
    contacts: Vec<(i64, i32, String, String, String, String)>,
    categories: Vec<(i64, i64)>,
    regions: Vec<(i64, i64)>,
    tags: Vec<(i64, i64)>,
}

/// Rows per statement: under both backends' limits on bound values (SQLite's 32,766) for the
/// widest table here.
const ROWS_PER_STATEMENT: usize = 500;

impl Links {
    /// Adds what `content` says release `id` links to.
    pub(crate) fn add(
        &mut self,
        conn: &mut DbConnection,
        id: i64,
        content: &ReleaseContent,
        tags: &mut TagIds,
    ) -> Result<()> {
        for (i, c) in content.contacts.iter().enumerate() {
            self.contacts.push((
                id,
                i as i32,
                c.name.clone(),
                c.title.clone(),
                c.email.clone(),
                c.phone.clone(),
            ));
        }
        self.categories
            .extend(content.category_ids.iter().map(|&c| (id, c)));
        self.regions
            .extend(content.region_ids.iter().map(|&r| (id, r)));
        let first = self.tags.len();
        for name in &content.tags {
            let tag = tags.get(conn, name)?;
            if !self.tags[first..].contains(&(id, tag)) {
                self.tags.push((id, tag));
            }
        }
        Ok(())
    }

    /// Writes every gathered row.
    pub(crate) fn write(self, conn: &mut DbConnection) -> Result<()> {
        // Diesel's multi-row insert is not available through the connection type that serves
        // both backends, so each statement is given to the backend's own connection.
        macro_rules! insert_rows {
            ($table:path, $rows:expr) => {
                for chunk in $rows.chunks(ROWS_PER_STATEMENT) {
                    let values: Vec<_> = chunk.to_vec();
                    match conn {
                        DbConnection::Sqlite(c) => {
                            diesel::insert_into($table).values(values).execute(c)?
                        }
                        DbConnection::Pg(c) => {
                            diesel::insert_into($table).values(values).execute(c)?
                        }
                    };
                }
            };
        }
        let contacts: Vec<_> = self
            .contacts
            .into_iter()
            .map(|(id, position, name, title, email, phone)| {
                (
                    release_contacts::release_id.eq(id),
                    release_contacts::position.eq(position),
                    release_contacts::name.eq(name),
                    release_contacts::title.eq(title),
                    release_contacts::email.eq(email),
                    release_contacts::phone.eq(phone),
                )
            })
            .collect();
        insert_rows!(release_contacts::table, contacts);
        // The link tables differ only in the taxon column.
        macro_rules! links {
            ($link:ident, $column:ident, $rows:expr) => {{
                let rows: Vec<_> = $rows
                    .iter()
                    .map(|&(id, taxon)| ($link::release_id.eq(id), $link::$column.eq(taxon)))
                    .collect();
                insert_rows!($link::table, rows);
            }};
        }
        links!(release_categories, category_id, self.categories);
        links!(release_regions, region_id, self.regions);
        links!(release_tags, tag_id, self.tags);
        Ok(())
    }
}
