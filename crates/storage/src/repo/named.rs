//! What organizations, categories, regions and tags have in common: each is a named row with a
//! slug, kept in name order, updated with compare-and-swap on a revision, and not deleted while
//! something points at it. Their tables are distinct Diesel types, so the statement shapes are
//! macros over a table module; the one piece that needs no table is a plain function.

use dateline_core::slug::{slugify_or, unique_slug};

use crate::error::Result;

/// The slug a new or renamed row gets: the one given, or a free one made from the name
/// (`fallback` when the name has no letters to make one from).
pub(crate) fn pick_slug(
    given: &str,
    name: &str,
    fallback: &str,
    mut taken: impl FnMut(&str) -> Result<bool>,
) -> Result<String> {
    if !given.is_empty() {
        return Ok(given.to_owned());
    }
    let base = slugify_or(name, fallback);
    let mut err = None;
    let slug = unique_slug(&base, |s| {
        taken(s).unwrap_or_else(|e| {
            err = Some(e);
            false
        })
    });
    err.map_or(Ok(slug), Err)
}

/// Whether a row of `$table` already has `$slug`.
macro_rules! slug_taken {
    ($conn:expr, $table:ident, $slug:expr) => {
        $table::table
            .filter($table::slug.eq($slug))
            .count()
            .get_result::<i64>($conn)
            .map(|n| n > 0)
            .map_err($crate::error::StorageError::from)
    };
}

/// The slug row `$id` of `$table` keeps through an edit: `$given` when one is given, else the
/// stored one, so a rename keeps its address and links to it keep working.
macro_rules! slug_after_edit {
    ($conn:expr, $table:ident, $id:expr, $given:expr) => {
        if $given.is_empty() {
            $table::table
                .find($id)
                .select($table::slug)
                .first::<String>($conn)
                .map_err($crate::error::not_found)
        } else {
            Ok($given.clone())
        }
    };
}

/// Inserts a new row of `$table` named `$name` with `$slug` and any columns of its own, at
/// revision 1, and reads it back as `$row`. `Duplicate` when another row has the slug.
macro_rules! insert_named {
    ($conn:expr, $table:ident, $row:ty, $slug:expr, $name:expr $(, $columns:expr)?) => {{
        let at = $crate::time::to_db($crate::time::now());
        diesel::insert_into($table::table)
            .values((
                $table::slug.eq($slug),
                $table::name.eq($name),
                $($columns,)?
                $table::created_at.eq(at),
                $table::updated_at.eq(at),
                $table::revision.eq(1),
            ))
            .get_result::<$row>($conn)
            .map_err($crate::error::unique_as("slug", $slug))
    }};
}

/// Sets `$slug` and `$changes` on row `$id` of `$table` if it is still at `$expected` and bumps
/// its revision. Otherwise nothing is written and the error says why: `Conflict` with the
/// revision now stored, `NotFound`, or `Duplicate` when another row has the slug.
macro_rules! update_at_revision {
    ($conn:expr, $table:ident, $id:expr, $expected:expr, $slug:expr, $changes:expr) => {
        match diesel::update(
            $table::table
                .filter($table::id.eq($id))
                .filter($table::revision.eq($expected)),
        )
        .set((
            $table::slug.eq($slug),
            $changes,
            $table::revision.eq($table::revision + 1),
        ))
        .execute($conn)
        {
            Err(e) => Err($crate::error::unique_as("slug", $slug)(e)),
            Ok(0) => Err($crate::repo::conflict_or_missing!($conn, $table, $id)),
            Ok(_) => Ok(()),
        }
    };
}

/// Deletes row `$id` of `$table`: `InUse` (naming it `$what`) while other rows point at it,
/// `NotFound` when there is no such row.
macro_rules! delete_unused {
    ($conn:expr, $table:ident, $id:expr, $what:expr) => {
        match diesel::delete($table::table.find($id))
            .execute($conn)
            .map_err($crate::error::in_use($what))
        {
            Ok(0) => Err($crate::error::StorageError::NotFound),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    };
}

/// `$query` (boxed, in name order) narrowed to the rows after `$page`'s cursor.
macro_rules! after_name {
    ($query:expr, $page:expr, $table:ident) => {
        match &$page.after {
            Some(c) => {
                let name = c.text_key().unwrap_or_default().to_owned();
                $query.filter(
                    $table::name
                        .gt(name.clone())
                        .or($table::name.eq(name).and($table::id.gt(c.id))),
                )
            }
            None => $query,
        }
    };
}

pub(crate) use {
    after_name, delete_unused, insert_named, slug_after_edit, slug_taken, update_at_revision,
};
