//! Categories (a tree), regions and tags.

use chrono::NaiveDateTime;
use dateline_core::slug::slugify_or;
use dateline_core::{Category, Region, Tag};
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError, found, unique_as};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::repo::named::{
    after_name, delete_unused, insert_named, pick_slug, slug_after_edit, slug_taken,
    update_at_revision,
};
use crate::schema::{categories, regions, release_regions, release_tags, releases, tags};
use crate::time::{now, to_db};
use crate::visibility::{self, Scope};

pub use dateline_core::taxonomy::TaxonInput;

/// The reads every kind of taxon has: by id and by slug (`NotFound` when there is none), and
/// optionally many by slug at once (unknown slugs are left out).
macro_rules! taxon_reads {
    ($table:ident, $row:ty => $taxon:ty, $get:ident, $by_slug:ident $(, $by_slugs:ident)?) => {
        pub fn $get(conn: &mut DbConnection, id: i64) -> Result<$taxon> {
            found($table::table.find(id).first::<$row>(conn))
        }

        pub fn $by_slug(conn: &mut DbConnection, slug: &str) -> Result<$taxon> {
            found($table::table.filter($table::slug.eq(slug)).first::<$row>(conn))
        }

        $(
            pub fn $by_slugs(conn: &mut DbConnection, slugs: &[String]) -> Result<Vec<$taxon>> {
                Ok($table::table
                    .filter($table::slug.eq_any(slugs))
                    .load::<$row>(conn)?
                    .into_iter()
                    .map(<$taxon>::from)
                    .collect())
            }
        )?
    };
}

/// Whether link table `$link` ties the taxon `$taxon` (a column of the outer query, or an id) to
/// a release matching `$releases`: what a scope may see of regions and tags. (Tags are typed into
/// releases, so a tag's name alone can give away an embargoed story.) The probe starts from the
/// taxon's links and stops at the first such release, so its cost does not grow with the
/// newsroom.
macro_rules! has_release_in {
    ($link:ident, $column:ident, $taxon:expr, $releases:expr) => {
        diesel::dsl::exists(
            $link::table
                .inner_join(releases::table)
                .filter($link::$column.eq($taxon))
                .filter($releases)
                .select($link::release_id),
        )
    };
}

