//! Attempt counters for sign-in throttling, shared by every instance. Keys are chosen by the web
//! layer (a keyed hash of the account, the client network, a second-factor session).
//!
//! An attempt is counted before the password or code is checked, by one upsert that also
//! decides whether the key is locked and sets the lock that attempt would leave if it fails.
//! Concurrent attempts are therefore numbered one by one by the database itself: however many
//! arrive at once, only the free allowance gets through, on either backend.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Integer, Nullable, Text, Timestamp};

use crate::connection::{DbConnection, write_tx};
use crate::error::Result;
use crate::schema::login_throttle;
use crate::time::{from_db, to_db};

/// The lock each failure leaves: `(n, d)` means the n-th failure in a row locks the key for `d`,
/// until the next entry's count. Ascending by count; counts past the last entry keep its lock,
/// counts before the first leave none.
pub type Schedule = [(u32, std::time::Duration)];

/// What counting an attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The attempt may be checked. It is number `number` since the last success (or since the
    /// counter was forgotten); `locks_until` is the lock already in place in case it fails.
    Counted {
        number: u32,
        locks_until: Option<DateTime<Utc>>,
    },
    /// The key is locked: nothing was counted, nothing may be checked.
    Refused { until: DateTime<Utc> },
}

/// Counts an attempt on `key` at `now`, atomically (see the module comment). Counters whose last
/// attempt is older than `forget_after` start again from one.
pub fn count_attempt(
    conn: &mut DbConnection,
    key: &str,
    now: DateTime<Utc>,
    forget_after: chrono::Duration,
    schedule: &Schedule,
) -> Result<Attempt> {
    let sql = upsert_sql(
        matches!(conn, DbConnection::Pg(_)),
        key,
        now,
        forget_after,
        schedule,
    );
    let row = match conn {
        DbConnection::Sqlite(c) => sql.query().get_result::<CountedRow>(c).optional()?,
        DbConnection::Pg(c) => sql.query().get_result::<CountedRow>(c).optional()?,
    };
    match row {
        Some(r) => Ok(Attempt::Counted {
            number: r.failures.max(0) as u32,
            locks_until: r.locked_until.map(from_db),
        }),
        // The conditional update did not apply: the key was locked. The lock may have ended
        // since; a refusal still says to wait at least a moment.
        None => Ok(Attempt::Refused {
            until: locked_until(conn, key, now)?.unwrap_or(now + chrono::Duration::seconds(1)),
        }),
    }
}

#[derive(QueryableByName)]
struct CountedRow {
    #[diesel(sql_type = Integer)]
    failures: i32,
    #[diesel(sql_type = Nullable<Timestamp>)]
    locked_until: Option<NaiveDateTime>,
}

enum Param {
    Text(String),
    Int(i32),
    Time(Option<NaiveDateTime>),
}

/// Raw SQL because Diesel's upsert DSL is not available through the multi-backend connection;
/// the text is the same on both backends but for how parameters are written.
struct Sql {
    pg: bool,
    text: String,
    params: Vec<Param>,
}

impl Sql {
    fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    fn param(&mut self, p: Param) -> &mut Self {
        self.params.push(p);
        if self.pg {
            let n = self.params.len();
            self.text.push_str(&format!("${n}"));
        } else {
            self.text.push('?');
        }
        self
    }

    fn query<'f, DB>(&self) -> BoxedSqlQuery<'f, DB, SqlQuery>
    where
        DB: Backend + HasSqlType<Text> + HasSqlType<Integer> + HasSqlType<Timestamp>,
        String: ToSql<Text, DB>,
        i32: ToSql<Integer, DB>,
        Option<NaiveDateTime>: ToSql<Nullable<Timestamp>, DB>,
    {
        let mut q = diesel::sql_query(self.text.clone()).into_boxed::<DB>();
        for p in &self.params {
            q = match p {
                Param::Text(s) => q.bind::<Text, _>(s.clone()),
                Param::Int(i) => q.bind::<Integer, _>(*i),
                Param::Time(t) => q.bind::<Nullable<Timestamp>, _>(*t),
            };
        }
        q
    }
}

fn upsert_sql(
    pg: bool,
    key: &str,
    now: DateTime<Utc>,
    forget_after: chrono::Duration,
    schedule: &Schedule,
) -> Sql {
    let lock_from_now = |d: std::time::Duration| {
        chrono::Duration::from_std(d)
            .ok()
            .map(|d| to_db(now + d))
            .map_or(Param::Time(None), |t| Param::Time(Some(t)))
    };
    let first_lock = || match schedule.first() {
        Some((1, d)) => lock_from_now(*d),
        _ => Param::Time(None),
    };
    let cutoff = || Param::Time(Some(to_db(now - forget_after)));
    let at = || Param::Time(Some(to_db(now)));
    let mut s = Sql {
        pg,
        text: String::new(),
        params: Vec::new(),
    };
    s.push("INSERT INTO login_throttle (key, failures, locked_until, last_failure_at) VALUES (")
        .param(Param::Text(key.to_owned()))
        .push(", 1, ")
        .param(first_lock())
        .push(", ")
        .param(at())
        .push(") ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_throttle.last_failure_at <= ")
        .param(cutoff())
        .push(" THEN 1 ELSE login_throttle.failures + 1 END, locked_until = CASE WHEN login_throttle.last_failure_at <= ")
        .param(cutoff())
        .push(" THEN ")
        .param(first_lock());
    // The lock for the new count, failures + 1: one branch per step of the schedule.
    let mut tiers = schedule.iter().peekable();
    if let Some((first, _)) = tiers.peek() {
        s.push(" WHEN login_throttle.failures + 1 < ")
            .param(Param::Int(*first as i32))
            .push(" THEN NULL");
    }
    let mut last = Param::Time(None);
    while let Some((_, d)) = tiers.next() {
        match tiers.peek() {
            Some((next, _)) => {
                s.push(" WHEN login_throttle.failures + 1 < ")
                    .param(Param::Int(*next as i32))
                    .push(" THEN ")
                    .param(lock_from_now(*d));
            }
            None => last = lock_from_now(*d),
        }
    }
    s.push(" ELSE ")
        .param(last)
        .push(" END, last_failure_at = ")
        .param(at())
        .push(" WHERE login_throttle.locked_until IS NULL OR login_throttle.locked_until <= ")
        .param(at())
        .push(" RETURNING failures, locked_until");
    s
}

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

