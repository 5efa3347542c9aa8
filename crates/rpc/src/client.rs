//! Clients for the services this process does not run: each implements the same
//! `hybrid_core::api` trait the in-process provider does, so callers cannot tell them apart.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_core::api::{ChatMembership, TokenAuthority, UserCard, UserDirectory, UserRef};
use hybrid_core::{ApiError, ApiResult, InternalApis, trace_context};
use tokio::time::Instant;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Response, Status};
use tracing::Instrument;

use crate::error::{from_status, raised_by_provider};
use crate::proto::auth::token_authority_client::TokenAuthorityClient;
use crate::proto::chats::chat_membership_client::ChatMembershipClient;
use crate::proto::users::user_directory_client::UserDirectoryClient;
use crate::proto::{auth, chats, users};

/// How calls to another process behave.
#[derive(Debug, Clone, Copy)]
pub struct PeerOptions {
    /// Deadline of a call, retries included.
    pub timeout: Duration,
    /// Deadline for opening the connection.
    pub connect_timeout: Duration,
}

/// Makes `service` (at `url`, `http://host:port`) available to this process's modules through
/// its `hybrid_core::api` trait. Connects lazily: a peer that is down now is a 503 per call,
/// not a failed start.
pub fn provide_peer(apis: &InternalApis, service: &str, url: &str, options: PeerOptions) -> anyhow::Result<()> {
    let channel = Endpoint::from_shared(url.to_owned())
        .map_err(|err| anyhow::anyhow!("peers.{service} = {url:?} is not a valid address: {err}"))?
        .connect_timeout(options.connect_timeout)
        .tcp_nodelay(true)
        .connect_lazy();
    match service {
        "users" => apis.provide::<dyn UserDirectory>(Arc::new(RemoteUsers(Peer::new("users", channel, options)))),
        "chats" => apis.provide::<dyn ChatMembership>(Arc::new(RemoteChats(Peer::new("chats", channel, options)))),
        "auth" => apis.provide::<dyn TokenAuthority>(Arc::new(RemoteAuth(Peer::new("auth", channel, options)))),
        other => anyhow::bail!("the {other} service offers no internal API to call"),
    }
    Ok(())
}

/// One peer process: where it is, and the call policy.
struct Peer {
    service: &'static str,
    channel: Channel,
    options: PeerOptions,
}

/// Retries of an idempotent call that found its peer unavailable, and the pause before each.
const RETRY_BACKOFF: [Duration; 2] = [Duration::from_millis(50), Duration::from_millis(200)];

/// Whether a call may be sent again when it may or may not have been carried out.
#[derive(Clone, Copy, PartialEq)]
enum Idempotent {
    Yes,
    No,
}

impl Peer {
    fn new(service: &'static str, channel: Channel, options: PeerOptions) -> Self {
        Peer {
            service,
            channel,
            options,
        }
    }

    /// Runs `call` under the deadline, retrying an idempotent one while the peer is unavailable
    /// and time remains.
    async fn call<T, F, Fut>(&self, method: &'static str, idempotent: Idempotent, call: F) -> ApiResult<T>
    where
        F: Fn(Channel, Duration) -> Fut,
        Fut: Future<Output = Result<Response<T>, Status>>,
    {
        let span = tracing::info_span!(
            "grpc call",
            otel.name = %format_args!("{}/{method}", self.service),
            otel.kind = "client",
            rpc.system = "grpc",
        );
        self.attempts(idempotent, call).instrument(span).await
    }

    async fn attempts<T, F, Fut>(&self, idempotent: Idempotent, call: F) -> ApiResult<T>
    where
        F: Fn(Channel, Duration) -> Fut,
        Fut: Future<Output = Result<Response<T>, Status>>,
    {
        let deadline = Instant::now() + self.options.timeout;
        let mut backoff = RETRY_BACKOFF.iter();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let status = match tokio::time::timeout(left, call(self.channel.clone(), left)).await {
                Ok(Ok(response)) => return Ok(response.into_inner()),
                Ok(Err(status)) => status,
                Err(_) => Status::deadline_exceeded("no answer in time"),
            };
            let retry = match backoff.next() {
                Some(pause) if idempotent == Idempotent::Yes && status.code() == Code::Unavailable => *pause,
                _ => return Err(self.failed(&status)),
            };
            if Instant::now() + retry >= deadline {
                return Err(self.failed(&status));
            }
            tracing::debug!(service = self.service, error = %status.message(), "retrying an internal call");
            tokio::time::sleep(retry).await;
        }
    }

    fn failed(&self, status: &Status) -> ApiError {
        // the caller's own deadline, or the server's (it gets `grpc-timeout`), ran out
        let timed_out = matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled);
        if timed_out && !raised_by_provider(status) {
            return ApiError::unavailable(format!(
                "the {} service did not answer within {} ms",
                self.service,
                self.options.timeout.as_millis()
            ));
        }
        from_status(self.service, status)
    }
}

/// A request that tells the server how long the caller will wait (`grpc-timeout`), and in
/// which trace it runs.
fn request<T>(message: T, timeout: Duration) -> Request<T> {
    let mut request = Request::new(message);
    request.set_timeout(timeout);
    if let Some(value) = trace_context::current().and_then(|t| MetadataValue::try_from(t).ok()) {
        request.metadata_mut().insert(trace_context::TRACEPARENT, value);
    }
    request
}

struct RemoteUsers(Peer);

fn user_ref(user: users::User) -> UserRef {
    UserRef {
        id: user.id,
        username: user.username,
    }
}

