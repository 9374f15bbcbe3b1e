//! Logging and request tracing.

use crate::config::LogFormat;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// Install the global subscriber. `RUST_LOG` overrides the default `info` filter.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests start many apps in one process) is harmless, so errors are ignored.
    let _ = match format {
        LogFormat::Json => {
            registry.with(fmt::layer().json().with_current_span(true).with_span_events(FmtSpan::CLOSE)).try_init()
        }
        LogFormat::Human => registry.with(fmt::layer().compact().with_span_events(FmtSpan::CLOSE)).try_init(),
    };
}
