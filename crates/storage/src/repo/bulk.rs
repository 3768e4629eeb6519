//! Bulk loading of already published releases, for the demo scale fixture and the benchmark.
//!
//! The normal path (create, then publish through the pipeline) costs a few dozen statements and
//! several reloads per release; loading 100,000 that way takes many minutes. Here each batch is
//! one transaction that writes exactly the rows the normal path leaves behind for a published
//! (and possibly corrected) release: the release row with its sanitised HTML, its revisions, its
//! contacts, taxonomy links, correction and search index row. Webhooks and audit rows are not
//! written: nothing happened that anyone subscribed to.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use dateline_core::content::{SANITIZER_VERSION, SanitizedHtml, plain_text};
use dateline_core::release::RevisionAction;
use dateline_core::slug::slugify_or;
use dateline_core::{PublicId, ReleaseContent, ReleaseStatus};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError};
use crate::repo::releases::{ReleaseRow, record_revision};
use crate::repo::taxonomy;
use crate::schema::{
    corrections, organizations, release_categories, release_contacts, release_regions,
    release_tags, releases,
};
use crate::time::to_db;

/// A published release to load. `content` must already be normalised and validated, and
/// `body_html` rendered from its body by `dateline_core::content::render_markdown`, the same
/// function every save uses.
#[derive(Debug, Clone)]
pub struct SeedRelease {
    pub content: ReleaseContent,
    pub body_html: SanitizedHtml,
    pub published_at: DateTime<Utc>,
    /// A public correction note and its time, for releases corrected after publication.
    pub correction: Option<(DateTime<Utc>, String)>,
}

/// Writes `batch` in one transaction and returns how many releases it wrote.
pub fn insert_published(
    conn: &mut DbConnection,
    batch: &[SeedRelease],
    author_id: Option<i64>,
) -> Result<usize> {
    write_tx(conn, |conn| {
        let ids = free_public_ids(conn, batch.len())?;
        let org_names = organization_names(conn)?;
        let mut tag_ids: HashMap<String, i64> = HashMap::new();
        for (item, public_id) in batch.iter().zip(&ids) {
            let row = insert_row(conn, item, public_id, author_id)?;
            let c = &item.content;
            // Revision 1 is the text as published; a corrected release has the correction as
            // revision 2, as the pipeline records it.
            let mut first = row.clone();
            first.revision = 1;
            first.updated_at = to_db(item.published_at);
            record_revision(conn, &first, c, RevisionAction::Create, "", author_id)?;
            if let Some((at, note)) = &item.correction {
                record_revision(conn, &row, c, RevisionAction::Correct, note, author_id)?;
                insert_correction(conn, &row, *at, note, author_id)?;
            }
            insert_links(conn, row.id, c, &mut tag_ids)?;
            let org = c
                .organization_id
                .and_then(|id| org_names.get(&id).cloned())
                .unwrap_or_default();
            index_row(conn, row.id, c, &org)?;
        }
        Ok(batch.len())
    })
}

