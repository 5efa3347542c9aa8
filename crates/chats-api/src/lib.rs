//! The chats service's contract: [`ChatMembership`], who listens to what, asked by realtime
//! nodes when a socket connects or a membership changes. In one process the chats module's
//! implementation is called directly; across processes [`GRPC`] serves it and builds the
//! client that stands in for it.

mod grpc;

use futures::future::BoxFuture;
use hybrid_core::{ApiError, GrpcApi};

/// Generated messages, server and client of `proto/hybrid/chats/v1/chats.proto`.
pub mod proto {
    tonic::include_proto!("hybrid.chats.v1");
}

/// How membership is served and reached over gRPC.
pub const GRPC: GrpcApi = GrpcApi {
    service: "hybrid.chats.v1.ChatMembership",
    serve: grpc::serve,
    connect: grpc::connect,
};

/// The service that provides [`ChatMembership`], as `--services` and `peers.*` name it.
pub const SERVICE: &str = "chats";

/// Provided by `chats`: who listens to what, for the realtime service.
pub trait ChatMembership: Send + Sync {
    /// Ids of the chats `user_id` is a member of.
    fn chats_of(&self, user_id: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>>;
    /// Users who share a direct chat with `user_id` and no block either way (they see each
    /// other's presence).
    fn direct_peers(&self, user_id: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>>;
    /// Whether `user_id` is a member of `chat_id`, and the chat's member count.
    fn membership(&self, chat_id: i64, user_id: i64) -> BoxFuture<'_, Result<Option<i64>, ApiError>>;
}
