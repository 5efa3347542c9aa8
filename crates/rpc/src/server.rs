//! The gRPC server of a process: the internal APIs of the services it runs, and the standard
//! health service (`grpc.health.v1.Health`) reporting each of them.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_core::api::{ChatMembership, TokenAuthority, UserDirectory};
use hybrid_core::{ApiResult, InternalApis, Shutdown, trace_context};
use tokio::net::TcpListener;
use tonic::server::NamedService;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

use crate::error::to_status;
use crate::proto::auth::token_authority_server::{self, TokenAuthorityServer};
use crate::proto::chats::chat_membership_server::{self, ChatMembershipServer};
use crate::proto::users::user_directory_server::{self, UserDirectoryServer};
use crate::proto::{auth, chats, users};

/// How long a stopping server goes on serving after it reports NOT_SERVING.
pub const DRAIN: Duration = Duration::from_millis(500);

/// A bound gRPC listener, ready to serve.
pub struct GrpcServer {
    listener: TcpListener,
    users: Option<Arc<dyn UserDirectory>>,
    chats: Option<Arc<dyn ChatMembership>>,
    auth: Option<Arc<dyn TokenAuthority>>,
    timeout: Duration,
}

/// The gRPC service names of the internal APIs `apis` holds (for logs and tests).
pub fn served_apis(apis: &InternalApis) -> Vec<&'static str> {
    let mut names = Vec::new();
    if apis.get::<dyn UserDirectory>().is_some() {
        names.push(UserDirectoryServer::<UsersApi>::NAME);
    }
    if apis.get::<dyn ChatMembership>().is_some() {
        names.push(ChatMembershipServer::<ChatsApi>::NAME);
    }
    if apis.get::<dyn TokenAuthority>().is_some() {
        names.push(TokenAuthorityServer::<AuthApi>::NAME);
    }
    names
}

impl GrpcServer {
    /// Binds `listen` now, so a taken port fails the start, and serves the internal APIs
    /// found in `apis`. `timeout` caps how long a call may run here.
    pub async fn bind(listen: &str, apis: &InternalApis, timeout: Duration) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen for gRPC on {listen}: {err}"))?;
        Ok(GrpcServer {
            listener,
            users: apis.get::<dyn UserDirectory>(),
            chats: apis.get::<dyn ChatMembership>(),
            auth: apis.get::<dyn TokenAuthority>(),
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
            let users = self.users.map(|api| UserDirectoryServer::new(UsersApi(api)));
            let chats = self.chats.map(|api| ChatMembershipServer::new(ChatsApi(api)));
            let auth = self.auth.map(|api| TokenAuthorityServer::new(AuthApi(api)));
            if users.is_some() {
                health.set_serving::<UserDirectoryServer<UsersApi>>().await;
            }
            if chats.is_some() {
                health.set_serving::<ChatMembershipServer<ChatsApi>>().await;
            }
            if auth.is_some() {
                health.set_serving::<TokenAuthorityServer<AuthApi>>().await;
            }
            let stopping = async move {
                shutdown.wait().await;
                health
                    .set_service_status("", tonic_health::ServingStatus::NotServing)
                    .await;
                for name in [
                    UserDirectoryServer::<UsersApi>::NAME,
                    ChatMembershipServer::<ChatsApi>::NAME,
                    TokenAuthorityServer::<AuthApi>::NAME,
                ] {
                    health
                        .set_service_status(name, tonic_health::ServingStatus::NotServing)
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
                .add_service(health_service)
                .add_optional_service(users)
                .add_optional_service(chats)
                .add_optional_service(auth)
                .serve_with_incoming_shutdown(TcpIncoming::from(self.listener), stopping)
                .await;
            if let Err(err) = served {
                tracing::error!(error = %err, "the gRPC server failed");
            }
        })
    }
}

/// The reply of a provider call, as gRPC wants it.
fn reply<T>(result: ApiResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(to_status)
}

struct UsersApi(Arc<dyn UserDirectory>);

#[tonic::async_trait]
impl user_directory_server::UserDirectory for UsersApi {
    async fn create(&self, request: Request<users::CreateUserRequest>) -> Result<Response<users::User>, Status> {
        reply(
            self.0
                .create(request.into_inner().username)
                .await
                .map(users::User::from),
        )
    }

