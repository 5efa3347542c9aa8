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

use crate::error::{from_status, raised_by_provider, unreachable};
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
        // a peer that vanished without a reset (host down, partition) is noticed within
        // seconds, instead of each call waiting out its whole deadline on a dead connection
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .keep_alive_while_idle(true)
        .connect_lazy();
    match service {
        "users" => apis.provide::<dyn UserDirectory>(Arc::new(RemoteUsers(Peer::new("users", channel, options)))),
        "chats" => apis.provide::<dyn ChatMembership>(Arc::new(RemoteChats(Peer::new("chats", channel, options)))),
        "auth" => apis.provide::<dyn TokenAuthority>(Arc::new(RemoteAuth(Peer::new("auth", channel, options)))),
        other => anyhow::bail!("the {other} service offers no internal API to call"),
    }
    Ok(())
}

/// HTTP/2 pings on every peer connection, and how long one may go unanswered.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(5);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(3);

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

    /// Sends `message` with `send` (one generated client method) under the deadline, again
    /// for an idempotent call while the peer is unavailable and time remains.
    async fn call<M, T, F, Fut>(
        &self,
        method: &'static str,
        idempotent: Idempotent,
        message: M,
        send: F,
    ) -> ApiResult<T>
    where
        M: Clone,
        F: Fn(Channel, Request<M>) -> Fut,
        Fut: Future<Output = Result<Response<T>, Status>>,
    {
        let call = |channel, timeout| send(channel, request(message.clone(), timeout));
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
                Some(pause) if idempotent == Idempotent::Yes && unreachable(&status) => *pause,
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

impl UserDirectory for RemoteUsers {
    fn create(&self, username: String) -> BoxFuture<'_, ApiResult<UserRef>> {
        Box::pin(async move {
            let message = users::CreateUserRequest { username };
            let user = (self.0)
                .call("Create", Idempotent::No, message, |channel, request| async move {
                    UserDirectoryClient::new(channel).create(request).await
                })
                .await?;
            Ok(user.into())
        })
    }

    fn find_by_username<'a>(&'a self, username: &'a str) -> BoxFuture<'a, ApiResult<Option<UserRef>>> {
        Box::pin(async move {
            let message = users::FindByUsernameRequest {
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
                    users::UserId { id },
                    |channel, request| async move { UserDirectoryClient::new(channel).get(request).await },
                )
                .await?;
            Ok(reply.user.map(UserRef::from))
        })
    }

    fn cards<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<UserCard>>> {
        Box::pin(async move {
            let message = users::UserIds { ids: ids.to_vec() };
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
                    users::UserId { id },
                    |channel, request| async move { UserDirectoryClient::new(channel).delete(request).await },
                )
                .await?;
            Ok(())
        })
    }

    fn is_blocked(&self, blocker: i64, target: i64) -> BoxFuture<'_, ApiResult<bool>> {
        Box::pin(async move {
            let message = users::IsBlockedRequest { blocker, target };
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
            let message = users::BlocksBetweenRequest {
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
}

struct RemoteChats(Peer);

impl ChatMembership for RemoteChats {
    fn chats_of(&self, user_id: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let reply = (self.0)
                .call(
                    "ChatsOf",
                    Idempotent::Yes,
                    chats::UserId { id: user_id },
                    |channel, request| async move { ChatMembershipClient::new(channel).chats_of(request).await },
                )
                .await?;
            Ok(reply.ids)
        })
    }

    fn direct_peers(&self, user_id: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let message = chats::UserId { id: user_id };
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
            let message = chats::MembershipRequest { chat_id, user_id };
            let reply = (self.0)
                .call("Membership", Idempotent::Yes, message, |channel, request| async move {
                    ChatMembershipClient::new(channel).membership(request).await
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
            let reply = (self.0)
                .call(
                    "PublicKeys",
                    Idempotent::Yes,
                    auth::PublicKeysRequest {},
                    |channel, request| async move { TokenAuthorityClient::new(channel).public_keys(request).await },
                )
                .await?;
            reply.keys.into_iter().map(TryInto::try_into).collect()
        })
    }

    fn revoked_since(&self, since_ms: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move {
            let message = auth::RevokedSinceRequest { since_ms };
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
}
