//! Online backups of the embedded SQLite database. `VACUUM INTO` copies the database inside one
//! read transaction, so the copy is consistent while servers keep writing, and compacted. A
//! PostgreSQL database is backed up with PostgreSQL's own tools; this module does not pretend
//! to copy one.

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::connection::DbConnection;
use crate::error::{Result, StorageError};

/// What a backup could not do, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "backups of PostgreSQL are made with pg_dump, which copies a running database \
         consistently: pg_dump --format=custom --file=OUT \"$DATABASE_URL\" (restore with \
         pg_restore). Dateline does not copy PostgreSQL itself"
    )]
    Postgres,
    #[error("{0} already exists; choose a new file name, so that no backup is overwritten")]
    Exists(String),
    #[error("the copy at {path} failed its integrity check: {report}")]
    Damaged { path: String, report: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Copies the SQLite database behind `conn` to a new file at `out`, then opens the copy and
/// checks it with `PRAGMA integrity_check`.
pub fn sqlite_copy(conn: &mut DbConnection, out: &Path) -> std::result::Result<(), BackupError> {
    let DbConnection::Sqlite(sqlite) = conn else {
        return Err(BackupError::Postgres);
    };
    if out.exists() {
        return Err(BackupError::Exists(out.display().to_string()));
    }
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(out.to_string_lossy())
        .execute(sqlite)
        .map_err(StorageError::from)?;
    let report = integrity_check(out)?;
    if report == "ok" {
        Ok(())
    } else {
        Err(BackupError::Damaged {
            path: out.display().to_string(),
            report,
        })
    }
}

/// `PRAGMA integrity_check` on the SQLite file at `path`, opened read-only: "ok", or the
/// problems it found.
pub fn integrity_check(path: &Path) -> Result<String> {
    let url = format!("file:{}?mode=ro", path.display());
    let conn = SqliteConnection::establish(&url)
        .map_err(|e| StorageError::Connect(format!("cannot open {}: {e}", path.display())))?;
    crate::connection::integrity_check(&mut DbConnection::Sqlite(conn))
}
