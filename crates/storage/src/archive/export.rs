//! Reading the whole newsroom as archive records, in canonical order.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use dateline_core::Contact;
use dateline_core::ReleaseContent;
use dateline_core::archive::{
    CorrectionRecord, OrganizationRecord, Record, ReleaseRecord, RevisionRecord, SettingRecord,
    TaxonRecord, UserRecord,
};
use diesel::prelude::*;

use super::{Keys, to_record};
use crate::connection::DbConnection;
use crate::error::{Result, StorageError};
use crate::repo::releases;
use crate::repo::revisions::{self, Stored};
use crate::schema::{
    categories, corrections, organization_contacts, organizations, regions, release_revisions,
    settings, tags, users,
};
use crate::time::from_db;

/// Every record of the newsroom, each kind sorted by its key. Password hashes are included only
/// when `with_secrets` is set.
///
/// Everything is read in one transaction (on PostgreSQL a repeatable-read snapshot), so a
/// server writing meanwhile cannot leave a release pointing at a record the archive lacks.
pub fn export(conn: &mut DbConnection, with_secrets: bool) -> Result<Vec<Record>> {
    use diesel::connection::Connection;
    conn.transaction(|conn| {
        if let DbConnection::Pg(pg) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(pg)?;
        }
        export_all(conn, with_secrets)
    })
}

fn export_all(conn: &mut DbConnection, with_secrets: bool) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    let mut keys = Keys::default();
    let rows: Vec<(String, String)> = settings::table
        .select((settings::key, settings::value))
        .order(settings::key.asc())
        .load(conn)?;
    out.extend(
        rows.into_iter()
            .map(|(key, value)| Record::Setting(SettingRecord { key, value })),
    );
    out.extend(export_users(conn, with_secrets, &mut keys)?);
    out.extend(export_organizations(conn, &mut keys)?);
    out.extend(export_categories(conn, &mut keys)?);
    out.extend(export_regions_and_tags(conn, &mut keys)?);
    export_releases(conn, &keys, &mut out)?;
    out.extend(super::media::export(conn, &keys)?);
    Ok(out)
}

fn export_users(
    conn: &mut DbConnection,
    with_secrets: bool,
    keys: &mut Keys,
) -> Result<Vec<Record>> {
    type Row = (
        i64,
        String,
        String,
        String,
        bool,
        String,
        Option<String>,
        NaiveDateTime,
        NaiveDateTime,
    );
    let rows: Vec<Row> = users::table
        .select((
            users::id,
            users::email,
            users::display_name,
            users::role,
            users::disabled,
            users::password_hash,
            users::time_zone,
            users::created_at,
            users::updated_at,
        ))
        .order(users::email.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, email, display_name, role, disabled, hash, time_zone, c, u)| {
                keys.users.insert(id, email.clone());
                Record::User(UserRecord {
                    email,
                    display_name,
                    role,
                    disabled,
                    time_zone,
                    created_at: from_db(c),
                    updated_at: from_db(u),
                    password_hash: with_secrets.then_some(hash),
                })
            },
        )
        .collect())
}

fn export_organizations(conn: &mut DbConnection, keys: &mut Keys) -> Result<Vec<Record>> {
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
    );
    let rows: Vec<Row> = organizations::table
        .select((
            organizations::id,
            organizations::slug,
            organizations::name,
            organizations::website,
            organizations::boilerplate,
            organizations::created_at,
            organizations::updated_at,
        ))
        .order(organizations::slug.asc())
        .load(conn)?;
    let contact_rows: Vec<(i64, String, String, String, String)> = organization_contacts::table
        .select((
            organization_contacts::organization_id,
            organization_contacts::name,
            organization_contacts::title,
            organization_contacts::email,
            organization_contacts::phone,
        ))
        .order((
            organization_contacts::organization_id.asc(),
            organization_contacts::position.asc(),
        ))
        .load(conn)?;
    let mut contacts: HashMap<i64, Vec<Contact>> = HashMap::new();
    for (org, name, title, email, phone) in contact_rows {
        contacts.entry(org).or_default().push(Contact {
            name,
            title,
            email,
            phone,
        });
    }
    Ok(rows
        .into_iter()
        .map(|(id, slug, name, website, boilerplate, c, u)| {
            keys.organizations.insert(id, slug.clone());
            Record::Organization(OrganizationRecord {
                slug,
                name,
                website,
                boilerplate,
                contacts: contacts.remove(&id).unwrap_or_default(),
                created_at: from_db(c),
                updated_at: from_db(u),
            })
        })
        .collect())
}

