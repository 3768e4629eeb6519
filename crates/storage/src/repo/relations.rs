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
    for (i, c) in content.contacts.iter().enumerate() {
        diesel::insert_into(release_contacts::table)
            .values((
                release_contacts::release_id.eq(id),
                release_contacts::position.eq(i as i32),
                release_contacts::name.eq(&c.name),
                release_contacts::title.eq(&c.title),
                release_contacts::email.eq(&c.email),
                release_contacts::phone.eq(&c.phone),
            ))
            .execute(conn)?;
    }
    // One row per statement: diesel's multi-row insert is not available through the connection
    // type that serves both backends, and inside one transaction each statement is cheap
    // (prepared once, cached). The link tables differ only in the taxon column.
    macro_rules! link_all {
        ($link:ident, $column:ident, $ids:expr) => {
            for &taxon in $ids {
                diesel::insert_into($link::table)
                    .values(($link::release_id.eq(id), $link::$column.eq(taxon)))
                    .execute(conn)?;
            }
        };
    }
    link_all!(release_categories, category_id, &content.category_ids);
    link_all!(release_regions, region_id, &content.region_ids);
    let mut seen = Vec::new();
    for name in &content.tags {
        let tag = tags.get(conn, name)?;
        if !seen.contains(&tag) {
            seen.push(tag);
        }
    }
    link_all!(release_tags, tag_id, &seen);
    Ok(())
}
