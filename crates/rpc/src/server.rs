//! The gRPC server of a process: the internal APIs of the services it runs, and the standard
//! health service (`grpc.health.v1.Health`) reporting each of them.

use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_core::{ApiResult, Shutdown, trace_context};
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Response, Status};

use crate::credential::InternalCredential;
use crate::error::to_status;

/// How long a stopping server goes on serving after it reports NOT_SERVING.
pub const DRAIN: Duration = Duration::from_millis(500);

/// A bound gRPC listener, ready to serve.
pub struct GrpcServer {
    listener: TcpListener,
    routes: Routes,
    services: Vec<&'static str>,
    timeout: Duration,
}

impl GrpcServer {
    /// Binds `listen` now, so a taken port fails the start, to serve `routes`: the servers of
    /// the gRPC `services` named, to callers that present `credential`. `timeout` caps how long
    /// a call may run here.
    pub async fn bind(
        listen: &str,
        routes: Routes,
        services: Vec<&'static str>,
        timeout: Duration,
        credential: InternalCredential,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen for gRPC on {listen}: {err}"))?;
        Ok(GrpcServer {
            listener,
            routes: credential.guard(routes),
            services,
            timeout,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown`; the health service says NOT_SERVING from the moment the
    /// process starts stopping, and [`DRAIN`] later the port closes.
    pub fn run(self, mut shutdown: Shutdown) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let (health, health_service) = tonic_health::server::health_reporter();
            for service in &self.services {
                health
                    .set_service_status(*service, tonic_health::ServingStatus::Serving)
                    .await;
            }
            let services = self.services;
            let stopping = async move {
                shutdown.wait().await;
                for service in services.iter().copied().chain([""]) {
                    health
                        .set_service_status(service, tonic_health::ServingStatus::NotServing)
                        .await;
                }
                // keep answering a moment, so health checks see NOT_SERVING and callers move
                // to another replica before the port closes
                tokio::time::sleep(DRAIN).await;
            };
            let served = Server::builder()
                .trace_fn(|request| {
                    let span = tracing::info_span!(
                        "grpc",
                        otel.name = %request.uri().path().trim_start_matches('/'),
                        otel.kind = "server",
                        rpc.system = "grpc",
                    );
                    let parent = request.headers().get(trace_context::TRACEPARENT);
                    trace_context::adopt(&span, parent.and_then(|v| v.to_str().ok()));
                    span
                })
                .timeout(self.timeout)
                .tcp_nodelay(true)
                .add_routes(self.routes)
                .add_service(health_service)
                .serve_with_incoming_shutdown(TcpIncoming::from(self.listener), stopping)
                .await;
            if let Err(err) = served {
                tracing::error!(error = %err, "the gRPC server failed");
            }
        })
    }
}

/// The reply of a provider call, as gRPC wants it: an `ApiError` travels with its HTTP shape.
pub fn reply<T>(result: ApiResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(to_status)
}
