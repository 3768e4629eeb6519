//! Releases: create, read, edit with compare-and-swap, and list with keyset pagination.
//! Status changes are not here: they go through [`crate::repo::pipeline`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use dateline_core::content::render_markdown;
use dateline_core::release::{Correction, MissingReferences};
use dateline_core::slug::{SlugState, slug_for_save, slugify_or};
use dateline_core::visibility::Viewer;
use dateline_core::{
    Contact, Dateline, PublicId, Release, ReleaseContent, ReleaseStatus, ReleaseSummary,
    SourceLine, TaxonRef,
};
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError, not_found};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::repo::{relations, revisions};
use crate::schema::{
    categories, corrections, organizations, regions, release_categories, release_contacts,
    release_regions, release_revisions, release_tags, releases, review_comments, tags,
};
use crate::time::{from_db, now, opt_from_db, to_db};
use crate::visibility::{public_release, visible_to};

#[derive(Debug, Clone, Queryable)]
pub(crate) struct ReleaseRow {
    pub id: i64,
    pub public_id: String,
    pub slug: String,
    pub headline: String,
    pub subheadline: String,
    pub dateline_city: String,
    pub dateline_region: String,
    pub dateline_date: Option<NaiveDate>,
    pub dateline_distributor: String,
    pub source_label: String,
    pub source_url: String,
    pub summary: String,
    /// Plain text only in rows an older version wrote and not yet packed; read [`Self::body`].
    pub body_plain: String,
    pub language: String,
    pub status: String,
    pub embargo_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub corrected_at: Option<NaiveDateTime>,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawal_reason: String,
    pub organization_id: Option<i64>,
    pub author_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub revision: i64,
    pub slug_chosen: bool,
    pub body_packed: Option<Vec<u8>>,
}

impl ReleaseRow {
    /// The body's Markdown, expanded from its frame (or as an older version stored it).
    pub(crate) fn body(&self) -> Result<String> {
        let Some(packed) = &self.body_packed else {
            return Ok(self.body_plain.clone());
        };
        crate::packing::unpack(packed, None)
            .and_then(|bytes| String::from_utf8(bytes).map_err(std::io::Error::other))
            .map_err(|e| {
                StorageError::Corrupt(format!("the body of release {} is damaged: {e}", self.id))
            })
    }

    pub(crate) fn status(&self) -> Result<ReleaseStatus> {
        self.status
            .parse()
            .map_err(|e: dateline_core::release::UnknownStatus| {
                StorageError::Corrupt(e.to_string())
            })
    }

    /// The slug this row should carry once its headline is `headline`.
    pub(crate) fn slug_for(&self, headline: &str) -> String {
        slug_for_save(
            SlugState {
                current: &self.slug,
                chosen: self.slug_chosen,
                published_before: self.published_at.is_some(),
            },
            headline,
        )
    }

    fn public_id(&self) -> Result<PublicId> {
        self.public_id
            .parse()
            .map_err(|_| StorageError::Corrupt(format!("bad public id {:?}", self.public_id)))
    }

    fn dateline(&self) -> Dateline {
        Dateline {
            city: self.dateline_city.clone(),
            region: self.dateline_region.clone(),
            date: self.dateline_date,
            distributor: self.dateline_distributor.clone(),
        }
    }

    fn summary(&self, organization: Option<TaxonRef>) -> Result<ReleaseSummary> {
        Ok(ReleaseSummary {
            id: self.id,
            public_id: self.public_id()?,
            slug: self.slug.clone(),
            headline: self.headline.clone(),
            subheadline: self.subheadline.clone(),
            summary: self.summary.clone(),
            dateline: self.dateline(),
            language: self.language.clone(),
            status: self.status()?,
            embargo_at: opt_from_db(self.embargo_at),
            published_at: opt_from_db(self.published_at),
            corrected_at: opt_from_db(self.corrected_at),
            updated_at: from_db(self.updated_at),
            revision: self.revision,
            author_id: self.author_id,
            organization,
        })
    }
}

/// What `create` needs besides the content.
#[derive(Debug, Clone)]
pub struct NewRelease {
    pub content: ReleaseContent,
    pub author_id: Option<i64>,
}

