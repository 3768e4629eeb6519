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
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter).with_filter(filter_fn(allowed)))
        .try_init();
}
