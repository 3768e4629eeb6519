//! What an operator's Prometheus scrapes from `/metrics`: requests and their latency per route
//! group, the database pool, the scheduler's queue and the page cache. Each application state
//! has its own registry, so instances started side by side in one test process count apart.
//!
//! Labels are few and fixed (a route group, a status class), never a path or anything a client
//! chooses, so a crawler cannot grow the series without bound.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// Latency buckets from 0.5 ms to about 8 s: a cached page is well under a millisecond, a
/// pool timeout is two seconds.
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    group: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupLabel {
    group: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

/// What the scrape itself reads: the pool's state and the scheduler's queue.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    pub pool_size: u32,
    pub pool_max: u32,
    pub pool_idle: u32,
    /// `None` when the database could not be asked.
    pub queue: Option<Queue>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Queue {
    pub open_jobs: i64,
    pub due_jobs: i64,
    /// How long the oldest due job has waited past its time.
    pub lag: Duration,
}

/// Registers each metric under its name and help text, with a unit where it has one; a
/// table reads better than a dozen calls.
macro_rules! described {
    ($registry:ident; $($name:literal, $help:literal $(, $unit:ident)? => $metric:expr;)*) => {
        $(
            described!(@one $registry, $name, $help, $metric $(, $unit)?);
        )*
    };
    (@one $registry:ident, $name:literal, $help:literal, $metric:expr) => {
        $registry.register($name, $help, $metric.clone())
    };
    (@one $registry:ident, $name:literal, $help:literal, $metric:expr, $unit:ident) => {
        $registry.register_with_unit($name, $help, Unit::$unit, $metric.clone())
    };
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<GroupLabel, Histogram, fn() -> Histogram>,
    pool_wait: Histogram,
    pool_timeouts: Counter,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    database_up: Gauge,
    jobs_open: Gauge,
    jobs_due: Gauge,
    scheduler_lag: Gauge<f64, std::sync::atomic::AtomicU64>,
    page_cache: Family<ResultLabel, Counter>,
    /// The two series of `page_cache`, taken out of the family once: looking a label up on
    /// every request showed in the profile of a kept page.
    page_cache_hit: Counter,
    page_cache_miss: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("dateline");
        let m = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_buckets),
            pool_wait: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            pool_timeouts: Counter::default(),
            pool_connections: Gauge::default(),
            pool_idle: Gauge::default(),
            pool_max: Gauge::default(),
            database_up: Gauge::default(),
            jobs_open: Gauge::default(),
            jobs_due: Gauge::default(),
            scheduler_lag: Gauge::default(),
            page_cache: Family::default(),
            page_cache_hit: Counter::default(),
            page_cache_miss: Counter::default(),
            registry: Registry::default(),
        };
        described!(registry;
            "http_requests", "HTTP requests answered, by route group and status class" => m.requests;
            "http_request_duration", "Time from a request's arrival to its response head, by route group", Seconds => m.latency;
            "db_pool_wait", "Time spent waiting for a database connection from the pool", Seconds => m.pool_wait;
            "db_pool_timeouts", "Checkouts that gave up waiting for a database connection" => m.pool_timeouts;
            "db_pool_connections", "Connections the pool holds, busy or idle" => m.pool_connections;
            "db_pool_idle_connections", "Connections the pool holds that are idle" => m.pool_idle;
            "db_pool_max_connections", "The most connections the pool may open" => m.pool_max;
            "database_up", "1 when the database answered this scrape, 0 when it did not" => m.database_up;
            "scheduler_open_jobs", "Scheduled jobs not yet run or cancelled" => m.jobs_open;
            "scheduler_due_jobs", "Scheduled jobs whose time has come and that have not run yet" => m.jobs_due;
            "scheduler_lag", "How long the oldest due job has waited past its time", Seconds => m.scheduler_lag;
            "page_cache_lookups", "Anonymous page requests the page cache answered (hit) or passed on (miss)" => m.page_cache;
        );
        let series = |result| m.page_cache.get_or_create(&ResultLabel { result }).clone();
        let (page_cache_hit, page_cache_miss) = (series("hit"), series("miss"));
        Metrics {
            registry,
            page_cache_hit,
            page_cache_miss,
            ..m
        }
    }

    /// Counts one answered request.
    pub fn request(&self, group: &'static str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                group,
                status: status_class(status),
            })
            .inc();
        self.latency
            .get_or_create(&GroupLabel { group })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one page-cache lookup, from the `X-Dateline-Cache` answer.
    pub fn page_cache(&self, hit: bool) {
        if hit {
            self.page_cache_hit.inc();
        } else {
            self.page_cache_miss.inc();
        }
    }

    /// Records how long a pool checkout waited, and whether it gave up.
    pub fn pool_checkout(&self, waited: Duration, timed_out: bool) {
        self.pool_wait.observe(waited.as_secs_f64());
        if timed_out {
            self.pool_timeouts.inc();
        }
    }

    /// The text Prometheus reads, with the scrape's own readings filled in.
    pub fn render(&self, now: Snapshot) -> Result<String, std::fmt::Error> {
        self.pool_connections.set(i64::from(now.pool_size));
        self.pool_idle.set(i64::from(now.pool_idle));
        self.pool_max.set(i64::from(now.pool_max));
        match now.queue {
            Some(q) => {
                self.database_up.set(1);
                self.jobs_open.set(q.open_jobs);
                self.jobs_due.set(q.due_jobs);
                self.scheduler_lag.set(q.lag.as_secs_f64());
            }
            None => {
                self.database_up.set(0);
            }
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The group a route belongs to, from its name in the permission table: coarse enough to keep
/// the series few, fine enough to tell cheap pages from expensive reads.
pub fn route_group(name: Option<&str>) -> &'static str {
    let Some(name) = name else {
        return "unmatched";
    };
    let area = name.split('.').next().unwrap_or(name);
    match (area, name) {
        (_, "public.search") => "search",
        (_, n) if n.contains("feed") || n.contains("sitemap") => "feeds",
        (_, "public.media" | "public.preview_media" | "public.press_kit") => "media",
        ("public", _) => "public",
        ("admin", _) => "admin",
        ("api", _) => "api",
        ("auth" | "account", _) => "account",
        ("health", _) => "health",
        ("static" | "robots", _) => "static",
        ("metrics", _) => "metrics",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_named_group() {
        for route in dateline_auth::ROUTES {
            assert_ne!(route_group(Some(route.name)), "other", "{}", route.name);
        }
        assert_eq!(route_group(None), "unmatched");
        assert_eq!(route_group(Some("public.category_feed")), "feeds");
        assert_eq!(route_group(Some("public.search")), "search");
    }

    #[test]
    fn the_text_names_each_family_once_with_its_readings() {
        let m = Metrics::new();
        m.request("public", 200, Duration::from_millis(3));
        m.request("public", 404, Duration::from_millis(1));
        m.page_cache(true);
        m.pool_checkout(Duration::from_millis(2), false);
        let text = m
            .render(Snapshot {
                pool_size: 3,
                pool_max: 10,
                pool_idle: 2,
                queue: Some(Queue {
                    open_jobs: 4,
                    due_jobs: 1,
                    lag: Duration::from_millis(1500),
                }),
            })
            .unwrap();
        assert!(text.contains(r#"dateline_http_requests_total{group="public",status="2xx"} 1"#));
        assert!(text.contains(r#"dateline_http_requests_total{group="public",status="4xx"} 1"#));
        assert!(text.contains(r#"dateline_http_request_duration_seconds_count{group="public"} 2"#));
        assert!(text.contains(r#"dateline_page_cache_lookups_total{result="hit"} 1"#));
        assert!(text.contains("dateline_db_pool_max_connections 10"));
        assert!(text.contains("dateline_scheduler_due_jobs 1"));
        assert!(text.contains("dateline_scheduler_lag_seconds 1.5"));
        assert!(text.contains("dateline_database_up 1"));
        assert!(text.ends_with("# EOF\n"));
    }
}
