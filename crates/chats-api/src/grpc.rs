//! [`ChatMembership`], [`ChatWriter`] and [`ChatActions`] over gRPC: the server adapters a process running
//! `chats` serves, and the clients a process calling them from afar uses. Every call is a read,
//! so every call is retried while the peer is unavailable.

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::{ApiResult, InternalApis, PeerLink};
use hybrid_rpc::{Call, Idempotent, reply};
use tonic::service::RoutesBuilder;
use tonic::{Request, Response, Status};

use crate::proto::chat_actor_client::ChatActorClient;
use crate::proto::chat_actor_server::{self, ChatActorServer};
use crate::proto::chat_membership_client::ChatMembershipClient;
use crate::proto::chat_membership_server::{self, ChatMembershipServer};
use crate::proto::chat_writer_client::ChatWriterClient;
use crate::proto::chat_writer_server::{self, ChatWriterServer};
use crate::{
    Action, AttachmentUpdate, ChatActions, ChatMembership, ChatWriter, ObjectRef, Outcome, Post, Posted, SERVICE, proto,
};

pub(crate) fn serve(apis: &InternalApis, routes: &mut RoutesBuilder) -> anyhow::Result<()> {
    let api = apis.require::<dyn ChatMembership>(SERVICE)?;
    routes.add_service(ChatMembershipServer::new(Server(api)));
    let writer = apis.require::<dyn ChatWriter>(SERVICE)?;
    routes.add_service(ChatWriterServer::new(WriterServer(writer)));
    let actions = apis.require::<dyn ChatActions>(SERVICE)?;
    routes.add_service(ChatActorServer::new(ActorServer(actions)));
    Ok(())
}

pub(crate) fn connect(apis: &InternalApis, peer: PeerLink) {
    apis.provide::<dyn ChatMembership>(Arc::new(Client(peer.clone())));
    apis.provide::<dyn ChatWriter>(Arc::new(Client(peer.clone())));
    apis.provide::<dyn ChatActions>(Arc::new(Client(peer)));
}

struct Server(Arc<dyn ChatMembership>);

#[tonic::async_trait]
impl chat_membership_server::ChatMembership for Server {
    async fn chats_of(&self, request: Request<proto::UserId>) -> Result<Response<proto::Ids>, Status> {
        ids(self.0.chats_of(request.into_inner().id).await)
    }

    async fn direct_peers(&self, request: Request<proto::UserId>) -> Result<Response<proto::Ids>, Status> {
        ids(self.0.direct_peers(request.into_inner().id).await)
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

    async fn message_context(
        &self,
        request: Request<proto::MessageRef>,
    ) -> Result<Response<proto::MessageContextReply>, Status> {
        let proto::MessageRef { chat_id, seq } = request.into_inner();
        reply(
            self.0
                .message_context(chat_id, seq)
                .await
                .map(|context| proto::MessageContextReply { context }),
        )
    }
}

/// A list of ids as the reply of a call.
fn ids(found: ApiResult<Vec<i64>>) -> Result<Response<proto::Ids>, Status> {
    reply(found.map(|ids| proto::Ids { ids }))
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

    fn message_context(&self, chat_id: i64, seq: i64) -> BoxFuture<'_, ApiResult<Option<proto::MessageContext>>> {
        Box::pin(async move {
            let message = proto::MessageRef { chat_id, seq };
            let reply = (self.0)
                .call(
                    "MessageContext",
                    Idempotent::Yes,
                    message,
                    |channel, request| async move { ChatMembershipClient::new(channel).message_context(request).await },
                )
                .await?;
            Ok(reply.context)
        })
    }
}

struct WriterServer(Arc<dyn ChatWriter>);

#[tonic::async_trait]
impl chat_writer_server::ChatWriter for WriterServer {
    async fn post(&self, request: Request<proto::PostRequest>) -> Result<Response<proto::Posted>, Status> {
        let proto::PostRequest {
            chat_id,
            sender_id,
            text,
            idempotency_key,
            attachment,
        } = request.into_inner();
        let post = Post {
            chat_id,
            sender_id,
            text,
            idempotency_key,
            attachment,
        };
        reply(self.0.post(post).await.map(|posted| proto::Posted {
            chat_id: posted.chat_id,
            seq: posted.seq,
            created: posted.created,
        }))
    }

