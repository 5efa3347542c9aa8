//! `hybrid serve`: the HTTP server around the started modules.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};
use hybrid_core::bus::Bus;
use hybrid_core::state::SharedState;
use hybrid_core::worker::Workers;
use hybrid_core::{ApiError, Code, CodeDoc, Config, HttpShared, Schemas, Shutdown, TokenVerifier, trace_context};
use hybrid_store::Db;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::registry::{self, Running};
use crate::{telemetry, web};

#[derive(OpenApi)]
#[openapi(
    info(title = "Hybrid API", description = "The HTTP API of Hybrid, a self-hosted messenger. \
        Errors always have the shape `{\"error\": {\"code\", \"message\", \"field\"?}}`."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
    }
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let config = Arc::new(config);
    // Before anything records a metric: handles taken earlier would go nowhere.
    telemetry::prometheus();
    let files = raise_open_files_limit();
    tracing::debug!(open_files = files, "open files limit");
    let modules = registry::select(&config.services)?;
    let (stop, shutdown) = Shutdown::new();
    let mut running = registry::start(&modules, config.clone(), shutdown.clone()).await?;
    let databases = running.databases.clone();
    let mut tasks: Vec<_> = running.tasks.drain(..).map(tokio::spawn).collect();
    let (app, metrics) = app(&config, running)?;
    if let Some(metrics) = serve_metrics(&config.metrics.listen, metrics, shutdown).await? {
        tasks.push(tokio::spawn(metrics));
    }

    let listener = TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let names: Vec<&str> = modules.iter().map(|m| m.name()).collect();
    tracing::info!(%addr, url = %format!("http://{addr}"), services = %names.join(","), "listening");

    // On SIGINT/SIGTERM the modules hear it first (realtime closes its sockets, which the
    // HTTP server would otherwise wait for), then in-flight requests finish.
    let stop = Arc::new(stop);
    let stopping = stop.clone();
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            let _ = stopping.send(true);
        })
        .await
        .context("HTTP server failed")?;
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    for db in &databases {
        db.close().await;
    }
    Ok(())
}

/// Documents on every operation the errors the HTTP layer answers for all of them, so each
/// route documents only its own: 401 where a token is needed, 400 for a path or query value
/// of the wrong type, 400/413/415/422 for a body that is not JSON, too large, not labelled
/// JSON or of the wrong shape, 422 for a parameter out of range, and 503 when a backend is
/// down or the writer is busy. Schemathesis (scripts/schemathesis.sh) checks that no answer
/// is undocumented.
fn document_common_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::content::Content;
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::schema::Ref;
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build()
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
        ];
        for operation in operations.into_iter().flatten() {
            let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let has_body = operation.request_body.is_some();
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut common = Vec::new();
            if secured {
                common.push(("401", "no valid access token (`unauthorized`, `invalid_token`)"));
            }
            if has_params || has_body {
                common.push(("400", "a parameter of the wrong type, or a body that is not JSON"));
                common.push(("422", "a value out of range, or a body of the wrong shape"));
            }
            if has_body {
                common.push(("413", "the body is larger than `http.body_limit_bytes`"));
                common.push(("415", "the body is not labelled `Content-Type: application/json`"));
            }
            common.push(("503", "a backend is unavailable or the writer is busy; retry later"));
            for (status, description) in common {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(description).into());
            }
        }
    }
}

/// Adds what the API reference cannot derive from one type: `ErrorCode`, every code the
/// running modules answer with (those all share, then each module's), and `ServerFrame`, every
/// frame their sockets may carry (one `type`-tagged enum per module).
fn describe_codes_and_frames(openapi: &mut utoipa::openapi::OpenApi, codes: &[CodeDoc], frames: Vec<Schemas>) {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Ref, Schema, Type};
    let components = openapi.components.get_or_insert_with(Default::default);
    let mut listed: Vec<&CodeDoc> = Vec::new();
    for code in Code::ALL.iter().chain(codes) {
        if !listed.iter().any(|c| c.code == code.code) {
            listed.push(code);
        }
    }
    let description = listed
        .iter()
        .map(|c| format!("- `{}` ({}): {}", c.code, c.status, c.description.trim()))
        .collect::<Vec<_>>()
        .join("\n");
    let codes = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(listed.iter().map(|c| c.code)))
        .description(Some(format!(
            "A stable error code, with its usual HTTP status:\n\n{description}"
        )))
        .build();
    components.schemas.insert("ErrorCode".to_owned(), codes.into());
    let mut one_of = OneOfBuilder::new().description(Some(
        "Any frame the server sends on the WebSocket (docs/protocol.md); `type` tells which.",
    ));
    for frame in frames {
        one_of = one_of.item(Ref::from_schema_name(&frame.name));
        components.schemas.extend(frame.schemas);
    }
    components
        .schemas
        .insert("ServerFrame".to_owned(), Schema::OneOf(one_of.build()).into());
}

