//! What every handler can reach: the pool, configuration, key, clock, and a few shared signals.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use dateline_auth::{SecretKey, password};
use dateline_storage::{DbConnection, Pool};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{WebError, WebResult};
use crate::hashing::HashingPool;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub key: Arc<SecretKey>,
    pub clock: Clock,
    /// What a new password must satisfy, built once from `min_password_length`.
    pub password_policy: password::Policy,
    /// Set once the database answered and migrations ran. Until then pages answer 503.
    pub ready: Arc<AtomicBool>,
    /// Where argon2 work (19 MiB each) runs: a few threads, so a flood of logins can neither
    /// exhaust memory nor leave it bloated afterwards.
    pub hashing: Arc<HashingPool>,
    /// Wakes the scheduler early, e.g. right after an approval with a near embargo.
    pub scheduler_wake: Arc<Notify>,
    /// Set when the server is stopping: the scheduler finishes the job in hand and runs no more.
    pub stopping: Arc<AtomicBool>,
    /// The newsroom's name as last read, for error pages rendered while the database is down.
    pub newsroom_name: Arc<RwLock<String>>,
    /// Outbound HTTP for webhook deliveries, guarded against private addresses.
    pub webhook_clients: crate::webhooks::send::Clients,
    /// Rendered public pages for anonymous readers.
    pub page_cache: Arc<crate::page_cache::PageCache>,
    /// Public releases per organization, category and region, read once per content version.
    pub counts: Arc<crate::public_counts::CountsCache>,
    /// Bounded concurrency for expensive reads.
    pub bulkheads: crate::bulkhead::Bulkheads,
    /// Uploads whose pictures are being decoded and resized at once: half the cores, so the
    /// pages keep a core however many photos arrive together.
    pub media_work: Arc<tokio::sync::Semaphore>,
    /// What `/metrics` reports; this state's own registry.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// Fails only when the TLS client for webhooks cannot be set up.
    pub fn new(
        pool: Pool,
        config: Config,
        key: SecretKey,
        clock: Clock,
    ) -> Result<Self, reqwest::Error> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let bulkheads = crate::bulkhead::Bulkheads::for_pool(config.pool_size);
        Ok(AppState {
            pool,
            password_policy: config.password_policy(),
            config: Arc::new(config),
            key: Arc::new(key),
            clock,
            ready: Arc::new(AtomicBool::new(false)),
            hashing: Arc::new(HashingPool::new(threads)),
            scheduler_wake: Arc::new(Notify::new()),
            stopping: Arc::new(AtomicBool::new(false)),
            newsroom_name: Arc::new(RwLock::new("Newsroom".into())),
            webhook_clients: crate::webhooks::send::Clients::new()?,
            page_cache: Arc::new(crate::page_cache::PageCache::default()),
            counts: Arc::default(),
            bulkheads,
            media_work: Arc::new(tokio::sync::Semaphore::new((threads / 2).max(1))),
            metrics: Arc::new(crate::metrics::Metrics::new()),
        })
    }

    /// Reads the content version so the page cache serves nothing older. When the database
    /// cannot say, no kept page is served until it can.
    pub async fn learn_content_version(&self) {
        if !self.is_ready() {
            return;
        }
        match self
            .db(dateline_storage::repo::settings::content_version)
            .await
        {
            Ok(v) => self.page_cache.learn(v.version),
            Err(e) => {
                tracing::debug!(error = %e, "content version unknown; page cache paused");
                self.page_cache.learn(-1);
            }
        }
    }

    /// Asks the scheduler to stop after the job in hand.
    pub fn stop_scheduler(&self) {
        self.stopping.store(true, Ordering::Release);
        self.scheduler_wake.notify_one();
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Runs blocking database work on the blocking pool. The checkout waits at most the pool's
    /// timeout (about 2 s), so an outage is a quick 503, not a hung request. `f` may fail with
    /// any error the web layer maps (a storage error, a `WebError`, …), so a repository call
    /// can be passed as it is.
    pub async fn db<T, E, F>(&self, f: F) -> WebResult<T>
    where
        T: Send + 'static,
        E: Into<WebError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        if !self.is_ready() {
            return Err(not_ready());
        }
        let pool = self.pool.clone();
        let metrics = self.metrics.clone();
        actix_web::web::block(move || {
            let started = std::time::Instant::now();
            let checkout = pool.get();
            metrics.pool_checkout(started.elapsed(), checkout.is_err());
            let mut conn =
                checkout.map_err(|e| WebError::from(dateline_storage::StorageError::from(e)))?;
            f(&mut conn).map_err(Into::into)
        })
        .await
        .map_err(WebError::internal)?
    }

    /// Runs argon2 work (hashing or verifying) with a permit, off the async threads.
    pub async fn hashing<T, F>(&self, f: F) -> WebResult<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.hashing.run(f).await.map_err(WebError::internal)
    }

    pub fn newsroom_name(&self) -> String {
        self.newsroom_name
            .read()
            .map(|n| n.clone())
            .unwrap_or_else(|_| "Newsroom".into())
    }

    pub fn remember_newsroom_name(&self, name: &str) {
        if let Ok(mut n) = self.newsroom_name.write()
            && *n != name
        {
            *n = name.to_owned();
        }
    }
}

pub fn not_ready() -> WebError {
    WebError::Unavailable {
        retry_after: 5,
        reason: "Dateline is starting up and waiting for its database. Try again in a few seconds."
            .into(),
    }
}
