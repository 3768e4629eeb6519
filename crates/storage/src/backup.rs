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
    #[error("{0} is not a UTF-8 file name; choose another")]
    NotUtf8(String),
    #[error("cannot write the copy: {0}")]
    Write(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Copies the SQLite database behind `conn` to a new file at `out`, then opens the copy and
/// checks it with `PRAGMA integrity_check`.
pub fn sqlite_copy(conn: &mut DbConnection, out: &Path) -> std::result::Result<(), BackupError> {
    let DbConnection::Sqlite(sqlite) = conn else {
        return Err(BackupError::Postgres);
    };
    let Some(name) = out.to_str() else {
        return Err(BackupError::NotUtf8(out.display().to_string()));
    };
    // Created empty first, readable by its owner only: the copy holds password hashes and
    // embargoed releases. SQLite writes into an empty file as into a new one.
    create_private(out)?;
    if let Err(e) = diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(name)
        .execute(sqlite)
    {
        let _ = std::fs::remove_file(out);
        return Err(StorageError::from(e).into());
    }
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

/// A new, empty file that only its owner may read; an existing file is never touched.
pub fn create_private(path: &Path) -> std::result::Result<std::fs::File, BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => BackupError::Exists(path.display().to_string()),
        _ => BackupError::Write(format!("{}: {e}", path.display())),
    })
}

/// `PRAGMA integrity_check` on the SQLite file at `path`, opened read-only: "ok", or the
/// problems it found. The path goes into a `file:` URI, so every byte that could end or change
/// it (`?`, `#`, `%`, anything not plain ASCII) is percent-encoded.
pub fn integrity_check(path: &Path) -> Result<String> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let encoded: String = absolute
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let url = format!("file:{encoded}?mode=ro");
    let conn = SqliteConnection::establish(&url)
        .map_err(|e| StorageError::Connect(format!("cannot open {}: {e}", path.display())))?;
    crate::connection::integrity_check(&mut DbConnection::Sqlite(conn))
}
