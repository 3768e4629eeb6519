//! The app's idea of "now". Production reads the system clock; tests can move it forward to reach
//! an embargo time without waiting for it, or stop it so that a burst of requests all happen at
//! one instant. Nothing outside tests ever moves or stops it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// `Clock::stopped_at_us` while the clock runs.
const RUNNING: i64 = i64::MIN;

#[derive(Debug, Clone)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    stopped_at_us: Arc<AtomicI64>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset_ms: Arc::new(AtomicI64::new(0)),
            stopped_at_us: Arc::new(AtomicI64::new(RUNNING)),
        }
    }
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let base = match self.stopped_at_us.load(Ordering::Relaxed) {
            RUNNING => Utc::now(),
            us => DateTime::from_timestamp_micros(us).unwrap_or_else(Utc::now),
        };
        (base + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))).trunc_subsecs(6)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }

    /// Stops this clock (and every clone of it) where it is; `advance` still moves it.
    pub fn stop(&self) {
        self.stopped_at_us
            .store(Utc::now().timestamp_micros(), Ordering::Relaxed);
    }
}
