//! W3C trace context across process boundaries, so one request through nginx into one service
//! and on to another (over HTTP, gRPC or the event bus) is one OpenTelemetry trace. The binary
//! turns this on when it exports traces (`otel.endpoint`); until then every function here is a
//! cheap no-op, and nothing is added to requests, calls or events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::global;
use opentelemetry::propagation::Extractor;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The header (HTTP, gRPC metadata, NATS) carrying the context.
pub const TRACEPARENT: &str = "traceparent";

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Called once the process exports traces (and has set the global propagator).
pub fn enable() {
    ENABLED.store(true, Ordering::Release);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Acquire)
}

/// The `traceparent` of the current span, to hand to another process.
pub fn current() -> Option<String> {
    if !enabled() {
        return None;
    }
    let context = tracing::Span::current().context();
    let mut carrier: HashMap<String, String> = HashMap::new();
    global::get_text_map_propagator(|propagator| propagator.inject_context(&context, &mut carrier));
    carrier.remove(TRACEPARENT)
}

/// Makes `span` a child of the remote span `traceparent` names (from another process).
pub fn adopt(span: &tracing::Span, traceparent: Option<&str>) {
    let Some(traceparent) = traceparent.filter(|_| enabled()) else {
        return;
    };
    let context = global::get_text_map_propagator(|propagator| propagator.extract(&Traceparent(traceparent)));
    // fails only for a span that is already closed or not recorded: nothing to attach to
    let _ = span.set_parent(context);
}

/// A carrier holding just a `traceparent`.
struct Traceparent<'a>(&'a str);

impl Extractor for Traceparent<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == TRACEPARENT).then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT]
    }
}
