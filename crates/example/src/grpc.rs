//! The example's internal API ([`Tally`]) across processes: served where the example runs,
//! called through a client that stands in for it elsewhere.

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::{ApiResult, GrpcApi, InternalApis, PeerLink};
use hybrid_rpc::{Call, Idempotent, reply};
use tonic::service::RoutesBuilder;
use tonic::{Request, Response, Status};

use crate::SERVICE;
use crate::api::Tally;

/// Generated messages, server and client of `proto/hybrid/example/v1/example.proto`.
pub mod proto {
    tonic::include_proto!("hybrid.example.v1");
}

/// How [`Tally`] is served and reached over gRPC.
pub const GRPC: GrpcApi = GrpcApi {
    services: &["hybrid.example.v1.Tally"],
    serve: serve_tally,
    connect: connect_tally,
};

fn serve_tally(apis: &InternalApis, routes: &mut RoutesBuilder) -> anyhow::Result<()> {
    let api = apis.require::<dyn Tally>(SERVICE)?;
    routes.add_service(proto::tally_server::TallyServer::new(TallyServer(api)));
    Ok(())
}

fn connect_tally(apis: &InternalApis, peer: PeerLink) {
    apis.provide::<dyn Tally>(Arc::new(TallyClient(peer)));
}

struct TallyServer(Arc<dyn Tally>);

#[tonic::async_trait]
impl proto::tally_server::Tally for TallyServer {
    async fn seen(&self, _request: Request<proto::SeenRequest>) -> Result<Response<proto::Count>, Status> {
        reply(self.0.seen().await.map(|value| proto::Count { value }))
    }
}

struct TallyClient(PeerLink);

impl Tally for TallyClient {
    fn seen(&self) -> BoxFuture<'_, ApiResult<i64>> {
        Box::pin(async move {
            let count = (self.0)
                .call("Seen", Idempotent::Yes, proto::SeenRequest {}, |channel, request| async move {
                    proto::tally_client::TallyClient::new(channel).seen(request).await
                })
                .await?;
            Ok(count.value)
        })
    }
}