/// Categories with every parent before its children, siblings by slug.
fn export_categories(conn: &mut DbConnection, keys: &mut Keys) -> Result<Vec<Record>> {
    type Row = (
        i64,
        Option<i64>,
        String,
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
    );
    let rows: Vec<Row> = categories::table
        .select((
            categories::id,
            categories::parent_id,
            categories::slug,
            categories::name,
            categories::description,
            categories::created_at,
            categories::updated_at,
        ))
        .order(categories::slug.asc())
        .load(conn)?;
    for row in &rows {
        keys.categories.insert(row.0, row.2.clone());
    }
    let parent_of: HashMap<i64, Option<i64>> = rows.iter().map(|r| (r.0, r.1)).collect();
    let depth = |mut id: i64| {
        let mut d = 0usize;
        while let Some(Some(p)) = parent_of.get(&id) {
            d += 1;
            id = *p;
            if d > parent_of.len() {
                break;
            }
        }
        d
    };
    let mut ordered: Vec<(usize, Row)> = rows.into_iter().map(|r| (depth(r.0), r)).collect();
    ordered.sort_by(|(da, a), (db, b)| da.cmp(db).then_with(|| a.2.cmp(&b.2)));
    Ok(ordered
        .into_iter()
        .map(|(_, (_, parent, slug, name, description, c, u))| {
            Record::Category(TaxonRecord {
                parent: parent.and_then(|p| keys.categories.get(&p).cloned()),
                description,
                ..taxon(slug, name, c, Some(u))
            })
        })
        .collect())
}

fn taxon(slug: String, name: String, c: NaiveDateTime, u: Option<NaiveDateTime>) -> TaxonRecord {
    TaxonRecord {
        slug,
        name,
        description: String::new(),
        parent: None,
        created_at: from_db(c),
        updated_at: u.map(from_db),
    }
}

fn export_regions_and_tags(conn: &mut DbConnection, keys: &mut Keys) -> Result<Vec<Record>> {
    let regions: Vec<(i64, String, String, NaiveDateTime, NaiveDateTime)> = regions::table
        .select((
            regions::id,
            regions::slug,
            regions::name,
            regions::created_at,
            regions::updated_at,
        ))
        .order(regions::slug.asc())
        .load(conn)?;
    let mut out = Vec::with_capacity(regions.len());
    for (id, slug, name, c, u) in regions {
        keys.regions.insert(id, slug.clone());
        out.push(Record::Region(taxon(slug, name, c, Some(u))));
    }
    let tags: Vec<(String, String, NaiveDateTime)> = tags::table
        .select((tags::slug, tags::name, tags::created_at))
        .order(tags::slug.asc())
        .load(conn)?;
    out.extend(
        tags.into_iter()
            .map(|(slug, name, c)| Record::Tag(taxon(slug, name, c, None))),
    );
    Ok(out)
}

