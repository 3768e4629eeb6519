//! Guessing limits shared by every form that checks a secret: sign-in, the second factor
//! (authenticator and recovery codes) and re-entering a password.
//!
//! Each attempt is counted in the database before any argon2 or TOTP work, by one statement per
//! counter that also refuses it while the counter is locked (see `dateline_storage::repo::
//! throttle`). So however many requests arrive at once, at most the free allowance is checked,
//! and the rest get 429 with `Retry-After`. After waiting for a hashing thread, an attempt looks
//! again: if attempts counted after it have locked the counter meanwhile, it is refused too.
//! A success takes its count back; a failure leaves the count and the lock already in place.

use chrono::{DateTime, Utc};
use dateline_auth::SecretKey;
use dateline_auth::throttle::Policy;
use dateline_storage::repo::throttle::{self, Attempt};

use crate::error::{WebError, WebResult};
use crate::state::AppState;

/// Per account: five free failures, then 1 s doubling to 15 minutes.
pub const ACCOUNT_POLICY: Policy = Policy {
    free_failures: 5,
    first_lock: std::time::Duration::from_secs(1),
    max_lock: std::time::Duration::from_secs(900),
};
/// Per client address: more room (offices share addresses), same shape.
pub const ADDRESS_POLICY: Policy = Policy {
    free_failures: 20,
    first_lock: std::time::Duration::from_secs(1),
    max_lock: std::time::Duration::from_secs(900),
};
/// Failures older than this are forgotten.
pub const FORGET_AFTER_MINUTES: i64 = 30;

/// The counter for an account, shared by sign-in and re-entering a password, so guesses spread
/// over those forms add up. A keyed hash of the address as typed: the table holds nothing a
/// person typed (a password pasted into the email field included).
pub fn account_key(key: &SecretKey, email: &str) -> String {
    format!("acct:{}", key.mac_hex("throttle account", email.as_bytes()))
}

/// The counter for a client address: per IPv4 address or IPv6 /64.
pub fn address_key(ip: &str) -> String {
    format!("ip:{}", dateline_auth::throttle::client_network(ip))
}

/// The counter for second-factor codes of one account.
pub fn second_factor_key(user_id: i64) -> String {
    format!("mfa:{user_id}")
}

/// What a success does to a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSuccess {
    /// Forget every failure: the counter belongs to one person, who has now proved who they are.
    Clear,
    /// Take back this attempt only: the counter is shared (an address), and one person's success
    /// says nothing about the others' failures.
    Uncount,
}

#[derive(Debug, Clone)]
pub struct Limit {
    pub key: String,
    pub policy: Policy,
    pub on_success: OnSuccess,
}

/// Attempts that were counted and may be checked.
#[derive(Debug)]
pub struct Counted {
    counted: Vec<(Limit, u32, Option<DateTime<Utc>>)>,
}

impl Counted {
    /// The lock that stays if this attempt fails, if any.
    pub fn lock_if_failed(&self) -> Option<DateTime<Utc>> {
        self.counted.iter().filter_map(|(_, _, until)| *until).max()
    }
}

pub fn retry_after(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    (until - now).num_seconds().max(1) as u64
}

/// Counts one attempt against each limit in order, stopping at the first that is locked: 429.
pub async fn count(state: &AppState, limits: Vec<Limit>) -> WebResult<Counted> {
    let now = state.clock.now();
    let forget = chrono::Duration::minutes(FORGET_AFTER_MINUTES);
    let outcome = state
        .db(move |conn| -> WebResult<_> {
            let mut counted = Vec::with_capacity(limits.len());
            for limit in limits {
                let schedule = limit.policy.schedule();
                match throttle::count_attempt(conn, &limit.key, now, forget, &schedule)? {
                    Attempt::Counted {
                        number,
                        locks_until,
                    } => counted.push((limit, number, locks_until)),
                    Attempt::Refused { until } => return Ok(Err(until)),
                }
            }
            Ok(Ok(Counted { counted }))
        })
        .await?;
    outcome.map_err(|until| WebError::TooManyRequests {
        retry_after: retry_after(until, now),
    })
}

/// 429 if attempts counted after this one have locked any of its counters meanwhile.
pub fn recheck(
    conn: &mut dateline_storage::DbConnection,
    counted: &[(String, u32)],
    now: DateTime<Utc>,
) -> WebResult<()> {
    for (key, number) in counted {
        if let Some(until) = throttle::locked_since(conn, key, *number, now)? {
            return Err(WebError::TooManyRequests {
                retry_after: retry_after(until, now),
            });
        }
    }
    Ok(())
}

impl Counted {
    /// Each counter and this attempt's number on it, for [`recheck`] inside a database call
    /// that checks a code.
    pub fn numbers(&self) -> Vec<(String, u32)> {
        self.counted
            .iter()
            .map(|(l, n, _)| (l.key.clone(), *n))
            .collect()
    }

    /// Runs argon2 work `f` for this attempt: waits for a hashing thread, then checks the
    /// counters again before spending it.
    pub async fn hash<T, F>(&self, state: &AppState, f: F) -> WebResult<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = state.hashing.permit().await.map_err(WebError::internal)?;
        let numbers = self.numbers();
        let now = state.clock.now();
        state.db(move |conn| recheck(conn, &numbers, now)).await?;
        permit.run(f).await.map_err(WebError::internal)
    }

    /// The secret was right: each counter takes this attempt back as its limit says.
    pub async fn succeeded(self, state: &AppState) -> WebResult<()> {
        state
            .db(move |conn| -> WebResult<_> {
                for (limit, _, _) in &self.counted {
                    match limit.on_success {
                        OnSuccess::Clear => throttle::clear(conn, &limit.key)?,
                        OnSuccess::Uncount => throttle::uncount(conn, &limit.key)?,
                    }
                }
                Ok(())
            })
            .await
    }
}
