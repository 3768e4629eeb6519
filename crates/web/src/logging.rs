//! Structured logs through `tracing`: human-readable text by default, JSON lines with
//! `--log-format json`. `RUST_LOG` filters as usual, except that libraries which log the text
//! they parse never log below `warn`, whatever it says (see [`QUIET`]).

use tracing::{Level, Metadata};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;

/// Libraries that log the documents they work on at debug and trace levels: the HTML parser
/// under the sanitiser prints every run of body text, embargoed releases included. An operator
/// turning on `RUST_LOG=trace` to chase a bug must not thereby copy embargoed text into logs
/// (`docs/security.md` L2). This is a second filter after `RUST_LOG`, so no directive, however
/// specific, lets their chatter through.
const QUIET: &[&str] = &["html5ever", "markup5ever", "ammonia", "pulldown_cmark"];

fn allowed(meta: &Metadata<'_>) -> bool {
    let quiet = QUIET.iter().any(|crate_name| {
        meta.target()
            .strip_prefix(crate_name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    });
    !quiet || *meta.level() <= Level::WARN
}

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn,actix_web=warn"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let base = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(colour);
    let layer = match format {
        LogFormat::Text => base.boxed(),
        LogFormat::Json => base
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .boxed(),
    };
    // A second init (tests start several apps) is harmless and ignored.
    let _ = subscriber(layer, filter).try_init();
}

/// The registry with `layer`, filtered by `filter` and then by [`allowed`]. `allowed` only
/// ever turns lines away, so it passes on `filter`'s most verbose level as its own: without
/// that hint tracing assumes any level may be wanted and builds every span of every request,
/// which cost about 3 % of the time of serving a kept page with the log at `warn`.
fn subscriber<L>(layer: L, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync
where
    L: Layer<tracing_subscriber::Registry> + Send + Sync,
{
    let quiet = match filter.max_level_hint() {
        Some(level) => filter_fn(allowed).with_max_level_hint(level),
        None => filter_fn(allowed),
    };
    tracing_subscriber::registry().with(layer.with_filter(filter).with_filter(quiet))
}

#[cfg(test)]
mod tests {
    use tracing::Subscriber;
    use tracing::level_filters::LevelFilter;

    use super::*;

    fn most_verbose(directives: &str) -> Option<LevelFilter> {
        let layer = tracing_subscriber::fmt::layer().with_writer(std::io::sink);
        subscriber(layer, EnvFilter::new(directives)).max_level_hint()
    }

    // With the log at `warn`, tracing must know that no info span is wanted, so it never builds
    // the per-request span; at `info` the access log must still be on.
    #[test]
    fn the_log_level_reaches_tracing() {
        assert_eq!(most_verbose("warn"), Some(LevelFilter::WARN));
        assert_eq!(
            most_verbose("info,actix_server=warn"),
            Some(LevelFilter::INFO)
        );
        assert_eq!(most_verbose("debug"), Some(LevelFilter::DEBUG));
    }
}
