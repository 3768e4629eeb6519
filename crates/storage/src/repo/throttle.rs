//! Failure counters for login throttling, shared by every instance. Keys are
//! `acct:<email>` and `ip:<address>`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::connection::{DbConnection, write_tx};
use crate::error::Result;
use crate::schema::login_throttle;
use crate::time::{from_db, to_db};

/// Until when `key` is locked, if it is locked at `now`.
pub fn locked_until(
    conn: &mut DbConnection,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let until = login_throttle::table
        .find(key)
        .select(login_throttle::locked_until)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten()
        .map(from_db);
    Ok(until.filter(|u| *u > now))
}

/// Counts a failure and applies the lock `lock_for(failures)` returns. Counters older than
/// `forget_after` start again from zero, so old mistakes do not accumulate forever.
pub fn record_failure(
    conn: &mut DbConnection,
    key: &str,
    now: DateTime<Utc>,
    forget_after: chrono::Duration,
    lock_for: impl Fn(u32) -> Option<std::time::Duration>,
) -> Result<(u32, Option<DateTime<Utc>>)> {
    write_tx(conn, |conn| {
        let existing = login_throttle::table
            .find(key)
            .select((login_throttle::failures, login_throttle::last_failure_at))
            .first::<(i32, NaiveDateTime)>(conn)
            .optional()?;
        let failures = match existing {
            Some((n, last)) if from_db(last) + forget_after > now => n.max(0) as u32 + 1,
            _ => 1,
        };
        let until = lock_for(failures)
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| now + d);
        if existing.is_some() {
            diesel::update(login_throttle::table.find(key))
                .set((
                    login_throttle::failures.eq(failures as i32),
                    login_throttle::locked_until.eq(until.map(to_db)),
                    login_throttle::last_failure_at.eq(to_db(now)),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(login_throttle::table)
                .values((
                    login_throttle::key.eq(key),
                    login_throttle::failures.eq(failures as i32),
                    login_throttle::locked_until.eq(until.map(to_db)),
                    login_throttle::last_failure_at.eq(to_db(now)),
                ))
                .execute(conn)?;
        }
        Ok((failures, until))
    })
}

/// A success clears the counter.
pub fn clear(conn: &mut DbConnection, key: &str) -> Result<()> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)?;
    Ok(())
}

/// Removes counters that can no longer matter: the last failure is at least `forget_after` old
/// (the next failure would start from zero anyway) and any lock has ended. A delete of rows
/// already past both limits, so any number of instances may run it at once.
pub fn purge_stale(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    forget_after: chrono::Duration,
) -> Result<usize> {
    Ok(diesel::delete(
        login_throttle::table
            .filter(login_throttle::last_failure_at.le(to_db(now - forget_after)))
            .filter(
                login_throttle::locked_until
                    .is_null()
                    .or(login_throttle::locked_until.le(to_db(now))),
            ),
    )
    .execute(conn)?)
}