/// A kind's listing in name order, narrowed to what `scope` may see (`$visible`, a filter or
/// `None`): `$in_scope` reads all of it or one page, and `$list` pages through it.
macro_rules! taxon_lists {
    (
        $table:ident, $row:ty => $taxon:ty, $in_scope:ident, $list:ident,
        |$conn:ident, $scope:ident| $visible:expr
    ) => {
        fn $in_scope(
            $conn: &mut DbConnection,
            $scope: Scope,
            page: Option<&PageRequest>,
        ) -> Result<Vec<$taxon>> {
            let mut q = $table::table
                .order(($table::name.asc(), $table::id.asc()))
                .into_boxed();
            if let Some(visible) = $visible {
                q = q.filter(visible);
            }
            if let Some(page) = page {
                q = after_name!(q.limit(page.fetch()), page, $table);
            }
            Ok(q.load::<$row>($conn)?
                .into_iter()
                .map(<$taxon>::from)
                .collect())
        }

        pub fn $list(
            $conn: &mut DbConnection,
            page: &PageRequest,
            $scope: Scope,
        ) -> Result<Page<$taxon>> {
            let rows = $in_scope($conn, $scope, Some(page))?;
            Ok(Page::from_overfetch(rows, page.limit, |t| {
                Cursor::text(&t.name, t.id)
            }))
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Categories

#[derive(Debug, Clone, Queryable)]
pub(crate) struct CategoryRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<i64>,
    pub _created_at: NaiveDateTime,
    pub _updated_at: NaiveDateTime,
    pub revision: i64,
}

impl From<CategoryRow> for Category {
    fn from(r: CategoryRow) -> Self {
        Category {
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            parent_id: r.parent_id,
            revision: r.revision,
        }
    }
}

taxon_reads!(categories, CategoryRow => Category, get_category, category_by_slug, categories_by_slugs);

/// A parent must exist and must not be the category itself or one of its descendants.
fn check_parent(conn: &mut DbConnection, id: Option<i64>, parent: Option<i64>) -> Result<()> {
    dateline_core::taxonomy::check_parent(id, parent, |cursor| {
        Ok(categories::table
            .find(cursor)
            .select(categories::parent_id)
            .first::<Option<i64>>(conn)
            .optional()?)
    })
}

pub fn create_category(conn: &mut DbConnection, input: &TaxonInput) -> Result<Category> {
    input.validate()?;
    write_tx(conn, |conn| {
        check_parent(conn, None, input.parent_id)?;
        let slug = pick_slug(&input.slug, &input.name, "category", |s| {
            slug_taken!(conn, categories, s)
        })?;
        let columns = (
            categories::description.eq(input.description.trim()),
            categories::parent_id.eq(input.parent_id),
        );
        insert_named!(
            conn,
            categories,
            CategoryRow,
            &slug,
            input.name.trim(),
            columns
        )
        .map(Category::from)
    })
}

pub fn update_category(
    conn: &mut DbConnection,
    id: i64,
    expected_revision: i64,
    input: &TaxonInput,
) -> Result<Category> {
    input.validate()?;
    write_tx(conn, |conn| {
        check_parent(conn, Some(id), input.parent_id)?;
        let slug = slug_after_edit!(conn, categories, id, input.slug)?;
        let changes = (
            categories::name.eq(input.name.trim()),
            categories::description.eq(input.description.trim()),
            categories::parent_id.eq(input.parent_id),
            categories::updated_at.eq(to_db(now())),
        );
        update_at_revision!(conn, categories, id, expected_revision, &slug, changes)?;
        get_category(conn, id)
    })
}

/// Refused with `InUse` while releases or child categories point at it.
pub fn delete_category(conn: &mut DbConnection, id: i64) -> Result<()> {
    delete_unused!(conn, categories, id, "this category")
}

/// Every category in `scope`, in name order. Trees are small; callers arrange them.
pub fn all_categories(conn: &mut DbConnection, scope: Scope) -> Result<Vec<Category>> {
    categories_in_scope(conn, scope, None)
}

taxon_lists!(categories, CategoryRow => Category, categories_in_scope, list_categories, |conn, scope| {
    visibility::category_ids(conn, scope)?.map(|ids| categories::id.eq_any(Vec::from_iter(ids)))
});

/// Whether the category `id` may be shown under `scope`.
pub fn category_visible(conn: &mut DbConnection, id: i64, scope: Scope) -> Result<bool> {
    Ok(visibility::category_ids(conn, scope)?.is_none_or(|ids| ids.contains(&id)))
}

// ---------------------------------------------------------------------------------------------
// Regions

#[derive(Debug, Clone, Queryable)]
pub(crate) struct RegionRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub _created_at: NaiveDateTime,
    pub _updated_at: NaiveDateTime,
    pub revision: i64,
}

impl From<RegionRow> for Region {
    fn from(r: RegionRow) -> Self {
        Region {
            id: r.id,
            slug: r.slug,
            name: r.name,
            revision: r.revision,
        }
    }
}

taxon_reads!(regions, RegionRow => Region, get_region, region_by_slug, regions_by_slugs);

pub fn create_region(conn: &mut DbConnection, input: &TaxonInput) -> Result<Region> {
    input.validate()?;
    write_tx(conn, |conn| {
        let slug = pick_slug(&input.slug, &input.name, "region", |s| {
            slug_taken!(conn, regions, s)
        })?;
        insert_named!(conn, regions, RegionRow, &slug, input.name.trim()).map(Region::from)
    })
}

pub fn update_region(
    conn: &mut DbConnection,
    id: i64,
    expected_revision: i64,
    input: &TaxonInput,
) -> Result<Region> {
    input.validate()?;
    write_tx(conn, |conn| {
        let slug = slug_after_edit!(conn, regions, id, input.slug)?;
        let changes = (
            regions::name.eq(input.name.trim()),
            regions::updated_at.eq(to_db(now())),
        );
        update_at_revision!(conn, regions, id, expected_revision, &slug, changes)?;
        get_region(conn, id)
    })
}

pub fn delete_region(conn: &mut DbConnection, id: i64) -> Result<()> {
    delete_unused!(conn, regions, id, "this region")
}

/// Every region in `scope`, in name order.
pub fn all_regions(conn: &mut DbConnection, scope: Scope) -> Result<Vec<Region>> {
    regions_in_scope(conn, scope, None)
}

taxon_lists!(regions, RegionRow => Region, regions_in_scope, list_regions, |conn, scope| {
    scope
        .releases()
        .map(|visible| has_release_in!(release_regions, region_id, regions::id, visible))
});

/// Whether the region `id` may be shown under `scope`.
pub fn region_visible(conn: &mut DbConnection, id: i64, scope: Scope) -> Result<bool> {
    match scope.releases() {
        None => Ok(true),
        Some(visible) => {
            Ok(
                diesel::select(has_release_in!(release_regions, region_id, id, visible))
                    .get_result(conn)?,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tags

#[derive(Debug, Clone, Queryable)]
pub(crate) struct TagRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub _created_at: NaiveDateTime,
    pub revision: i64,
}

impl From<TagRow> for Tag {
    fn from(r: TagRow) -> Self {
        Tag {
            id: r.id,
            slug: r.slug,
            name: r.name,
            revision: r.revision,
        }
    }
}

taxon_reads!(tags, TagRow => Tag, get_tag, tag_by_slug);

/// Tags are free-form: the slug is the identity, so "Solar Power" and "solar power" are one tag.
pub fn create_tag(conn: &mut DbConnection, input: &TaxonInput) -> Result<Tag> {
    input.validate()?;
    let slug = if input.slug.is_empty() {
        slugify_or(&input.name, "tag")
    } else {
        input.slug.clone()
    };
    diesel::insert_into(tags::table)
        .values((
            tags::slug.eq(&slug),
            tags::name.eq(input.name.trim()),
            tags::created_at.eq(to_db(now())),
        ))
        .get_result::<TagRow>(conn)
        .map(Tag::from)
        .map_err(unique_as("slug", &slug))
}

/// The tag with this name's slug, created on first use. Two writers adding the same new tag at
/// once both end up with the one tag: the second insert yields to the first.
pub fn ensure_tag(conn: &mut DbConnection, name: &str) -> Result<Tag> {
    let slug = slugify_or(name, "tag");
    let existing = |conn: &mut DbConnection| {
        tags::table
            .filter(tags::slug.eq(&slug))
            .first::<TagRow>(conn)
            .optional()
    };
    if let Some(row) = existing(conn)? {
        return Ok(row.into());
    }
    let input = TaxonInput {
        name: name.to_owned(),
        slug: slug.clone(),
        ..Default::default()
    };
    input.validate()?;
    let row = (
        tags::slug.eq(&slug),
        tags::name.eq(input.name.trim()),
        tags::created_at.eq(to_db(now())),
    );
    let insert = diesel::insert_into(tags::table).values(row);
    match conn {
        DbConnection::Sqlite(c) => insert.on_conflict_do_nothing().execute(c)?,
        DbConnection::Pg(c) => insert.on_conflict_do_nothing().execute(c)?,
    };
    existing(conn)?
        .map(Tag::from)
        .ok_or_else(|| StorageError::Corrupt(format!("tag {slug} vanished as it was added")))
}

/// Renames a tag, compare-and-swap on its revision.
pub fn update_tag(
    conn: &mut DbConnection,
    id: i64,
    expected_revision: i64,
    input: &TaxonInput,
) -> Result<Tag> {
    input.validate()?;
    // A tag's slug is its identity (see `create_tag`), so it follows the name.
    let slug = if input.slug.is_empty() {
        slugify_or(&input.name, "tag")
    } else {
        input.slug.clone()
    };
    let changes = tags::name.eq(input.name.trim());
    update_at_revision!(conn, tags, id, expected_revision, &slug, changes)?;
    get_tag(conn, id)
}

pub fn delete_tag(conn: &mut DbConnection, id: i64) -> Result<()> {
    delete_unused!(conn, tags, id, "this tag")
}

taxon_lists!(tags, TagRow => Tag, tags_in_scope, list_tags, |conn, scope| {
    scope
        .releases()
        .map(|visible| has_release_in!(release_tags, tag_id, tags::id, visible))
});

/// Whether the tag `id` may be shown under `scope`.
pub fn tag_visible(conn: &mut DbConnection, id: i64, scope: Scope) -> Result<bool> {
    match scope.releases() {
        None => Ok(true),
        Some(visible) => Ok(
            diesel::select(has_release_in!(release_tags, tag_id, id, visible)).get_result(conn)?,
        ),
    }
}

/// A category's id with those of all categories below it, so a listing of "Energy" includes
/// releases filed under "Renewables".
pub fn category_and_descendants(conn: &mut DbConnection, id: i64) -> Result<Vec<i64>> {
    let all = categories::table
        .select((categories::id, categories::parent_id))
        .load::<(i64, Option<i64>)>(conn)?;
    let mut out = vec![id];
    let mut i = 0;
    while i < out.len() && out.len() <= all.len() {
        let parent = out[i];
        out.extend(
            all.iter()
                .filter(|(_, p)| *p == Some(parent))
                .map(|(c, _)| *c)
                .filter(|c| *c != id),
        );
        i += 1;
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}
