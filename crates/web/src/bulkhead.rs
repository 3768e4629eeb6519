//! Bulkheads: expensive reads (search, feeds) each get a few of the pool's connections and no
//! more, so a crowd of searches cannot take the connections every other page needs. A request
//! that finds its bulkhead full waits briefly, then gets a quick 503 with `Retry-After` instead
//! of a pool timeout several seconds later.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::WebError;

/// How long a request waits for a place before it is turned away.
const WAIT: Duration = Duration::from_millis(250);

/// One bulkhead: what it guards, and how many may be inside at once.
#[derive(Clone)]
pub struct Bulkhead {
    what: &'static str,
    places: Arc<Semaphore>,
}

impl Bulkhead {
    pub fn new(what: &'static str, places: usize) -> Self {
        Bulkhead {
            what,
            places: Arc::new(Semaphore::new(places.max(1))),
        }
    }

    /// A place inside, held until the returned permit is dropped, or a 503 after a short wait.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, WebError> {
        match tokio::time::timeout(WAIT, self.places.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(WebError::Unavailable {
                retry_after: 1,
                reason: format!(
                    "Too many {} are running right now. Try again in a moment.",
                    self.what
                ),
            }),
        }
    }

    /// Takes every place, for tests that show what a full bulkhead does.
    pub async fn fill(&self) -> Option<OwnedSemaphorePermit> {
        let all = u32::try_from(self.places.available_permits()).ok()?;
        self.places.clone().acquire_many_owned(all).await.ok()
    }
}

/// The application's bulkheads.
#[derive(Clone)]
pub struct Bulkheads {
    pub search: Bulkhead,
    pub feeds: Bulkhead,
    /// Press kits hold every file of a release in memory while the zip is written, up to
    /// tens of megabytes each, so only two are built at once.
    pub press_kits: Bulkhead,
}

impl Bulkheads {
    /// Each expensive kind of read may use at most a third of the pool, so pages, sign-ins and
    /// saves always find connections.
    pub fn for_pool(pool_size: u32) -> Self {
        let share = usize::try_from(pool_size / 3).unwrap_or(1).max(1);
        Bulkheads {
            search: Bulkhead::new("searches", share),
            feeds: Bulkhead::new("feed requests", share),
            press_kits: Bulkhead::new("press kit downloads", 2),
        }
    }
}