pub use dateline_core::release::RevisionAction;

/// Checks what only the database can know: that the organization, categories and regions exist.
fn check_references(conn: &mut DbConnection, content: &ReleaseContent) -> Result<()> {
    let organization = match content.organization_id {
        Some(org) => {
            organizations::table
                .find(org)
                .count()
                .get_result::<i64>(conn)?
                == 0
        }
        None => false,
    };
    let categories_found = categories::table
        .filter(categories::id.eq_any(&content.category_ids))
        .count()
        .get_result::<i64>(conn)?;
    let regions_found = regions::table
        .filter(regions::id.eq_any(&content.region_ids))
        .count()
        .get_result::<i64>(conn)?;
    let missing = MissingReferences {
        organization,
        categories: categories_found as usize != content.category_ids.len(),
        regions: regions_found as usize != content.region_ids.len(),
    };
    Ok(missing.into_result()?)
}

fn prepare(content: &ReleaseContent) -> Result<ReleaseContent> {
    let mut content = content.clone();
    content.normalize();
    content.validate()?;
    Ok(content)
}

fn fresh_public_id(conn: &mut DbConnection) -> Result<PublicId> {
    let mut one = fresh_public_ids(conn, 1)?;
    one.pop()
        .ok_or_else(|| StorageError::Corrupt("could not find a free public id".into()))
}