    async fn find_by_username(
        &self,
        request: Request<users::FindByUsernameRequest>,
    ) -> Result<Response<users::MaybeUser>, Status> {
        let found = self.0.find_by_username(&request.into_inner().username).await;
        reply(found.map(|user| users::MaybeUser {
            user: user.map(users::User::from),
        }))
    }

    async fn get(&self, request: Request<users::UserId>) -> Result<Response<users::MaybeUser>, Status> {
        let found = self.0.get(request.into_inner().id).await;
        reply(found.map(|user| users::MaybeUser {
            user: user.map(users::User::from),
        }))
    }

    async fn cards(&self, request: Request<users::UserIds>) -> Result<Response<users::UserCards>, Status> {
        let cards = self.0.cards(&request.into_inner().ids).await;
        reply(cards.map(|cards| users::UserCards {
            cards: cards.into_iter().map(users::UserCard::from).collect(),
        }))
    }

    async fn delete(&self, request: Request<users::UserId>) -> Result<Response<users::Done>, Status> {
        reply(self.0.delete(request.into_inner().id).await.map(|()| users::Done {}))
    }

    async fn is_blocked(&self, request: Request<users::IsBlockedRequest>) -> Result<Response<users::Flag>, Status> {
        let users::IsBlockedRequest { blocker, target } = request.into_inner();
        reply(
            self.0
                .is_blocked(blocker, target)
                .await
                .map(|value| users::Flag { value }),
        )
    }

    async fn blocks_between(
        &self,
        request: Request<users::BlocksBetweenRequest>,
    ) -> Result<Response<users::UserIds>, Status> {
        let users::BlocksBetweenRequest { user, others } = request.into_inner();
        reply(
            self.0
                .blocks_between(user, &others)
                .await
                .map(|ids| users::UserIds { ids }),
        )
    }
}

struct ChatsApi(Arc<dyn ChatMembership>);

#[tonic::async_trait]
impl chat_membership_server::ChatMembership for ChatsApi {
    async fn chats_of(&self, request: Request<chats::UserId>) -> Result<Response<chats::Ids>, Status> {
        reply(
            self.0
                .chats_of(request.into_inner().id)
                .await
                .map(|ids| chats::Ids { ids }),
        )
    }

    async fn direct_peers(&self, request: Request<chats::UserId>) -> Result<Response<chats::Ids>, Status> {
        reply(
            self.0
                .direct_peers(request.into_inner().id)
                .await
                .map(|ids| chats::Ids { ids }),
        )
    }

    async fn membership(
        &self,
        request: Request<chats::MembershipRequest>,
    ) -> Result<Response<chats::MembershipReply>, Status> {
        let chats::MembershipRequest { chat_id, user_id } = request.into_inner();
        reply(
            self.0
                .membership(chat_id, user_id)
                .await
                .map(|member_count| chats::MembershipReply { member_count }),
        )
    }
}

struct AuthApi(Arc<dyn TokenAuthority>);

#[tonic::async_trait]
impl token_authority_server::TokenAuthority for AuthApi {
    async fn public_keys(
        &self,
        _request: Request<auth::PublicKeysRequest>,
    ) -> Result<Response<auth::PublicKeys>, Status> {
        reply(self.0.public_keys().await.map(|keys| auth::PublicKeys {
            keys: keys.into_iter().map(auth::PublicKey::from).collect(),
        }))
    }

    async fn revoked_since(
        &self,
        request: Request<auth::RevokedSinceRequest>,
    ) -> Result<Response<auth::SessionIds>, Status> {
        reply(
            self.0
                .revoked_since(request.into_inner().since_ms)
                .await
                .map(|ids| auth::SessionIds { ids }),
        )
    }
}
