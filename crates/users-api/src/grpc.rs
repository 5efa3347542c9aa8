//! [`UserDirectory`] over gRPC: the server adapter a process running `users` serves, the
//! client a process calling it from afar uses, and the conversions between the two shapes.

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::{ApiResult, InternalApis, PeerLink};
use hybrid_rpc::{Call, Idempotent, reply};
use tonic::service::RoutesBuilder;
use tonic::{Request, Response, Status};

use crate::proto::user_directory_client::UserDirectoryClient;
use crate::proto::user_directory_server::{self, UserDirectoryServer};
use crate::{AddPolicy, SERVICE, UserCard, UserDirectory, UserRef, proto};

pub(crate) fn serve(apis: &InternalApis, routes: &mut RoutesBuilder) -> anyhow::Result<()> {
    let api = apis.require::<dyn UserDirectory>(SERVICE)?;
    routes.add_service(UserDirectoryServer::new(Server(api)));
    Ok(())
}

pub(crate) fn connect(apis: &InternalApis, peer: PeerLink) {
    apis.provide::<dyn UserDirectory>(Arc::new(Client(peer)));
}

struct Server(Arc<dyn UserDirectory>);

#[tonic::async_trait]
impl user_directory_server::UserDirectory for Server {
    async fn create(&self, request: Request<proto::CreateUserRequest>) -> Result<Response<proto::User>, Status> {
        let proto::CreateUserRequest {
            username,
            is_bot,
            display_name,
        } = request.into_inner();
        let created = if is_bot {
            self.0.create_bot(username, display_name).await
        } else {
            self.0.create(username).await
        };
        reply(created.map(proto::User::from))
    }

    async fn rename_bot(&self, request: Request<proto::RenameBotRequest>) -> Result<Response<proto::Done>, Status> {
        let proto::RenameBotRequest { id, display_name } = request.into_inner();
        reply(self.0.rename_bot(id, display_name).await.map(|()| proto::Done {}))
    }

    async fn find_by_username(
        &self,
        request: Request<proto::FindByUsernameRequest>,
    ) -> Result<Response<proto::MaybeUser>, Status> {
        let found = self.0.find_by_username(&request.into_inner().username).await;
        reply(found.map(|user| proto::MaybeUser {
            user: user.map(proto::User::from),
        }))
    }

    async fn get(&self, request: Request<proto::UserId>) -> Result<Response<proto::MaybeUser>, Status> {
        let found = self.0.get(request.into_inner().id).await;
        reply(found.map(|user| proto::MaybeUser {
            user: user.map(proto::User::from),
        }))
    }

    async fn cards(&self, request: Request<proto::UserIds>) -> Result<Response<proto::UserCards>, Status> {
        let cards = self.0.cards(&request.into_inner().ids).await;
        reply(cards.map(|cards| proto::UserCards {
            cards: cards.into_iter().map(proto::UserCard::from).collect(),
        }))
    }

    async fn delete(&self, request: Request<proto::UserId>) -> Result<Response<proto::Done>, Status> {
        reply(self.0.delete(request.into_inner().id).await.map(|()| proto::Done {}))
    }

    async fn is_blocked(&self, request: Request<proto::IsBlockedRequest>) -> Result<Response<proto::Flag>, Status> {
        let proto::IsBlockedRequest { blocker, target } = request.into_inner();
        reply(
            self.0
                .is_blocked(blocker, target)
                .await
                .map(|value| proto::Flag { value }),
        )
    }

    async fn blocks_between(
        &self,
        request: Request<proto::BlocksBetweenRequest>,
    ) -> Result<Response<proto::UserIds>, Status> {
        let proto::BlocksBetweenRequest { user, others } = request.into_inner();
        reply(
            self.0
                .blocks_between(user, &others)
                .await
                .map(|ids| proto::UserIds { ids }),
        )
    }

    async fn add_policies(&self, request: Request<proto::UserIds>) -> Result<Response<proto::AddPolicies>, Status> {
        let policies = self.0.add_policies(&request.into_inner().ids).await;
        reply(policies.map(|policies| {
            proto::AddPolicies {
                policies: policies
                    .into_iter()
                    .map(|(id, policy)| proto::AddPolicy {
                        id,
                        policy: policy.code() as i32,
                    })
                    .collect(),
            }
        }))
    }
}

struct Client(PeerLink);

impl Client {
    async fn create_user(&self, message: proto::CreateUserRequest) -> ApiResult<UserRef> {
        let user = (self.0)
            .call("Create", Idempotent::No, message, |channel, request| async move {
                UserDirectoryClient::new(channel).create(request).await
            })
            .await?;
        Ok(user.into())
    }
}