impl UserDirectory for RemoteUsers {
    fn create(&self, username: String) -> BoxFuture<'_, ApiResult<UserRef>> {
        Box::pin(async move {
            let message = users::CreateUserRequest { username };
            let user = self
                .0
                .call("Create", Idempotent::No, |channel, timeout| {
                    let message = message.clone();
                    async move {
                        UserDirectoryClient::new(channel)
                            .create(request(message, timeout))
                            .await
                    }
                })
                .await?;
            Ok(user_ref(user))
        })
    }

    fn find_by_username<'a>(&'a self, username: &'a str) -> BoxFuture<'a, ApiResult<Option<UserRef>>> {
        Box::pin(async move {
            let reply = self
                .0
                .call("FindByUsername", Idempotent::Yes, |channel, timeout| {
                    let message = users::FindByUsernameRequest {
                        username: username.to_owned(),
                    };
                    async move {
                        UserDirectoryClient::new(channel)
                            .find_by_username(request(message, timeout))
                            .await
                    }
                })
                .await?;
            Ok(reply.user.map(user_ref))
        })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, ApiResult<Option<UserRef>>> {
        Box::pin(async move {
            let reply = self
                .0
                .call("Get", Idempotent::Yes, |channel, timeout| async move {
                    UserDirectoryClient::new(channel)
                        .get(request(users::UserId { id }, timeout))
                        .await
                })
                .await?;
            Ok(reply.user.map(user_ref))
        })
    }

    fn cards<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<UserCard>>> {
        Box::pin(async move {
            let reply = self
                .0
                .call("Cards", Idempotent::Yes, |channel, timeout| {
                    let message = users::UserIds { ids: ids.to_vec() };
                    async move { UserDirectoryClient::new(channel).cards(request(message, timeout)).await }
                })
                .await?;
            Ok(reply
                .cards
                .into_iter()
                .map(|card| UserCard {
                    id: card.id,
                    username: card.username,
                    display_name: card.display_name,
                })
                .collect())
        })
    }

    fn delete(&self, id: i64) -> BoxFuture<'_, ApiResult<()>> {
        Box::pin(async move {
            // deleting the same user twice leaves the same state: safe to retry
            self.0
                .call("Delete", Idempotent::Yes, |channel, timeout| async move {
                    UserDirectoryClient::new(channel)
                        .delete(request(users::UserId { id }, timeout))
                        .await
                })
                .await?;
            Ok(())
        })
    }

    fn is_blocked(&self, blocker: i64, target: i64) -> BoxFuture<'_, ApiResult<bool>> {
        Box::pin(async move {
            let reply = self
                .0
                .call("IsBlocked", Idempotent::Yes, |channel, timeout| async move {
                    let message = users::IsBlockedRequest { blocker, target };
                    UserDirectoryClient::new(channel)
                        .is_blocked(request(message, timeout))
                        .await
                })
                .await?;
            Ok(reply.value)
        })
    }

    fn blocks_between<'a>(&'a self, user: i64, others: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let reply = self
                .0
                .call("BlocksBetween", Idempotent::Yes, |channel, timeout| {
                    let message = users::BlocksBetweenRequest {
                        user,
                        others: others.to_vec(),
                    };
                    async move {
                        UserDirectoryClient::new(channel)
                            .blocks_between(request(message, timeout))
                            .await
                    }
                })
                .await?;
            Ok(reply.ids)
        })
    }
}

struct RemoteChats(Peer);

impl ChatMembership for RemoteChats {
    fn chats_of(&self, user_id: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let reply = self
                .0
                .call("ChatsOf", Idempotent::Yes, |channel, timeout| async move {
                    ChatMembershipClient::new(channel)
                        .chats_of(request(chats::UserId { id: user_id }, timeout))
                        .await
                })
                .await?;
            Ok(reply.ids)
        })
    }

    fn direct_peers(&self, user_id: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let reply = self
                .0
                .call("DirectPeers", Idempotent::Yes, |channel, timeout| async move {
                    ChatMembershipClient::new(channel)
                        .direct_peers(request(chats::UserId { id: user_id }, timeout))
                        .await
                })
                .await?;
            Ok(reply.ids)
        })
    }

    fn membership(&self, chat_id: i64, user_id: i64) -> BoxFuture<'_, ApiResult<Option<i64>>> {
        Box::pin(async move {
            let reply = self
                .0
                .call("Membership", Idempotent::Yes, |channel, timeout| async move {
                    let message = chats::MembershipRequest { chat_id, user_id };
                    ChatMembershipClient::new(channel)
                        .membership(request(message, timeout))
                        .await
                })
                .await?;
            Ok(reply.member_count)
        })
    }
}

struct RemoteAuth(Peer);

impl TokenAuthority for RemoteAuth {
    fn public_keys(&self) -> BoxFuture<'_, ApiResult<Vec<(String, [u8; 32])>>> {
        Box::pin(async move {
            let reply = self
                .0
                .call("PublicKeys", Idempotent::Yes, |channel, timeout| async move {
                    TokenAuthorityClient::new(channel)
                        .public_keys(request(auth::PublicKeysRequest {}, timeout))
                        .await
                })
                .await?;
            reply
                .keys
                .into_iter()
                .map(|key| {
                    let raw: [u8; 32] = key.ed25519.as_slice().try_into().map_err(|_| {
                        ApiError::internal(format!(
                            "the auth service sent a {}-byte Ed25519 key",
                            key.ed25519.len()
                        ))
                    })?;
                    Ok((key.kid, raw))
                })
                .collect()
        })
    }

    fn revoked_since(&self, since_ms: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let reply = self
                .0
                .call("RevokedSince", Idempotent::Yes, |channel, timeout| async move {
                    TokenAuthorityClient::new(channel)
                        .revoked_since(request(auth::RevokedSinceRequest { since_ms }, timeout))
                        .await
                })
                .await?;
            Ok(reply.ids)
        })
    }
}
