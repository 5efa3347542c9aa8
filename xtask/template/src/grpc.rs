//! The internal API ([`{{Name}}Api`]) across processes: served from the process that runs
//! `{{name}}`, called through a client that stands in for it elsewhere (`peers.{{name}}`).

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::{ApiResult, GrpcApi, InternalApis, PeerLink};
use hybrid_rpc::{Call, Idempotent, reply};
use tonic::service::RoutesBuilder;
use tonic::{Request, Response, Status};

use crate::SERVICE;
use crate::api::{{Name}}Api;

/// Generated messages, server and client of `proto/hybrid/{{name}}/v1/{{name}}.proto`.
pub mod proto {
    tonic::include_proto!("hybrid.{{name}}.v1");
}

pub const GRPC: GrpcApi = GrpcApi {
    services: &["hybrid.{{name}}.v1.{{Name}}Api"],
    serve,
    connect,
};

fn serve(apis: &InternalApis, routes: &mut RoutesBuilder) -> anyhow::Result<()> {
    let api = apis.require::<dyn {{Name}}Api>(SERVICE)?;
    routes.add_service(proto::{{name}}_api_server::{{Name}}ApiServer::new(Server(api)));
    Ok(())
}

fn connect(apis: &InternalApis, peer: PeerLink) {
    apis.provide::<dyn {{Name}}Api>(Arc::new(Client(peer)));
}

struct Server(Arc<dyn {{Name}}Api>);

#[tonic::async_trait]
impl proto::{{name}}_api_server::{{Name}}Api for Server {
    async fn count_items(
        &self,
        request: Request<proto::CountItemsRequest>,
    ) -> Result<Response<proto::Count>, Status> {
        let user_id = request.into_inner().user_id;
        reply(self.0.count_items(user_id).await.map(|value| proto::Count { value }))
    }
}

struct Client(PeerLink);

impl {{Name}}Api for Client {
    fn count_items(&self, user_id: i64) -> BoxFuture<'_, ApiResult<i64>> {
        Box::pin(async move {
            let request = proto::CountItemsRequest { user_id };
            let count = (self.0)
                .call("CountItems", Idempotent::Yes, request, |channel, request| async move {
                    proto::{{name}}_api_client::{{Name}}ApiClient::new(channel)
                        .count_items(request)
                        .await
                })
                .await?;
            Ok(count.value)
        })
    }
}