impl UserDirectory for Client {
    fn create(&self, username: String) -> BoxFuture<'_, ApiResult<UserRef>> {
        Box::pin(self.create_user(proto::CreateUserRequest {
            username,
            ..Default::default()
        }))
    }

    fn create_bot(&self, username: String, display_name: String) -> BoxFuture<'_, ApiResult<UserRef>> {
        Box::pin(self.create_user(proto::CreateUserRequest {
            username,
            is_bot: true,
            display_name,
        }))
    }

    fn rename_bot(&self, id: i64, display_name: String) -> BoxFuture<'_, ApiResult<()>> {
        Box::pin(async move {
            // setting the same name twice leaves the same state: safe to retry
            let message = proto::RenameBotRequest { id, display_name };
            (self.0)
                .call("RenameBot", Idempotent::Yes, message, |channel, request| async move {
                    UserDirectoryClient::new(channel).rename_bot(request).await
                })
                .await?;
            Ok(())
        })
    }

    fn find_by_username<'a>(&'a self, username: &'a str) -> BoxFuture<'a, ApiResult<Option<UserRef>>> {
        Box::pin(async move {
            let message = proto::FindByUsernameRequest {
                username: username.to_owned(),
            };
            let reply = (self.0)
                .call(
                    "FindByUsername",
                    Idempotent::Yes,
                    message,
                    |channel, request| async move { UserDirectoryClient::new(channel).find_by_username(request).await },
                )
                .await?;
            Ok(reply.user.map(UserRef::from))
        })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, ApiResult<Option<UserRef>>> {
        Box::pin(async move {
            let reply = (self.0)
                .call(
                    "Get",
                    Idempotent::Yes,
                    proto::UserId { id },
                    |channel, request| async move { UserDirectoryClient::new(channel).get(request).await },
                )
                .await?;
            Ok(reply.user.map(UserRef::from))
        })
    }

    fn cards<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<UserCard>>> {
        Box::pin(async move {
            let message = proto::UserIds { ids: ids.to_vec() };
            let reply = (self.0)
                .call("Cards", Idempotent::Yes, message, |channel, request| async move {
                    UserDirectoryClient::new(channel).cards(request).await
                })
                .await?;
            Ok(reply.cards.into_iter().map(UserCard::from).collect())
        })
    }

    fn delete(&self, id: i64) -> BoxFuture<'_, ApiResult<()>> {
        Box::pin(async move {
            // deleting the same user twice leaves the same state: safe to retry
            (self.0)
                .call(
                    "Delete",
                    Idempotent::Yes,
                    proto::UserId { id },
                    |channel, request| async move { UserDirectoryClient::new(channel).delete(request).await },
                )
                .await?;
            Ok(())
        })
    }

    fn is_blocked(&self, blocker: i64, target: i64) -> BoxFuture<'_, ApiResult<bool>> {
        Box::pin(async move {
            let message = proto::IsBlockedRequest { blocker, target };
            let reply = (self.0)
                .call("IsBlocked", Idempotent::Yes, message, |channel, request| async move {
                    UserDirectoryClient::new(channel).is_blocked(request).await
                })
                .await?;
            Ok(reply.value)
        })
    }

    fn blocks_between<'a>(&'a self, user: i64, others: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let message = proto::BlocksBetweenRequest {
                user,
                others: others.to_vec(),
            };
            let reply = (self.0)
                .call(
                    "BlocksBetween",
                    Idempotent::Yes,
                    message,
                    |channel, request| async move { UserDirectoryClient::new(channel).blocks_between(request).await },
                )
                .await?;
            Ok(reply.ids)
        })
    }

    fn add_policies<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<(i64, AddPolicy)>>> {
        Box::pin(async move {
            let message = proto::UserIds { ids: ids.to_vec() };
            let reply = (self.0)
                .call("AddPolicies", Idempotent::Yes, message, |channel, request| async move {
                    UserDirectoryClient::new(channel).add_policies(request).await
                })
                .await?;
            Ok(reply
                .policies
                .into_iter()
                .map(|p| (p.id, AddPolicy::from_code(p.policy.into())))
                .collect())
        })
    }
}

impl From<UserRef> for proto::User {
    fn from(user: UserRef) -> Self {
        proto::User {
            id: user.id,
            username: user.username,
            created_at_ms: user.created_at,
            is_bot: user.is_bot,
        }
    }
}

impl From<proto::User> for UserRef {
    fn from(user: proto::User) -> Self {
        UserRef {
            id: user.id,
            username: user.username,
            created_at: user.created_at_ms,
            is_bot: user.is_bot,
        }
    }
}

impl From<UserCard> for proto::UserCard {
    fn from(card: UserCard) -> Self {
        proto::UserCard {
            id: card.id,
            username: card.username,
            display_name: card.display_name,
            is_bot: card.is_bot,
        }
    }
}

impl From<proto::UserCard> for UserCard {
    fn from(card: proto::UserCard) -> Self {
        UserCard {
            id: card.id,
            username: card.username,
            display_name: card.display_name,
            is_bot: card.is_bot,
        }
    }
}
