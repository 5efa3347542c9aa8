//! [`SyncSource`] across processes: one generic gRPC service (`hybrid.sync.v1.SyncSource`),
//! served for every local source, and a client per remote service that keeps entries.

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::sync::{SyncPart, SyncSource, SyncSources};
use hybrid_core::{ApiError, ApiResult, PeerLink};
use tonic::service::RoutesBuilder;
use tonic::{Request, Response, Status};

use crate::proto::sync as proto;
use crate::proto::sync::sync_source_client::SyncSourceClient;
use crate::proto::sync::sync_source_server::{self, SyncSourceServer};
use crate::{Call, Idempotent, reply};

/// The gRPC service name, for health reports.
pub const SYNC_SERVICE: &str = "hybrid.sync.v1.SyncSource";

/// Serves the sync sources of this process's modules.
pub fn serve_sync(sources: Arc<SyncSources>, routes: &mut RoutesBuilder) {
    routes.add_service(SyncSourceServer::new(Server(sources)));
}

/// The sync source of `service`, which runs at the other end of `peer`.
pub fn remote_sync(peer: PeerLink, service: &'static str) -> Arc<dyn SyncSource> {
    Arc::new(Client { peer, service })
}

struct Server(Arc<SyncSources>);

#[tonic::async_trait]
impl sync_source_server::SyncSource for Server {
    async fn sync(&self, request: Request<proto::SyncRequest>) -> Result<Response<proto::SyncPart>, Status> {
        let proto::SyncRequest {
            service,
            user_id,
            cursor,
        } = request.into_inner();
        let Some(source) = self.0.get(&service) else {
            return Err(Status::not_found(format!("no sync source `{service}` here")));
        };
        reply(source.sync(user_id, &cursor).await.map(|part| proto::SyncPart {
            cursor: part.cursor,
            entries: part.entries.into_iter().map(|e| e.get().to_owned()).collect(),
            too_long: part.too_long,
        }))
    }
}

struct Client {
    peer: PeerLink,
    service: &'static str,
}

impl SyncSource for Client {
    fn sync(&self, user_id: i64, cursor: &str) -> BoxFuture<'_, ApiResult<SyncPart>> {
        let message = proto::SyncRequest {
            service: self.service.to_owned(),
            user_id,
            cursor: cursor.to_owned(),
        };
        Box::pin(async move {
            let part = self
                .peer
                .call("Sync", Idempotent::Yes, message, |channel, request| async move {
                    SyncSourceClient::new(channel).sync(request).await
                })
                .await?;
            let entries = part
                .entries
                .into_iter()
                .map(SyncPart::entry)
                .collect::<Result<Vec<_>, ApiError>>()?;
            Ok(SyncPart {
                cursor: part.cursor,
                entries,
                too_long: part.too_long,
                unavailable: false,
            })
        })
    }
}
