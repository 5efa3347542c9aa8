//! Logs (JSON unless stdout is a terminal), traces (OpenTelemetry over OTLP, when configured)
//! and Prometheus metrics.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use hybrid_core::config::{LogConfig, LogFormat};
use hybrid_core::{Config, trace_context};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::global;
use opentelemetry::trace::TracerProvider;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// What `serve` keeps until it ends: the trace exporter, flushed on the way out.
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered.
    pub async fn shutdown(self) {
        if let Some(provider) = self.traces {
            let _ = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        }
    }
}

/// Logs, and traces when `otel.endpoint` is set.
pub fn init(config: &Config) -> anyhow::Result<Telemetry> {
    let traces = if config.otel.endpoint.is_empty() {
        None
    } else {
        Some(tracer_provider(config)?)
    };
    let otel = traces
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("hybrid")));
    init_logging(&config.log, otel)?;
    if traces.is_some() {
        global::set_text_map_propagator(TraceContextPropagator::new());
        trace_context::enable();
    }
    Ok(Telemetry { traces })
}

fn tracer_provider(config: &Config) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(config.otel.endpoint.clone())
        .with_timeout(Duration::from_secs(5))
        .build()
        .map_err(|err| anyhow::anyhow!("invalid configuration: otel.endpoint {:?}: {err}", config.otel.endpoint))?;
    let name = if config.otel.service_name.is_empty() {
        format!("hybrid-{}", config.services.replace(',', "-").replace(' ', ""))
    } else {
        config.otel.service_name.clone()
    };
    let ratio = config.otel.sample_ratio.clamp(0.0, 1.0);
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio))))
        .with_resource(Resource::builder().with_service_name(name).build())
        .build())
}

/// Logs only (admin commands), or logs with a span exporter alongside.
pub fn init_logging<L>(config: &LogConfig, otel: Option<L>) -> anyhow::Result<()>
where
    L: tracing_subscriber::Layer<Registry> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&config.level)
        .map_err(|err| anyhow::anyhow!("invalid configuration: log.level {:?}: {err}", config.level))?;
    let json = match config.format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let logs = if json {
        tracing_subscriber::fmt::layer().json().flatten_event(true).boxed()
    } else {
        tracing_subscriber::fmt::layer().boxed()
    };
    // try_init: a second call (tests, admin commands) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(otel)
        .with(logs)
        .with(filter)
        .try_init();
    Ok(())
}

/// The process-wide Prometheus recorder (installed once).
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("store_write_batch_size".into()),
                        &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
                    )
                })
                .expect("bucket lists are not empty")
                .install_recorder()
                .expect("installing the Prometheus recorder")
        })
        .clone()
}

/// Counts requests by route and status and times them.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A request path fit for logs and traces: a Bot API token (`/bot<token>/…`,
/// `/file/bot<token>/…`) is a password, so it is replaced by `<token>`.
pub fn redact_path(path: &str) -> std::borrow::Cow<'_, str> {
    let start = match (path.strip_prefix("/bot"), path.strip_prefix("/file/bot")) {
        (Some(_), _) => "/bot".len(),
        (_, Some(_)) => "/file/bot".len(),
        _ => return std::borrow::Cow::Borrowed(path),
    };
    let end = path[start..].find('/').map_or(path.len(), |i| start + i);
    // a token has its colon (`<id>:<secret>`); `/bots` (a web client page) is no token
    if !path[start..end].contains(':') {
        return std::borrow::Cow::Borrowed(path);
    }
    std::borrow::Cow::Owned(format!("{}<token>{}", &path[..start], &path[end..]))
}

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn bot_tokens_never_reach_logs() {
        assert_eq!(redact_path("/bot123:AAbb-cc_d/sendMessage"), "/bot<token>/sendMessage");
        assert_eq!(redact_path("/bot123:secret"), "/bot<token>");
        assert_eq!(
            redact_path("/file/bot7:xyz/photos/a.jpg"),
            "/file/bot<token>/photos/a.jpg"
        );
        assert_eq!(redact_path("/api/v1/bots/5"), "/api/v1/bots/5");
        assert_eq!(redact_path("/bots"), "/bots");
        assert_eq!(redact_path("/bot/x"), "/bot/x");
    }
}