/// Serves Prometheus metrics on their own listener (`metrics.listen`; empty: nowhere), so the
/// public port does not tell anyone about the deployment's traffic. Binds now: a taken port
/// fails the start.
async fn serve_metrics(
    listen: &str,
    metrics: Router,
    mut shutdown: Shutdown,
) -> anyhow::Result<Option<impl Future<Output = ()> + Send + 'static>> {
    if listen.is_empty() {
        return Ok(None);
    }
    let listener = TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen for metrics on {listen} (metrics.listen: another address, or empty for none)")
    })?;
    tracing::info!(addr = %listener.local_addr()?, "serving metrics");
    Ok(Some(async move {
        let served = axum::serve(listener, metrics)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await;
        if let Err(err) = served {
            tracing::error!(error = %err, "the metrics listener failed");
        }
    }))
}

/// The whole HTTP surface: module routes under `/api/v1`, docs and health; and apart from it,
/// the metrics (see [`serve_metrics`]).
pub fn app(config: &Config, mut running: Running) -> anyhow::Result<(Router, Router)> {
    let (api, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", running.routes)
        .split_for_parts();
    describe_codes_and_frames(&mut openapi, &running.error_codes, std::mem::take(&mut running.frames));
    document_common_errors(&mut openapi);
    openapi.tags = Some(
        running
            .tags
            .iter()
            .map(|tag| {
                TagBuilder::new()
                    .name(tag.name)
                    .description(Some(tag.description))
                    .build()
            })
            .collect(),
    );
    let backends = Arc::new(Backends {
        workers: running.workers,
        databases: running.databases,
        bus: running.bus,
        state: running.state,
        tokens: running.tokens.clone(),
    });
    let metrics = telemetry::prometheus();

    let shared = HttpShared {
        tokens: running.tokens,
        trust_forwarded_for: config.http.trust_forwarded_for,
    };
    let router = api
        .merge(running.outside_api)
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/readyz", get(readyz).with_state(backends.clone()))
        .fallback_service(web::fallback(&config.http.web_dir))
        .method_not_allowed_fallback(|| async { ApiError::new(Code::MethodNotAllowed, "method not allowed here") })
        .layer(axum::extract::DefaultBodyLimit::max(config.http.body_limit_bytes))
        .layer(compression())
        .layer(Extension(shared))
        .layer(axum::middleware::from_fn(telemetry::track_requests))
        .layer(preflights_only(cors(config)?))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a request handler panicked").into_response()
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
                let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
                let route = request
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or("unmatched", |p| p.as_str());
                let span = tracing::info_span!(
                    "http",
                    method = %request.method(),
                    path = %telemetry::redact_path(request.uri().path()),
                    request_id = %header("x-request-id").unwrap_or("-"),
                    otel.name = %format_args!("{} {route}", request.method()),
                    otel.kind = "server",
                );
                // a request from another process (or a traced client) continues its trace
                trace_context::adopt(&span, header(trace_context::TRACEPARENT));
                span
            }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    let metrics = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            let backends = backends.clone();
            async move {
                for db in backends.databases.iter() {
                    metrics::gauge!("store_write_queue_depth", "module" => db.module()).set(db.queue_depth() as f64);
                }
                ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics.render())
            }
        }),
    );
    Ok((router, metrics))
}

/// `cors` as a layer that takes only real CORS preflights: tower-http's layer answers every
/// `OPTIONS` itself, which would hide a plain one (tus's discovery request, `OPTIONS
/// /api/v1/files/uploads`, which has no `Access-Control-Request-Method`) from its route.
fn preflights_only(cors: CorsLayer) -> impl tower::Layer<axum::routing::Route, Service = PreflightsOnly> + Clone {
    tower::layer::layer_fn(move |route: axum::routing::Route| PreflightsOnly {
        cors: tower::Layer::layer(&cors, route.clone()),
        plain: route,
    })
}

#[derive(Clone)]
struct PreflightsOnly {
    plain: axum::routing::Route,
    cors: tower_http::cors::Cors<axum::routing::Route>,
}