    async fn update_attachment(
        &self,
        request: Request<proto::AttachmentUpdate>,
    ) -> Result<Response<proto::Done>, Status> {
        let proto::AttachmentUpdate {
            chat_id,
            seq,
            attachment,
        } = request.into_inner();
        let Some(attachment) = attachment else {
            return Err(Status::invalid_argument("an attachment update without the attachment"));
        };
        let update = AttachmentUpdate {
            chat_id,
            seq,
            attachment,
        };
        reply(self.0.update_attachment(update).await.map(|()| proto::Done {}))
    }

    async fn may_see(&self, request: Request<proto::MaySeeRequest>) -> Result<Response<proto::Flag>, Status> {
        let proto::MaySeeRequest {
            user_id,
            chat_id,
            seq,
            carrying,
        } = request.into_inner();
        reply(
            self.0
                .may_see(user_id, chat_id, seq, carrying)
                .await
                .map(|value| proto::Flag { value }),
        )
    }
}

impl ChatWriter for Client {
    fn post(&self, post: Post) -> BoxFuture<'_, ApiResult<Posted>> {
        Box::pin(async move {
            let message = proto::PostRequest {
                chat_id: post.chat_id,
                sender_id: post.sender_id,
                text: post.text,
                idempotency_key: post.idempotency_key,
                attachment: post.attachment,
            };
            let posted = (self.0)
                .call("Post", Idempotent::No, message, |channel, request| async move {
                    ChatWriterClient::new(channel).post(request).await
                })
                .await?;
            Ok(Posted {
                chat_id: posted.chat_id,
                seq: posted.seq,
                created: posted.created,
            })
        })
    }

    fn update_attachment(&self, update: AttachmentUpdate) -> BoxFuture<'_, ApiResult<()>> {
        Box::pin(async move {
            let message = proto::AttachmentUpdate {
                chat_id: update.chat_id,
                seq: update.seq,
                attachment: Some(update.attachment),
            };
            // a version applies once: sending it again changes nothing
            (self.0)
                .call(
                    "UpdateAttachment",
                    Idempotent::Yes,
                    message,
                    |channel, request| async move { ChatWriterClient::new(channel).update_attachment(request).await },
                )
                .await?;
            Ok(())
        })
    }

    fn may_see(
        &self,
        user_id: i64,
        chat_id: i64,
        seq: i64,
        carrying: Option<ObjectRef>,
    ) -> BoxFuture<'_, ApiResult<bool>> {
        Box::pin(async move {
            let message = proto::MaySeeRequest {
                user_id,
                chat_id,
                seq,
                carrying,
            };
            let reply = (self.0)
                .call("MaySee", Idempotent::Yes, message, |channel, request| async move {
                    ChatWriterClient::new(channel).may_see(request).await
                })
                .await?;
            Ok(reply.value)
        })
    }
}

struct ActorServer(Arc<dyn ChatActions>);

#[tonic::async_trait]
impl chat_actor_server::ChatActor for ActorServer {
    async fn act(&self, request: Request<proto::ActRequest>) -> Result<Response<proto::ActReply>, Status> {
        let proto::ActRequest { user_id, action } = request.into_inner();
        let action: Action = serde_json::from_str(&action)
            .map_err(|err| Status::invalid_argument(format!("an action chats does not know: {err}")))?;
        reply(self.0.act(user_id, action).await.map(|outcome| proto::ActReply {
            outcome: serde_json::to_string(&outcome).expect("outcomes serialise"),
        }))
    }
}

impl ChatActions for Client {
    fn act(&self, user_id: i64, action: Action) -> BoxFuture<'_, ApiResult<Outcome>> {
        Box::pin(async move {
            let idempotent = if action.is_idempotent() {
                Idempotent::Yes
            } else {
                Idempotent::No
            };
            let message = proto::ActRequest {
                user_id,
                action: serde_json::to_string(&action).expect("actions serialise"),
            };
            let reply = (self.0)
                .call("Act", idempotent, message, |channel, request| async move {
                    ChatActorClient::new(channel).act(request).await
                })
                .await?;
            serde_json::from_str(&reply.outcome).map_err(|err| {
                hybrid_core::ApiError::internal(format!("chats answered an outcome this process does not know: {err}"))
            })
        })
    }
}
