//! Repository functions, one module per area. Each takes a connection and returns `core` types.

pub mod audit;
pub mod bulk;
pub mod compaction;
pub mod imports;
pub mod jobs;
pub mod media;
mod named;
pub mod organizations;
pub mod pipeline;
pub mod previews;
pub(crate) mod relations;
pub mod releases;
pub mod revisions;
pub mod search;
pub mod search_terms;
pub mod sessions;
pub mod settings;
pub mod taxonomy;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod webhooks;

/// Writes `$at` into the nullable column `$column` of row `$id` of `$table` unless it is already
/// set, as one conditional UPDATE: `true` when this call set it. Revoking a token or using a
/// one-time link this way lets exactly one of several racing requests win.
macro_rules! set_once {
    ($conn:expr, $table:ident, $column:ident, $id:expr, $at:expr) => {
        diesel::update($table::table.find($id).filter($table::$column.is_null()))
            .set($table::$column.eq(Some($crate::time::to_db($at))))
            .execute($conn)
            .map(|n| n == 1)
            .map_err($crate::error::StorageError::from)
    };
}
pub(crate) use set_once;

/// Why a compare-and-swap on row `$id` of `$table` wrote nothing: `Conflict` with the revision
/// now stored, or `NotFound` when the row is gone.
macro_rules! conflict_or_missing {
    ($conn:expr, $table:ident, $id:expr) => {
        match $table::table
            .find($id)
            .select($table::revision)
            .first::<i64>($conn)
            .optional()
        {
            Ok(Some(current)) => $crate::error::StorageError::Conflict { current },
            Ok(None) => $crate::error::StorageError::NotFound,
            Err(e) => e.into(),
        }
    };
}
pub(crate) use conflict_or_missing;
