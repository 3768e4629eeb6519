//! Times cross the storage boundary as `DateTime<Utc>` and are stored as naive UTC, truncated to
//! microseconds: PostgreSQL keeps no more, so both backends read back exactly what was written.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

pub use dateline_core::timezone::{YEARS, storable};

pub fn to_db(t: DateTime<Utc>) -> NaiveDateTime {
    t.trunc_subsecs(6).naive_utc()
}

pub fn from_db(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub fn opt_from_db(t: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    t.map(from_db)
}

pub fn opt_to_db(t: Option<DateTime<Utc>>) -> Option<NaiveDateTime> {
    t.map(to_db)
}

/// The current time as stored.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
