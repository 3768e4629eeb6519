//! Structured logs through `tracing`: human-readable text by default, JSON lines with
//! `--log-format json`. `RUST_LOG` filters as usual, except that libraries which log the text
//! they parse are held at `warn` whatever it says (see [`QUIET`]).

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Libraries that log the documents they work on at debug and trace levels: the HTML parser
/// under the sanitiser prints every run of body text, embargoed releases included. An operator
/// turning on `RUST_LOG=trace` to chase a bug must not thereby copy embargoed text into logs
/// (SECURITY.md L2), so these stay at `warn`.
const QUIET: &[&str] = &["html5ever", "markup5ever", "ammonia", "pulldown_cmark"];

pub fn init(format: LogFormat) {
    let mut filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn,actix_web=warn"));
    for target in QUIET {
        if let Ok(directive) = format!("{target}=warn").parse() {
            filter = filter.add_directive(directive);
        }
    }
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(colour);
    // A second init (tests start several apps) is harmless and ignored.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init(),
    };
}
