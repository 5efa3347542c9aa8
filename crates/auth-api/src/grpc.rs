//! [`TokenAuthority`] and [`Administrators`] over gRPC: the server adapter a process running
//! `auth` serves, and the client every other process uses. Every call is a read, so each is
//! retried while the peer is unavailable.

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::admin::Administrators;
use hybrid_core::{ApiError, ApiResult, InternalApis, PeerLink};
use hybrid_rpc::{Call, Idempotent, reply};
use tonic::service::RoutesBuilder;
use tonic::{Request, Response, Status};

use crate::proto::token_authority_client::TokenAuthorityClient;
use crate::proto::token_authority_server::{self, TokenAuthorityServer};
use crate::{SERVICE, TokenAuthority, proto};

pub(crate) fn serve(apis: &InternalApis, routes: &mut RoutesBuilder) -> anyhow::Result<()> {
    let api = apis.require::<dyn TokenAuthority>(SERVICE)?;
    let admins = apis.require::<dyn Administrators>(SERVICE)?;
    routes.add_service(TokenAuthorityServer::new(Server(api, admins)));
    Ok(())
}

pub(crate) fn connect(apis: &InternalApis, peer: PeerLink) {
    let client = Arc::new(Client(peer));
    apis.provide::<dyn TokenAuthority>(client.clone());
    apis.provide::<dyn Administrators>(client);
}

struct Server(Arc<dyn TokenAuthority>, Arc<dyn Administrators>);

#[tonic::async_trait]
impl token_authority_server::TokenAuthority for Server {
    async fn public_keys(
        &self,
        _request: Request<proto::PublicKeysRequest>,
    ) -> Result<Response<proto::PublicKeys>, Status> {
        reply(self.0.public_keys().await.map(|keys| {
            proto::PublicKeys {
                keys: keys
                    .into_iter()
                    .map(|(kid, raw)| proto::PublicKey {
                        kid,
                        ed25519: raw.to_vec(),
                    })
                    .collect(),
            }
        }))
    }

    async fn revoked_since(
        &self,
        request: Request<proto::RevokedSinceRequest>,
    ) -> Result<Response<proto::SessionIds>, Status> {
        reply(
            self.0
                .revoked_since(request.into_inner().since_ms)
                .await
                .map(|ids| proto::SessionIds { ids }),
        )
    }

    async fn live_sessions(&self, request: Request<proto::SessionIds>) -> Result<Response<proto::SessionIds>, Status> {
        reply(
            self.0
                .live_sessions(request.into_inner().ids)
                .await
                .map(|ids| proto::SessionIds { ids }),
        )
    }

    async fn is_admin(&self, request: Request<proto::IsAdminRequest>) -> Result<Response<proto::IsAdminReply>, Status> {
        reply(
            self.1
                .is_admin(request.into_inner().user_id)
                .await
                .map(|admin| proto::IsAdminReply { admin }),
        )
    }
}

struct Client(PeerLink);

impl TokenAuthority for Client {
    fn public_keys(&self) -> BoxFuture<'_, ApiResult<Vec<(String, [u8; 32])>>> {
        Box::pin(async move {
            let reply = (self.0)
                .call(
                    "PublicKeys",
                    Idempotent::Yes,
                    proto::PublicKeysRequest {},
                    |channel, request| async move { TokenAuthorityClient::new(channel).public_keys(request).await },
                )
                .await?;
            reply.keys.into_iter().map(raw_key).collect()
        })
    }

    fn revoked_since(&self, since_ms: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let message = proto::RevokedSinceRequest { since_ms };
            let reply = (self.0)
                .call(
                    "RevokedSince",
                    Idempotent::Yes,
                    message,
                    |channel, request| async move { TokenAuthorityClient::new(channel).revoked_since(request).await },
                )
                .await?;
            Ok(reply.ids)
        })
    }

    fn live_sessions(&self, session_ids: Vec<i64>) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let message = proto::SessionIds { ids: session_ids };
            let reply = (self.0)
                .call(
                    "LiveSessions",
                    Idempotent::Yes,
                    message,
                    |channel, request| async move { TokenAuthorityClient::new(channel).live_sessions(request).await },
                )
                .await?;
            Ok(reply.ids)
        })
    }
}

impl Administrators for Client {
    fn is_admin(&self, user_id: i64) -> BoxFuture<'_, ApiResult<bool>> {
        Box::pin(async move {
            let reply = (self.0)
                .call(
                    "IsAdmin",
                    Idempotent::Yes,
                    proto::IsAdminRequest { user_id },
                    |channel, request| async move { TokenAuthorityClient::new(channel).is_admin(request).await },
                )
                .await?;
            Ok(reply.admin)
        })
    }
}

fn raw_key(key: proto::PublicKey) -> ApiResult<(String, [u8; 32])> {
    let raw: [u8; 32] = key.ed25519.as_slice().try_into().map_err(|_| {
        ApiError::internal(format!(
            "the auth service sent a {}-byte Ed25519 key",
            key.ed25519.len()
        ))
    })?;
    Ok((key.kid, raw))
}
