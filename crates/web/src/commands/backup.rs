//! `dateline backup OUT`: a consistent copy of the embedded SQLite database, made while servers
//! run, and checked before the command says it worked. PostgreSQL is refused with the command
//! that does the job properly (pg_dump), rather than a copy that only looks like a backup.

use std::path::Path;

use anyhow::Context;
use dateline_storage::backup::{self, BackupError};
use dateline_storage::connection::{Backend, DatabaseUrl};

use crate::config::Config;

pub fn run(config: &Config, out: &Path) -> anyhow::Result<()> {
    if config.database_url.backend() == Backend::Postgres {
        return Err(BackupError::Postgres.into());
    }
    if out.exists() {
        return Err(BackupError::Exists(out.display().to_string()).into());
    }
    let pool = super::open(config)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    backup::sqlite_copy(&mut conn, out)?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    let from = match &config.database_url {
        DatabaseUrl::Sqlite(path) => path.display().to_string(),
        other => other.redacted(),
    };
    println!(
        "Copied {from} to {} ({size} bytes); integrity check: ok.",
        out.display()
    );
    Ok(())
}