/// `n` distinct public ids no release has yet. Ids are random, so a clash is rare; a batch with
/// any clash is drawn again whole, which keeps the check one query per 500 ids.
pub(crate) fn fresh_public_ids(conn: &mut DbConnection, n: usize) -> Result<Vec<PublicId>> {
    let mut rng = rand::rng();
    for _ in 0..8 {
        let mut seen = std::collections::HashSet::new();
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

/// The columns that hold a release's editable content, as one tuple that both inserting and
/// updating take, so the two cannot drift apart. `$packed` is the body from [`pack_body`]. The HTML is not among them: it is rendered from
/// the Markdown whenever a release is read, so it always follows the current sanitiser.
macro_rules! content_columns {
    ($content:expr, $packed:expr) => {
        (
            $crate::schema::releases::headline.eq(&$content.headline),
            $crate::schema::releases::subheadline.eq(&$content.subheadline),
            $crate::schema::releases::dateline_city.eq(&$content.dateline.city),
            $crate::schema::releases::dateline_region.eq(&$content.dateline.region),
            $crate::schema::releases::dateline_date.eq($content.dateline.date),
            $crate::schema::releases::dateline_distributor.eq(&$content.dateline.distributor),
            $crate::schema::releases::source_label.eq(&$content.source.label),
            $crate::schema::releases::source_url.eq(&$content.source.url),
            $crate::schema::releases::summary.eq(&$content.summary),
            $crate::schema::releases::body.eq(""),
            $crate::schema::releases::body_packed.eq(Some($packed)),
            $crate::schema::releases::language.eq(&$content.language),
            $crate::schema::releases::organization_id.eq($content.organization_id),
        )
    };
}
pub(crate) use content_columns;

/// The body as it is stored: one zstd frame.
pub(crate) fn pack_body(body: &str) -> Result<Vec<u8>> {
    crate::packing::pack(body.as_bytes(), None)
        .map_err(|e| StorageError::Corrupt(format!("cannot compress a body: {e}")))
}

/// Creates a draft, with revision 1 recorded.
pub fn create(conn: &mut DbConnection, new: &NewRelease) -> Result<Release> {
    let content = prepare(&new.content)?;
    write_tx(conn, |conn| {
        check_references(conn, &content)?;
        let public_id = fresh_public_id(conn)?;
        // Slugs are not unique: the public id is the address, and a slug that had to dodge other
        // releases' (embargoed ones included) would tell a writer those exist.
        let slug = slugify_or(&content.headline, "release");
        let at = to_db(now());
        let row = diesel::insert_into(releases::table)
            .values((
                releases::public_id.eq(public_id.as_str()),
                releases::slug.eq(&slug),
                content_columns!(content, pack_body(&content.body)?),
                releases::status.eq(ReleaseStatus::Draft.as_str()),
                releases::withdrawal_reason.eq(""),
                releases::author_id.eq(new.author_id),
                releases::created_at.eq(at),
                releases::updated_at.eq(at),
                releases::revision.eq(1),
            ))
            .get_result::<ReleaseRow>(conn)?;
        relations::replace(conn, row.id, &content)?;
        record_revision(
            conn,
            &row,
            &content,
            RevisionAction::Create,
            "",
            new.author_id,
        )?;
        load(conn, row)
    })
}

/// Replaces a release's editable content if it is still at `expected_revision`; otherwise
/// `Conflict` carrying the revision now stored, and nothing is written.
pub fn update_content(
    conn: &mut DbConnection,
    id: i64,
    expected_revision: i64,
    content: &ReleaseContent,
    editor_id: Option<i64>,
    action: RevisionAction,
    note: &str,
) -> Result<Release> {
    let content = prepare(content)?;
    write_tx(conn, |conn| {
        check_references(conn, &content)?;
        // Saving what is already stored makes no new revision.
        let current = row(conn, id)?;
        if current.revision != expected_revision {
            return Err(StorageError::Conflict {
                current: current.revision,
            });
        }
        let stored = load(conn, current.clone())?;
        if stored.content == content
            && matches!(action, RevisionAction::Save | RevisionAction::Autosave)
        {
            return Ok(stored);
        }
        let n = diesel::update(
            releases::table
                .filter(releases::id.eq(id))
                .filter(releases::revision.eq(expected_revision)),
        )
        .set((
            releases::slug.eq(current.slug_for(&content.headline)),
            content_columns!(content, pack_body(&content.body)?),
            releases::updated_at.eq(to_db(now())),
            releases::revision.eq(releases::revision + 1),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(conflict_or_missing(conn, id));
        }
        relations::replace(conn, id, &content)?;
        let row = row(conn, id)?;
        if action == RevisionAction::Autosave {
            drop_superseded_autosave(conn, id, expected_revision, editor_id)?;
        }
        record_revision(conn, &row, &content, action, note, editor_id)?;
        load(conn, row)
    })
}

pub(crate) fn conflict_or_missing(conn: &mut DbConnection, id: i64) -> StorageError {
    crate::repo::conflict_or_missing!(conn, releases, id)
}

/// An autosave replaces the same person's autosave just before it (no save, transition or other
/// person's change between), so saving quietly every few seconds leaves one row per stretch of
/// editing rather than hundreds. Revision numbers keep counting, so the history may skip some.
/// Someone else's autosave is kept, so each text in the history stays with the person who
/// wrote it, and so is one a reviewer commented on, so the comment keeps its text.
fn drop_superseded_autosave(
    conn: &mut DbConnection,
    release_id: i64,
    previous: i64,
    author_id: Option<i64>,
) -> Result<()> {
    let Some(author_id) = author_id else {
        return Ok(());
    };
    let commented = review_comments::table
        .filter(review_comments::release_id.eq(release_id))
        .filter(review_comments::revision.eq(previous))
        .count()
        .get_result::<i64>(conn)?;
    if commented > 0 {
        return Ok(());
    }
    let superseded = release_revisions::table
        .filter(release_revisions::release_id.eq(release_id))
        .filter(release_revisions::revision.eq(previous))
        .filter(release_revisions::action.eq(RevisionAction::Autosave.as_str()))
        .filter(release_revisions::author_id.eq(author_id))
        .count()
        .get_result::<i64>(conn)?;
    if superseded > 0 {
        revisions::delete_unless_base(conn, release_id, previous)?;
    }
    Ok(())
}

pub(crate) fn record_revision(
    conn: &mut DbConnection,
    row: &ReleaseRow,
    content: &ReleaseContent,
    action: RevisionAction,
    note: &str,
    author_id: Option<i64>,
) -> Result<()> {
    record_revision_after(conn, row, content, (action, note, author_id), None).map(|_| ())
}

/// [`record_revision`] for a caller that wrote the revision before in this transaction and
/// passes it along (bulk loading), so it is not read back; returns the one written.
pub(crate) fn record_revision_after(
    conn: &mut DbConnection,
    row: &ReleaseRow,
    content: &ReleaseContent,
    (action, note, author_id): (RevisionAction, &str, Option<i64>),
    base: Option<&revisions::KnownBase>,
) -> Result<revisions::KnownBase> {
    let snapshot =
        serde_json::to_string(content).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    revisions::insert(
        conn,
        &revisions::NewRevision {
            release_id: row.id,
            revision: row.revision,
            slug: &row.slug,
            status: &row.status,
            action: action.as_str(),
            note,
            author_id,
            created_at: row.updated_at,
        },
        &snapshot,
        base,
    )
}

pub(crate) fn row(conn: &mut DbConnection, id: i64) -> Result<ReleaseRow> {
    releases::table
        .find(id)
        .first::<ReleaseRow>(conn)
        .map_err(not_found)
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<Release> {
    let row = row(conn, id)?;
    load(conn, row)
}

pub fn get_by_public_id(conn: &mut DbConnection, public_id: &PublicId) -> Result<Release> {
    let row = releases::table
        .filter(releases::public_id.eq(public_id.as_str()))
        .first::<ReleaseRow>(conn)
        .map_err(not_found)?;
    load(conn, row)
}

/// The content as stored, in the shape editors edit.
pub(crate) fn content_of(
    row: &ReleaseRow,
    contacts: Vec<Contact>,
    category_ids: Vec<i64>,
    region_ids: Vec<i64>,
    tags: Vec<String>,
) -> Result<ReleaseContent> {
    Ok(ReleaseContent {
        headline: row.headline.clone(),
        subheadline: row.subheadline.clone(),
        dateline: row.dateline(),
        source: SourceLine {
            label: row.source_label.clone(),
            url: row.source_url.clone(),
        },
        summary: row.summary.clone(),
        body: row.body()?,
        language: row.language.clone(),
        organization_id: row.organization_id,
        contacts,
        category_ids,
        region_ids,
        tags,
    })
}

pub(crate) fn load(conn: &mut DbConnection, row: ReleaseRow) -> Result<Release> {
    load_many(conn, vec![row])?
        .pop()
        .ok_or(StorageError::NotFound)
}

/// Loads releases with their contacts, taxonomies and issuer in a fixed number of queries,
/// however many there are. The order of `rows` is kept.
fn load_many(conn: &mut DbConnection, rows: Vec<ReleaseRow>) -> Result<Vec<Release>> {
    let mut related = Related::load(conn, &rows)?;
    rows.into_iter().map(|row| related.attach(row)).collect()
}

/// What a batch of releases points at, keyed by release id (by organization id for issuers).
struct Related {
    contacts: HashMap<i64, Vec<Contact>>,
    categories: HashMap<i64, Vec<TaxonRef>>,
    regions: HashMap<i64, Vec<TaxonRef>>,
    tags: HashMap<i64, Vec<TaxonRef>>,
    organizations: HashMap<i64, TaxonRef>,
}

/// The taxa of one kind (`$taxa`, linked through `$link`) of the releases `$ids`, grouped by
/// release. The link tables and taxon tables share their column names, so one query serves all.
macro_rules! taxa_of {
    ($conn:expr, $ids:expr, $link:ident, $taxa:ident) => {
        group_taxa(
            $link::table
                .inner_join($taxa::table)
                .filter($link::release_id.eq_any($ids))
                .select(($link::release_id, ($taxa::id, $taxa::slug, $taxa::name)))
                .load($conn)?,
        )
    };
}

impl Related {
    fn load(conn: &mut DbConnection, rows: &[ReleaseRow]) -> Result<Self> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let org_ids: Vec<i64> = rows.iter().filter_map(|r| r.organization_id).collect();
        Ok(Related {
            contacts: contacts_of(conn, &ids)?,
            categories: taxa_of!(conn, &ids, release_categories, categories),
            regions: taxa_of!(conn, &ids, release_regions, regions),
            tags: taxa_of!(conn, &ids, release_tags, tags),
            organizations: issuers(conn, &org_ids)?,
        })
    }

    /// The release of `row`, with what it points at taken out of the batch.
    fn attach(&mut self, row: ReleaseRow) -> Result<Release> {
        let categories = self.categories.remove(&row.id).unwrap_or_default();
        let regions = self.regions.remove(&row.id).unwrap_or_default();
        let tags = self.tags.remove(&row.id).unwrap_or_default();
        let content = content_of(
            &row,
            self.contacts.remove(&row.id).unwrap_or_default(),
            categories.iter().map(|c| c.id).collect(),
            regions.iter().map(|r| r.id).collect(),
            tags.iter().map(|t| t.name.clone()).collect(),
        )?;
        Ok(Release {
            id: row.id,
            public_id: row.public_id()?,
            slug: row.slug.clone(),
            body_html: render_markdown(&content.body),
            status: row.status()?,
            embargo_at: opt_from_db(row.embargo_at),
            published_at: opt_from_db(row.published_at),
            corrected_at: opt_from_db(row.corrected_at),
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
            revision: row.revision,
            author_id: row.author_id,
            organization: row
                .organization_id
                .and_then(|o| self.organizations.get(&o).cloned()),
            categories,
            regions,
            tags,
            withdrawn_at: opt_from_db(row.withdrawn_at),
            withdrawal_reason: row.withdrawal_reason.clone(),
            content,
        })
    }
}

/// The organizations `ids` as references, keyed by id.
fn issuers(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, TaxonRef>> {
    Ok(organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((organizations::id, organizations::slug, organizations::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|t| (t.0, taxon(t)))
        .collect())
}

/// The contacts of the releases `ids`, in their printed order.
fn contacts_of(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, Vec<Contact>>> {
    let mut contacts: HashMap<i64, Vec<Contact>> = HashMap::new();
    for c in release_contacts::table
        .filter(release_contacts::release_id.eq_any(ids))
        .order((
            release_contacts::release_id.asc(),
            release_contacts::position.asc(),
        ))
        .load::<crate::repo::organizations::ContactRow>(conn)?
    {
        contacts.entry(c.owner_id).or_default().push(c.into());
    }
    Ok(contacts)
}

fn group_taxa(pairs: Vec<(i64, (i64, String, String))>) -> HashMap<i64, Vec<TaxonRef>> {
    let mut map: HashMap<i64, Vec<TaxonRef>> = HashMap::new();
    for (release, t) in pairs {
        map.entry(release).or_default().push(taxon(t));
    }
    // Sorted here rather than in SQL so both backends agree regardless of collation.
    for list in map.values_mut() {
        list.sort_by_cached_key(|t| t.name.to_lowercase());
    }
    map
}

/// Full releases for these ids, in the order given. Missing ids are skipped.
pub fn get_many(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Release>> {
    let rows = releases::table
        .filter(releases::id.eq_any(ids))
        .load::<ReleaseRow>(conn)?;
    let mut loaded: HashMap<i64, Release> = load_many(conn, rows)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(ids.iter().filter_map(|id| loaded.remove(id)).collect())
}

/// Public corrections of many releases at once.
pub fn corrections_many(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Correction>>> {
    let mut map: HashMap<i64, Vec<Correction>> = HashMap::new();
    for (release_id, id, note, at, revision) in corrections::table
        .filter(corrections::release_id.eq_any(ids))
        .order((corrections::corrected_at.asc(), corrections::id.asc()))
        .select((
            corrections::release_id,
            corrections::id,
            corrections::note,
            corrections::corrected_at,
            corrections::revision,
        ))
        .load::<(i64, i64, String, NaiveDateTime, i64)>(conn)?
    {
        map.entry(release_id).or_default().push(Correction {
            id,
            note,
            corrected_at: from_db(at),
            revision,
        });
    }
    Ok(map)
}

fn taxon((id, slug, name): (i64, String, String)) -> TaxonRef {
    TaxonRef { id, slug, name }
}

/// Public corrections of a release, oldest first.
pub fn corrections(conn: &mut DbConnection, release_id: i64) -> Result<Vec<Correction>> {
    Ok(corrections_many(conn, &[release_id])?
        .remove(&release_id)
        .unwrap_or_default())
}

/// Narrows a public listing. Every set field must match.
#[derive(Debug, Clone, Default)]
pub struct PublicFilter {
    pub organization_id: Option<i64>,
    /// Releases in any of these categories (a category and its sub-categories).
    pub category_ids: Option<Vec<i64>>,
    pub region_id: Option<i64>,
    pub tag_id: Option<i64>,
    /// Published at or after.
    pub from: Option<DateTime<Utc>>,
    /// Published before.
    pub until: Option<DateTime<Utc>>,
    /// Leave this release out (for "more from this organization").
    pub exclude_id: Option<i64>,
}

/// Releases whose link rows in `$link` match `$column.$test`: the link tables differ only in
/// the taxon column, so one subquery shape serves categories, regions and tags.
macro_rules! linked_through {
    ($link:ident, $column:ident . $test:ident ( $value:expr )) => {
        releases::id.eq_any(linked_ids!($link, $column.$test($value)))
    };
}

/// The ids of the releases link table `$link` ties to the taxa that pass the test.
macro_rules! linked_ids {
    ($link:ident, $column:ident . $test:ident ( $value:expr )) => {
        $link::table
            .filter($link::$column.$test($value))
            .select($link::release_id)
    };
}

/// The same condition as [`linked_through`], checked release by release.
macro_rules! linked_exists {
    ($link:ident, $column:ident . $test:ident ( $value:expr )) => {
        diesel::dsl::exists(
            linked_ids!($link, $column.$test($value)).filter($link::release_id.eq(releases::id)),
        )
    };
}

/// How a listing narrowed to a taxon finds its newest page. A taxon with few releases reads them
/// all and sorts them; one with many walks the newest public releases and checks each for the
/// link, which stops after a page instead of sorting thousands (a popular category at 100,000
/// releases took 400 ms the first way and a few the second). The cut is where the two cost about
/// the same for a page of 20 among 100,000 releases.
enum Linked {
    Few,
    Many,
}

impl Linked {
    const MANY: i64 = 1_000;

    fn count<Q>(ids: Q, conn: &mut DbConnection) -> Result<Linked>
    where
        Q: diesel::query_dsl::methods::LimitDsl,
        diesel::dsl::Limit<Q>: diesel::query_dsl::LoadQuery<'static, DbConnection, i64>,
    {
        let seen = ids.limit(Self::MANY).load::<i64>(conn)?.len();
        Ok(if (seen as i64) < Self::MANY {
            Linked::Few
        } else {
            Linked::Many
        })
    }
}

/// `$query` (boxed, newest `$column` first) narrowed to the rows after `$page`'s cursor.
macro_rules! before_cursor {
    ($query:expr, $page:expr, $column:expr) => {
        match &$page.after {
            Some(c) => {
                let t = to_db(c.time_key().unwrap_or_default());
                $query.filter($column.lt(t).or($column.eq(t).and(releases::id.lt(c.id))))
            }
            None => $query,
        }
    };
}

/// What the public may list at `now` (see [`crate::visibility`]), newest first.
pub fn list_public(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    filter: &PublicFilter,
    page: &PageRequest,
) -> Result<Page<ReleaseSummary>> {
    let mut q = releases::table
        .filter(public_release(to_db(now)))
        .order((releases::published_at.desc(), releases::id.desc()))
        .limit(page.fetch())
        .into_boxed();
    if let Some(org) = filter.organization_id {
        q = q.filter(releases::organization_id.eq(org));
    }
    if let Some(cats) = &filter.category_ids {
        q = match Linked::count(
            linked_ids!(release_categories, category_id.eq_any(cats.clone())),
            conn,
        )? {
            Linked::Few => q.filter(linked_through!(
                release_categories,
                category_id.eq_any(cats.clone())
            )),
            Linked::Many => q.filter(linked_exists!(
                release_categories,
                category_id.eq_any(cats.clone())
            )),
        };
    }
    if let Some(reg) = filter.region_id {
        q = match Linked::count(linked_ids!(release_regions, region_id.eq(reg)), conn)? {
            Linked::Few => q.filter(linked_through!(release_regions, region_id.eq(reg))),
            Linked::Many => q.filter(linked_exists!(release_regions, region_id.eq(reg))),
        };
    }
    if let Some(tag) = filter.tag_id {
        q = match Linked::count(linked_ids!(release_tags, tag_id.eq(tag)), conn)? {
            Linked::Few => q.filter(linked_through!(release_tags, tag_id.eq(tag))),
            Linked::Many => q.filter(linked_exists!(release_tags, tag_id.eq(tag))),
        };
    }
    if let Some(from) = filter.from {
        q = q.filter(releases::published_at.ge(to_db(from)));
    }
    if let Some(until) = filter.until {
        q = q.filter(releases::published_at.lt(to_db(until)));
    }
    if let Some(ex) = filter.exclude_id {
        q = q.filter(releases::id.ne(ex));
    }
    q = before_cursor!(q, page, releases::published_at);
    let rows = q.load::<ReleaseRow>(conn)?;
    let items = summaries(conn, rows)?;
    Ok(Page::from_overfetch(items, page.limit, |r| {
        Cursor::time(r.published_at.unwrap_or_default(), r.id)
    }))
}

/// Narrows the newsroom's own release list.
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    pub status: Option<ReleaseStatus>,
    pub organization_id: Option<i64>,
    pub author_id: Option<i64>,
    /// Matched against headline, subheadline and summary, case-insensitively.
    pub text: Option<String>,
}

/// Releases a signed-in person may see, most recently changed first. Contributors see public
/// releases and their own; editors and admins see everything.
pub fn list_for_staff(
    conn: &mut DbConnection,
    viewer: Viewer,
    now: DateTime<Utc>,
    filter: &StaffFilter,
    page: &PageRequest,
) -> Result<Page<ReleaseSummary>> {
    let mut q = releases::table
        .filter(visible_to(viewer, now))
        .order((releases::updated_at.desc(), releases::id.desc()))
        .limit(page.fetch())
        .into_boxed();
    if let Some(st) = filter.status {
        q = q.filter(releases::status.eq(st.as_str()));
    }
    if let Some(org) = filter.organization_id {
        q = q.filter(releases::organization_id.eq(org));
    }
    if let Some(author) = filter.author_id {
        q = q.filter(releases::author_id.eq(author));
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        q = q.filter(
            lower(releases::headline)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(releases::subheadline)
                    .like(pattern.clone())
                    .escape('\\'))
                .or(lower(releases::summary).like(pattern).escape('\\')),
        );
    }
    q = before_cursor!(q, page, releases::updated_at);
    let rows = if filter.text.is_some() && matches!(conn, DbConnection::Pg(_)) {
        // PostgreSQL guesses that one release in two hundred holds `%word%`, so for a page of 50
        // it would rather read every release and sort them (150 ms at 100,000) than walk the
        // newest first and stop once 50 have matched. Within this read the whole-table read is
        // priced out; the walk costs no more than it when a word is rare.
        conn.transaction(|conn| {
            if let DbConnection::Pg(c) = conn {
                diesel::sql_query("SET LOCAL enable_seqscan = off").execute(c)?;
            }
            q.load::<ReleaseRow>(conn)
        })?
    } else {
        q.load::<ReleaseRow>(conn)?
    };
    let items = summaries(conn, rows)?;
    Ok(Page::from_overfetch(items, page.limit, |r| {
        Cursor::time(r.updated_at, r.id)
    }))
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Releases in one status, oldest change first: for dashboards ("waiting for review").
pub fn by_status(
    conn: &mut DbConnection,
    status: ReleaseStatus,
    limit: i64,
) -> Result<Vec<ReleaseSummary>> {
    let rows = releases::table
        .filter(releases::status.eq(status.as_str()))
        .order((releases::updated_at.asc(), releases::id.asc()))
        .limit(limit)
        .load::<ReleaseRow>(conn)?;
    summaries(conn, rows)
}

pub(crate) fn summaries(
    conn: &mut DbConnection,
    rows: Vec<ReleaseRow>,
) -> Result<Vec<ReleaseSummary>> {
    let org_ids: Vec<i64> = rows.iter().filter_map(|r| r.organization_id).collect();
    let orgs = issuers(conn, &org_ids)?;
    rows.iter()
        .map(|r| r.summary(r.organization_id.and_then(|o| orgs.get(&o).cloned())))
        .collect()
}

/// Counts by status, for the dashboard.
pub fn count_by_status(conn: &mut DbConnection) -> Result<Vec<(ReleaseStatus, i64)>> {
    let rows = releases::table
        .group_by(releases::status)
        .select((releases::status, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, n)| s.parse().ok().map(|s| (s, n)))
        .collect())
}

/// Reads a row with a PostgreSQL row lock, held until the caller's transaction ends.
pub(crate) fn lock_for_update(conn: &mut diesel::PgConnection, id: i64) -> Result<ReleaseRow> {
    releases::table
        .find(id)
        .for_update()
        .first::<ReleaseRow>(conn)
        .map_err(not_found)
}

/// How many public releases each organization, category and region has, for index pages.
#[derive(Debug, Clone, Default)]
pub struct PublicCounts {
    pub organizations: HashMap<i64, i64>,
    pub categories: HashMap<i64, i64>,
    pub regions: HashMap<i64, i64>,
}

pub fn public_counts(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<PublicCounts> {
    let now = to_db(now);
    let organizations = releases::table
        .filter(public_release(now))
        .filter(releases::organization_id.is_not_null())
        .group_by(releases::organization_id)
        .select((releases::organization_id, diesel::dsl::count_star()))
        .load::<(Option<i64>, i64)>(conn)?
        .into_iter()
        .filter_map(|(o, n)| o.map(|o| (o, n)))
        .collect();
    // The link tables differ only in the taxon column, so one query shape counts both.
    macro_rules! public_per {
        ($link:ident, $column:ident) => {
            $link::table
                .inner_join(releases::table)
                .filter(public_release(now))
                .group_by($link::$column)
                .select(($link::$column, diesel::dsl::count_star()))
                .load::<(i64, i64)>(conn)?
                .into_iter()
                .collect()
        };
    }
    let categories = public_per!(release_categories, category_id);
    let regions = public_per!(release_regions, region_id);
    Ok(PublicCounts {
        organizations,
        categories,
        regions,
    })
}

/// Public releases published in `[from, until)`, newest first, up to `limit`: for the news
/// sitemap and sitemap pages.
pub fn public_between(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    from: Option<DateTime<Utc>>,
    offset: i64,
    limit: i64,
) -> Result<Vec<ReleaseSummary>> {
    let from = from.map(to_db);
    let mut q = releases::table
        .filter(public_release(to_db(now)))
        .order((releases::published_at.desc(), releases::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(from) = from {
        q = q.filter(releases::published_at.ge(from));
    }
    if offset > 0 {
        // The page starts at the release `offset` places down the public order, found on the
        // index alone; skipping rows in the query that loads them read each skipped row whole
        // (95 ms for the twentieth sitemap page at 100,000 releases on PostgreSQL).
        let mut start = releases::table
            .filter(public_release(to_db(now)))
            .order((releases::published_at.desc(), releases::id.desc()))
            .select((releases::published_at, releases::id))
            .offset(offset)
            .into_boxed();
        if let Some(from) = from {
            start = start.filter(releases::published_at.ge(from));
        }
        let Some((Some(at), id)) = start
            .first::<(Option<NaiveDateTime>, i64)>(conn)
            .optional()?
        else {
            return Ok(Vec::new());
        };
        // `<= at` on its own lets the index start at the boundary; the rest settles ties.
        q = q.filter(releases::published_at.le(at)).filter(
            releases::published_at
                .lt(at)
                .or(releases::published_at.eq(at).and(releases::id.le(id))),
        );
    }
    let rows = q.load::<ReleaseRow>(conn)?;
    summaries(conn, rows)
}

pub fn count_public(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<i64> {
    Ok(releases::table
        .filter(public_release(to_db(now)))
        .count()
        .get_result(conn)?)
}
