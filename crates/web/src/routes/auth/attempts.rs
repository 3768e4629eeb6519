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

impl Limit {
    /// A client network's sign-in attempts, shared by everyone behind it.
    pub fn address(ip: &str) -> Limit {
        Limit {
            key: address_key(ip),
            policy: ADDRESS_POLICY,
            on_success: OnSuccess::Uncount,
        }
    }

    /// Password guesses for the account with this (normalized) email.
    pub fn account(key: &SecretKey, email: &str) -> Limit {
        Limit {
            key: account_key(key, email),
            policy: ACCOUNT_POLICY,
            on_success: OnSuccess::Clear,
        }
    }

    /// Second-factor code guesses for one account.
    pub fn second_factor(user_id: i64) -> Limit {
        Limit {
            key: second_factor_key(user_id),
            policy: ACCOUNT_POLICY,
            on_success: OnSuccess::Clear,
        }
    }
}

/// Attempts that were counted and may be checked.
#[derive(Debug)]
pub struct Counted {
    counted: Vec<(Limit, u32, Option<DateTime<Utc>>)>,
}

impl Counted {
    /// The lock that stays if this attempt fails, if any.
    fn lock_if_failed(&self) -> Option<DateTime<Utc>> {
        self.counted.iter().filter_map(|(_, _, until)| *until).max()
    }
}

/// The 429 for a counter locked until `until`, with `Retry-After` in whole seconds (at least
/// one). Every refusal on every form that checks a secret is built here.
pub fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> WebError {
    WebError::TooManyRequests {
        retry_after: (until - now).num_seconds().max(1) as u64,
    }
}

/// How a counted attempt ended.
#[derive(Debug)]
pub enum Checked<T> {
    /// The secret was right; the attempt was taken back.
    Passed(T),
    /// The secret was wrong; the count stays, with the lock it set, if any.
    Failed { lock: Option<DateTime<Utc>> },
}

impl<T> Checked<T> {
    pub fn passed(self) -> Option<T> {
        match self {
            Checked::Passed(t) => Some(t),
            Checked::Failed { .. } => None,
        }
    }
}

/// The whole sequence for a secret checked with argon2 work (a password): count the attempt,
/// wait for a hashing thread, look at the counters again, run `check`, and settle the count.
/// `check` answers `Some` for a right secret.
pub async fn check_hashed<T: Send + 'static>(
    state: &AppState,
    limits: Vec<Limit>,
    check: impl FnOnce() -> Option<T> + Send + 'static,
) -> WebResult<Checked<T>> {
    let counted = count(state, limits).await?;
    let outcome = counted.hash(state, check).await?;
    counted.settle(state, outcome).await
}

/// The same sequence for a secret checked against the database (a one-time code): the
/// counters are looked at again in the same call that runs `check`.
pub async fn check_in_db<T: Send + 'static>(
    state: &AppState,
    limits: Vec<Limit>,
    check: impl FnOnce(&mut dateline_storage::DbConnection) -> WebResult<Option<T>> + Send + 'static,
) -> WebResult<Checked<T>> {
    let counted = count(state, limits).await?;
    let numbers = counted.numbers();
    let now = state.clock.now();
    let outcome = state
        .db(move |conn| {
            recheck(conn, &numbers, now)?;
            check(conn)
        })
        .await?;
    counted.settle(state, outcome).await
}

/// Counts one attempt against each limit in order, stopping at the first that is locked: 429.
async fn count(state: &AppState, limits: Vec<Limit>) -> WebResult<Counted> {
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
    outcome.map_err(|until| locked(until, now))
}

/// 429 if attempts counted after this one have locked any of its counters meanwhile.
fn recheck(
    conn: &mut dateline_storage::DbConnection,
    counted: &[(String, u32)],
    now: DateTime<Utc>,
) -> WebResult<()> {
    for (key, number) in counted {
        if let Some(until) = throttle::locked_since(conn, key, *number, now)? {
            return Err(locked(until, now));
        }
    }
    Ok(())
}

impl Counted {
    /// Each counter and this attempt's number on it, for [`recheck`] inside a database call
    /// that checks a code.
    fn numbers(&self) -> Vec<(String, u32)> {
        self.counted
            .iter()
            .map(|(l, n, _)| (l.key.clone(), *n))
            .collect()
    }

    /// Runs argon2 work `f` for this attempt: waits for a hashing thread, then checks the
    /// counters again before spending it.
    async fn hash<T, F>(&self, state: &AppState, f: F) -> WebResult<T>
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

    /// A right secret (`Some`) takes the attempt back; a wrong one leaves the count and its lock.
    async fn settle<T>(self, state: &AppState, outcome: Option<T>) -> WebResult<Checked<T>> {
        match outcome {
            Some(t) => {
                self.succeeded(state).await?;
                Ok(Checked::Passed(t))
            }
            None => Ok(Checked::Failed {
                lock: self.lock_if_failed(),
            }),
        }
    }

    /// The secret was right: each counter takes this attempt back as its limit says.
    async fn succeeded(self, state: &AppState) -> WebResult<()> {
        state
            .db(move |conn| -> WebResult<_> {
                for (limit, number, _) in &self.counted {
                    match limit.on_success {
                        OnSuccess::Clear => throttle::clear(conn, &limit.key)?,
                        OnSuccess::Uncount => throttle::uncount(conn, &limit.key, *number)?,
                    }
                }
                Ok(())
            })
            .await
    }
}
