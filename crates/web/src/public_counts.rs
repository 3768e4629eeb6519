//! How many public releases each organization, category and region has, and how many there are
//! in all: read once per content version and shared by the index pages and the sitemaps.
//!
//! Counting groups every public release (hundreds of milliseconds at 100,000 releases), while the
//! answer changes only when the content version moves, in the same transaction as every public
//! change. So the counts are kept with the version they were read at, and a request that finds
//! the version unchanged reuses them.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use dateline_storage::repo::releases::{self, PublicCounts};
use dateline_storage::repo::settings;
use dateline_storage::{DbConnection, StorageError};

/// The counts with the content version they were read at.
#[derive(Default)]
pub struct CountsCache(Mutex<Option<(i64, Arc<Counted>)>>);

/// Public releases per organization, category and region, and in all.
#[derive(Debug, Default)]
pub struct Counted {
    pub per: PublicCounts,
    pub total: i64,
}

impl CountsCache {
    /// The counts for the content version the database holds now, read afresh only when it
    /// moved since they were last read.
    pub fn get(
        &self,
        conn: &mut DbConnection,
        now: DateTime<Utc>,
    ) -> Result<Arc<Counted>, StorageError> {
        let version = settings::content_version(conn)?.version;
        if let Ok(kept) = self.0.lock()
            && let Some((at, counted)) = kept.as_ref()
            && *at == version
        {
            return Ok(counted.clone());
        }
        let counted = Arc::new(Counted {
            per: releases::public_counts(conn, now)?,
            total: releases::count_public(conn, now)?,
        });
        if let Ok(mut kept) = self.0.lock() {
            *kept = Some((version, counted.clone()));
        }
        Ok(counted)
    }
}