impl tower::Service<axum::extract::Request> for PreflightsOnly {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        // each call readies the clone it uses (`oneshot`)
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        use tower::ServiceExt;
        let plain = request.method() == Method::OPTIONS
            && !request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if plain {
            Box::pin(self.plain.clone().oneshot(request))
        } else {
            Box::pin(self.cors.clone().oneshot(request))
        }
    }
}

/// What a tus client sends (docs/files.md) and reads back.
const TUS_REQUEST_HEADERS: [&str; 4] = ["tus-resumable", "upload-length", "upload-offset", "upload-metadata"];
const TUS_ANSWER_HEADERS: [&str; 7] = [
    "tus-resumable",
    "tus-version",
    "tus-extension",
    "tus-max-size",
    "upload-offset",
    "upload-length",
    "upload-expires",
];

fn cors(config: &Config) -> anyhow::Result<CorsLayer> {
    let origins = config
        .http
        .cors_origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| HeaderValue::from_str(o).with_context(|| format!("bad CORS origin {o:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        // and the headers of resumable (tus) uploads, for a client on another origin
        .allow_headers(
            [
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::RANGE,
                header::IF_NONE_MATCH,
                header::IF_RANGE,
            ]
            .into_iter()
            .chain(TUS_REQUEST_HEADERS.map(HeaderName::from_static))
            .collect::<Vec<_>>(),
        )
        .expose_headers(
            [
                "x-request-id",
                "location",
                "content-disposition",
                "content-range",
                "etag",
                "hybrid-file-id",
            ]
            .into_iter()
            .chain(TUS_ANSWER_HEADERS)
            .map(HeaderName::from_static)
            .collect::<Vec<_>>(),
        )
        .max_age(std::time::Duration::from_secs(3600))
        // The CORS layer replaces any `Vary` inside it, so it names Accept-Encoding too: any
        // answer may come compressed (`compression()`, the web client's .br/.gz files).
        .vary([
            header::ORIGIN,
            header::ACCESS_CONTROL_REQUEST_METHOD,
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            header::ACCEPT_ENCODING,
        ]))
}

/// Every WebSocket is a file descriptor: take the hard limit, not the (often 1024) soft one.
fn raise_open_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit get a valid, initialised struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                ..limit
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

/// What `/readyz` checks: every backend this process talks to.
struct Backends {
    databases: Vec<Db>,
    /// A worker that keeps failing makes the process unready.
    workers: Arc<Workers>,
    bus: Arc<dyn Bus>,
    state: Arc<dyn SharedState>,
    /// No request can be served before the auth service's keys are known.
    tokens: Arc<TokenVerifier>,
}

/// Gzip for responses worth it (history pages, the API reference), for clients that ask. The
/// web client's files come compressed from the build (`web.rs`) and pass through as they are;
/// a small JSON answer, such as a sent message, is cheaper to send than to compress.
fn compression() -> CompressionLayer<impl Predicate> {
    // a response that serves byte ranges (a file download) goes as stored: its ranges and
    // Content-Length count the file's bytes
    let not_ranged =
        |_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| !headers.contains_key(header::ACCEPT_RANGES);
    let worth_it = SizeAbove::new(1024)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        .and(not_ranged);
    CompressionLayer::new().compress_when(worth_it)
}

async fn readyz(axum::extract::State(backends): axum::extract::State<Arc<Backends>>) -> axum::response::Response {
    for db in backends.databases.iter() {
        if let Err(err) = db.ping().await {
            tracing::warn!(module = db.module(), error = %err, "not ready");
            return ApiError::unavailable(format!("the {} database is unavailable", db.module())).into_response();
        }
    }
    if let Err(err) = backends.bus.check() {
        tracing::warn!(error = %err, "not ready");
        return ApiError::unavailable(err.to_string()).into_response();
    }
    if let Err(err) = backends.state.check().await {
        tracing::warn!(error = %err, "not ready");
        return ApiError::unavailable(err.to_string()).into_response();
    }
    if let Some((worker, why)) = backends.workers.failing().into_iter().next() {
        tracing::warn!(worker, why, "not ready");
        return ApiError::unavailable(format!("the {worker} worker keeps failing: it {why}")).into_response();
    }
    if !backends.tokens.has_keys() {
        return ApiError::unavailable("the auth service's token keys are not loaded yet").into_response();
    }
    axum::Json(serde_json::json!({"status": "ready"})).into_response()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