fn insert_correction(
    conn: &mut DbConnection,
    row: &ReleaseRow,
    at: DateTime<Utc>,
    note: &str,
    author_id: Option<i64>,
) -> Result<()> {
    diesel::insert_into(corrections::table)
        .values((
            corrections::release_id.eq(row.id),
            corrections::note.eq(note),
            corrections::revision.eq(row.revision),
            corrections::editor_id.eq(author_id),
            corrections::corrected_at.eq(to_db(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The release's contacts and its category, region and tag links. `tag_ids` remembers the
/// tags this batch has already found or made.
fn insert_links(
    conn: &mut DbConnection,
    release_id: i64,
    c: &ReleaseContent,
    tag_ids: &mut HashMap<String, i64>,
) -> Result<()> {
    for (i, contact) in c.contacts.iter().enumerate() {
        diesel::insert_into(release_contacts::table)
            .values((
                release_contacts::release_id.eq(release_id),
                release_contacts::position.eq(i as i32),
                release_contacts::name.eq(&contact.name),
                release_contacts::title.eq(&contact.title),
                release_contacts::email.eq(&contact.email),
                release_contacts::phone.eq(&contact.phone),
            ))
            .execute(conn)?;
    }
    // One row per statement: diesel's multi-row insert is not available through the
    // connection type that serves both backends, and inside one transaction each statement
    // is cheap (prepared once, cached).
    for &t in &c.category_ids {
        diesel::insert_into(release_categories::table)
            .values((
                release_categories::release_id.eq(release_id),
                release_categories::category_id.eq(t),
            ))
            .execute(conn)?;
    }
    for &t in &c.region_ids {
        diesel::insert_into(release_regions::table)
            .values((
                release_regions::release_id.eq(release_id),
                release_regions::region_id.eq(t),
            ))
            .execute(conn)?;
    }
    let mut seen = HashSet::new();
    for name in &c.tags {
        let id = match tag_ids.get(name) {
            Some(&id) => id,
            None => {
                let id = taxonomy::ensure_tag(conn, name)?.id;
                tag_ids.insert(name.clone(), id);
                id
            }
        };
        if seen.insert(id) {
            diesel::insert_into(release_tags::table)
                .values((
                    release_tags::release_id.eq(release_id),
                    release_tags::tag_id.eq(id),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

fn insert_row(
    conn: &mut DbConnection,
    item: &SeedRelease,
    public_id: &PublicId,
    author_id: Option<i64>,
) -> Result<ReleaseRow> {
    let c = &item.content;
    let published = to_db(item.published_at);
    let corrected = item.correction.as_ref().map(|(at, _)| to_db(*at));
    // Two tuples, as diesel's insertable tuples are bounded in length.
    let row = diesel::insert_into(releases::table)
        .values((
            (
                releases::public_id.eq(public_id.as_str()),
                releases::slug.eq(slugify_or(&c.headline, "release")),
                releases::headline.eq(&c.headline),
                releases::subheadline.eq(&c.subheadline),
                releases::dateline_city.eq(&c.dateline.city),
                releases::dateline_region.eq(&c.dateline.region),
                releases::dateline_date.eq(c.dateline.date),
                releases::dateline_distributor.eq(&c.dateline.distributor),
                releases::source_label.eq(&c.source.label),
                releases::source_url.eq(&c.source.url),
                releases::summary.eq(&c.summary),
                releases::body.eq(&c.body),
                releases::body_html.eq(item.body_html.as_str()),
                releases::body_html_version.eq(SANITIZER_VERSION),
                releases::language.eq(&c.language),
                releases::organization_id.eq(c.organization_id),
            ),
            (
                releases::status.eq(ReleaseStatus::Published.as_str()),
                releases::published_at.eq(Some(published)),
                releases::corrected_at.eq(corrected),
                releases::withdrawal_reason.eq(""),
                releases::author_id.eq(author_id),
                releases::created_at.eq(published),
                releases::updated_at.eq(corrected.unwrap_or(published)),
                releases::revision.eq(if corrected.is_some() { 2 } else { 1 }),
            ),
        ))
        .get_result::<ReleaseRow>(conn)?;
    Ok(row)
}

/// The same row `search::sync` writes for a public release: plain text of the body and the
/// issuer's name, so seeded releases are found exactly like published ones.
fn index_row(conn: &mut DbConnection, id: i64, c: &ReleaseContent, org: &str) -> Result<()> {
    let body = plain_text(&c.body);
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "INSERT INTO release_search (rowid, headline, subheadline, summary, body, organization) VALUES (?, ?, ?, ?, ?, ?)"
        }
        DbConnection::Pg(_) => {
            "INSERT INTO release_search (release_id, headline, subheadline, summary, body, organization) VALUES ($1, $2, $3, $4, $5, $6)"
        }
    };
    let insert = diesel::sql_query(sql)
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(&c.headline)
        .bind::<Text, _>(&c.subheadline)
        .bind::<Text, _>(&c.summary)
        .bind::<Text, _>(&body)
        .bind::<Text, _>(org);
    match conn {
        DbConnection::Sqlite(c) => insert.execute(c)?,
        DbConnection::Pg(c) => insert.execute(c)?,
    };
    Ok(())
}

fn organization_names(conn: &mut DbConnection) -> Result<HashMap<i64, String>> {
    Ok(organizations::table
        .select((organizations::id, organizations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// `n` public ids no release has, found with one query per attempt instead of one per release.
fn free_public_ids(conn: &mut DbConnection, n: usize) -> Result<Vec<PublicId>> {
    let mut rng = rand::rng();
    for _ in 0..8 {
        let mut seen = HashSet::new();
        let ids: Vec<PublicId> = std::iter::repeat_with(|| PublicId::generate(&mut rng))
            .filter(|id| seen.insert(id.as_str().to_owned()))
            .take(n)
            .collect();
        let mut taken = 0;
        for chunk in ids.chunks(500) {
            let strs: Vec<&str> = chunk.iter().map(PublicId::as_str).collect();
            taken += releases::table
                .filter(releases::public_id.eq_any(strs))
                .count()
                .get_result::<i64>(conn)?;
        }
        if taken == 0 {
            return Ok(ids);
        }
    }
    Err(StorageError::Corrupt(
        "could not find free public ids".into(),
    ))
}

/// Refreshes the planner's statistics after a bulk load, so the first queries on the new rows
/// use the indexes rather than plans made for an empty table.
pub fn refresh_statistics(conn: &mut DbConnection) -> Result<()> {
    match conn {
        DbConnection::Sqlite(c) => diesel::sql_query("ANALYZE").execute(c)?,
        DbConnection::Pg(c) => diesel::sql_query("ANALYZE").execute(c)?,
    };
    Ok(())
}