/// Releases by public id, a few hundred at a time, each with its revisions and corrections.
fn export_releases(conn: &mut DbConnection, keys: &Keys, out: &mut Vec<Record>) -> Result<()> {
    let ids: Vec<i64> = crate::schema::releases::table
        .select(crate::schema::releases::id)
        .order(crate::schema::releases::public_id.asc())
        .load(conn)?;
    for chunk in ids.chunks(200) {
        let mut loaded = releases::get_many(conn, chunk)?;
        let order: HashMap<i64, usize> = chunk.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        loaded.sort_by_key(|r| order.get(&r.id).copied().unwrap_or(usize::MAX));
        let mut history = revisions_of(conn, chunk, keys)?;
        let mut fixes = corrections_of(conn, chunk, keys)?;
        let chosen: HashMap<i64, bool> = crate::schema::releases::table
            .filter(crate::schema::releases::id.eq_any(chunk))
            .select((
                crate::schema::releases::id,
                crate::schema::releases::slug_chosen,
            ))
            .load::<(i64, bool)>(conn)?
            .into_iter()
            .collect();
        for r in loaded {
            out.push(Record::Release(Box::new(ReleaseRecord {
                public_id: r.public_id.to_string(),
                slug: r.slug.clone(),
                slug_chosen: chosen.get(&r.id).copied().unwrap_or(false),
                status: r.status.as_str().to_owned(),
                revision: r.revision,
                content: to_record(&r.content, keys),
                embargo_at: r.embargo_at,
                published_at: r.published_at,
                corrected_at: r.corrected_at,
                withdrawn_at: r.withdrawn_at,
                withdrawal_reason: r.withdrawal_reason.clone(),
                author: r.author_id.and_then(|id| keys.users.get(&id).cloned()),
                created_at: r.created_at,
                updated_at: r.updated_at,
                revisions: history.remove(&r.id).unwrap_or_default(),
                corrections: fixes.remove(&r.id).unwrap_or_default(),
            })));
        }
    }
    Ok(())
}

fn revisions_of(
    conn: &mut DbConnection,
    ids: &[i64],
    keys: &Keys,
) -> Result<HashMap<i64, Vec<RevisionRecord>>> {
    type Row = (
        i64,
        Stored,
        (String, String, String, String, Option<i64>, NaiveDateTime),
    );
    let rows: Vec<Row> = release_revisions::table
        .filter(release_revisions::release_id.eq_any(ids))
        .select((
            release_revisions::release_id,
            (
                release_revisions::revision,
                release_revisions::snapshot,
                release_revisions::packed,
                release_revisions::packed_base,
            ),
            (
                release_revisions::slug,
                release_revisions::status,
                release_revisions::action,
                release_revisions::note,
                release_revisions::author_id,
                release_revisions::created_at,
            ),
        ))
        .order((
            release_revisions::release_id.asc(),
            release_revisions::revision.asc(),
        ))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<RevisionRecord>> = HashMap::new();
    for release_rows in rows.chunk_by(|a, b| a.0 == b.0) {
        let release = release_rows[0].0;
        let stored: Vec<Stored> = release_rows.iter().map(|r| r.1.clone()).collect();
        let texts = revisions::expand_in_order(release, &stored);
        for ((_, row, meta), text) in release_rows.iter().zip(texts) {
            let (slug, status, action, note, author, at) = meta.clone();
            let damaged = |reason: String| StorageError::DamagedRevision {
                release_id: release,
                revision: row.revision,
                reason,
            };
            let content: ReleaseContent =
                serde_json::from_slice(&text?).map_err(|e| damaged(e.to_string()))?;
            out.entry(release).or_default().push(RevisionRecord {
                revision: row.revision,
                content: to_record(&content, keys),
                slug,
                status,
                action,
                note,
                author: author.and_then(|id| keys.users.get(&id).cloned()),
                created_at: from_db(at),
            });
        }
    }
    Ok(out)
}

fn corrections_of(
    conn: &mut DbConnection,
    ids: &[i64],
    keys: &Keys,
) -> Result<HashMap<i64, Vec<CorrectionRecord>>> {
    let rows: Vec<(i64, String, i64, Option<i64>, NaiveDateTime)> = corrections::table
        .filter(corrections::release_id.eq_any(ids))
        .select((
            corrections::release_id,
            corrections::note,
            corrections::revision,
            corrections::editor_id,
            corrections::corrected_at,
        ))
        .order((
            corrections::release_id.asc(),
            corrections::corrected_at.asc(),
            corrections::revision.asc(),
        ))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<CorrectionRecord>> = HashMap::new();
    for (release, note, revision, editor, at) in rows {
        out.entry(release).or_default().push(CorrectionRecord {
            note,
            revision,
            editor: editor.and_then(|id| keys.users.get(&id).cloned()),
            corrected_at: from_db(at),
        });
    }
    Ok(out)
}
