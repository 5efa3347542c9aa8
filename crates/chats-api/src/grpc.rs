//! [`ChatMembership`] over gRPC: the server adapter a process running `chats` serves, and the
//! client a process calling it from afar uses. Every call is a read, so every call is retried
//! while the peer is unavailable.

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::{ApiResult, InternalApis, PeerLink};
use hybrid_rpc::{Call, Idempotent, reply};
use tonic::service::RoutesBuilder;
use tonic::{Request, Response, Status};

use crate::proto::chat_membership_client::ChatMembershipClient;
use crate::proto::chat_membership_server::{self, ChatMembershipServer};
use crate::{ChatMembership, SERVICE, proto};

pub(crate) fn serve(apis: &InternalApis, routes: &mut RoutesBuilder) -> anyhow::Result<()> {
    let api = apis.require::<dyn ChatMembership>(SERVICE)?;
    routes.add_service(ChatMembershipServer::new(Server(api)));
    Ok(())
}

pub(crate) fn connect(apis: &InternalApis, peer: PeerLink) {
    apis.provide::<dyn ChatMembership>(Arc::new(Client(peer)));
}

struct Server(Arc<dyn ChatMembership>);

#[tonic::async_trait]
impl chat_membership_server::ChatMembership for Server {
    async fn chats_of(&self, request: Request<proto::UserId>) -> Result<Response<proto::Ids>, Status> {
        reply(
            self.0
                .chats_of(request.into_inner().id)
                .await
                .map(|ids| proto::Ids { ids }),
        )
    }

    async fn direct_peers(&self, request: Request<proto::UserId>) -> Result<Response<proto::Ids>, Status> {
        reply(
            self.0
                .direct_peers(request.into_inner().id)
                .await
                .map(|ids| proto::Ids { ids }),
        )
    }

    async fn membership(
        &self,
        request: Request<proto::MembershipRequest>,
    ) -> Result<Response<proto::MembershipReply>, Status> {
        let proto::MembershipRequest { chat_id, user_id } = request.into_inner();
        reply(
            self.0
                .membership(chat_id, user_id)
                .await
                .map(|member_count| proto::MembershipReply { member_count }),
        )
    }
}

struct Client(PeerLink);

impl ChatMembership for Client {
    fn chats_of(&self, user_id: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let reply = (self.0)
                .call(
                    "ChatsOf",
                    Idempotent::Yes,
                    proto::UserId { id: user_id },
                    |channel, request| async move { ChatMembershipClient::new(channel).chats_of(request).await },
                )
                .await?;
            Ok(reply.ids)
        })
    }

    fn direct_peers(&self, user_id: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let message = proto::UserId { id: user_id };
            let reply = (self.0)
                .call("DirectPeers", Idempotent::Yes, message, |channel, request| async move {
                    ChatMembershipClient::new(channel).direct_peers(request).await
                })
                .await?;
            Ok(reply.ids)
        })
    }

    fn membership(&self, chat_id: i64, user_id: i64) -> BoxFuture<'_, ApiResult<Option<i64>>> {
        Box::pin(async move {
            let message = proto::MembershipRequest { chat_id, user_id };
            let reply = (self.0)
                .call("Membership", Idempotent::Yes, message, |channel, request| async move {
                    ChatMembershipClient::new(channel).membership(request).await
                })
                .await?;
            Ok(reply.member_count)
        })
    }
}