/// Whether an attempt counted after attempt `number` has locked `key` meanwhile: such a lock
/// covers attempts still waiting for their turn to be checked.
pub fn locked_since(
    conn: &mut DbConnection,
    key: &str,
    number: u32,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let row = login_throttle::table
        .find(key)
        .select((login_throttle::failures, login_throttle::locked_until))
        .first::<(i32, Option<NaiveDateTime>)>(conn)
        .optional()?;
    Ok(match row {
        Some((failures, Some(until))) if failures.max(0) as u32 > number => {
            Some(from_db(until)).filter(|u| *u > now)
        }
        _ => None,
    })
}

/// How many attempts are counted against `key`, for tests and diagnostics.
pub fn failures(conn: &mut DbConnection, key: &str) -> Result<u32> {
    Ok(login_throttle::table
        .find(key)
        .select(login_throttle::failures)
        .first::<i32>(conn)
        .optional()?
        .map_or(0, |n| n.max(0) as u32))
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

/// A success takes back its own count and nothing else: for counters shared by many people
/// (an office's address), where one success must not wipe out others' failures. `number` is the
/// attempt's number on the counter. While nobody has counted since, the lock on the counter is
/// the one this attempt set in case it failed (counting refuses while an earlier lock runs), so
/// the success lifts it; a counter whose only count this was goes altogether.
pub fn uncount(conn: &mut DbConnection, key: &str, number: u32) -> Result<()> {
    let number = i32::try_from(number).unwrap_or(i32::MAX);
    write_tx(conn, |conn| {
        let last = login_throttle::table
            .filter(login_throttle::key.eq(key))
            .filter(login_throttle::failures.eq(number));
        if number <= 1 && diesel::delete(last).execute(conn)? == 1 {
            return Ok(());
        }
        let lifted = diesel::update(last)
            .set((
                login_throttle::failures.eq(login_throttle::failures - 1),
                login_throttle::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        if lifted == 0 {
            diesel::update(
                login_throttle::table
                    .filter(login_throttle::key.eq(key))
                    .filter(login_throttle::failures.gt(0)),
            )
            .set(login_throttle::failures.eq(login_throttle::failures - 1))
            .execute(conn)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend_tests;
    use std::time::Duration;

    const SCHEDULE: &Schedule = &[
        (3, Duration::from_secs(1)),
        (4, Duration::from_secs(2)),
        (5, Duration::from_secs(4)),
    ];

    fn count(conn: &mut DbConnection, now: DateTime<Utc>) -> Attempt {
        count_attempt(conn, "k", now, chrono::Duration::minutes(30), SCHEDULE).unwrap()
    }

    backend_tests! {
        fn counts_locks_and_forgets(db) {
            let conn = &mut db.pool.get().unwrap();
            let t0 = Utc::now();
            assert_eq!(count(conn, t0), Attempt::Counted { number: 1, locks_until: None });
            assert_eq!(count(conn, t0), Attempt::Counted { number: 2, locks_until: None });
            let until = t0 + chrono::Duration::seconds(1);
            assert_eq!(count(conn, t0), Attempt::Counted { number: 3, locks_until: Some(to_db(until).and_utc()) });
            // While locked nothing is counted.
            assert!(matches!(count(conn, t0), Attempt::Refused { .. }));
            assert_eq!(failures(conn, "k").unwrap(), 3);
            // After the lock, the next attempt doubles it; past the schedule the last lock stays.
            let t1 = t0 + chrono::Duration::seconds(2);
            assert!(matches!(count(conn, t1), Attempt::Counted { number: 4, locks_until: Some(u) } if u == to_db(t1 + chrono::Duration::seconds(2)).and_utc()));
            let t2 = t1 + chrono::Duration::seconds(3);
            assert!(matches!(count(conn, t2), Attempt::Counted { number: 5, .. }));
            let t3 = t2 + chrono::Duration::seconds(5);
            assert!(matches!(count(conn, t3), Attempt::Counted { number: 6, locks_until: Some(u) } if u == to_db(t3 + chrono::Duration::seconds(4)).and_utc()));
            // A late success is taken back one at a time; old counters are forgotten.
            // Attempt 6 succeeds: its count goes and so does the lock it set, so the next
            // attempt is counted at once instead of refused.
            uncount(conn, "k", 6).unwrap();
            assert_eq!(failures(conn, "k").unwrap(), 5);
            assert!(matches!(count(conn, t3), Attempt::Counted { number: 6, .. }));
            // Once someone else has counted, a late success takes back one count and no lock.
            uncount(conn, "k", 5).unwrap();
            assert!(matches!(count(conn, t3), Attempt::Refused { .. }));
            assert_eq!(failures(conn, "k").unwrap(), 5);
            let later = t3 + chrono::Duration::minutes(31);
            assert_eq!(count(conn, later), Attempt::Counted { number: 1, locks_until: None });
            clear(conn, "k").unwrap();
            assert_eq!(failures(conn, "k").unwrap(), 0);
        }
    }
}
