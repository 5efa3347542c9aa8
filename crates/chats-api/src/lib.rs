//! The chats service's contract: [`ChatMembership`], who listens to what, asked by realtime
//! nodes when a socket connects or a membership changes. In one process the chats module's
//! implementation is called directly; across processes [`GRPC`] serves it and builds the
//! client that stands in for it.

pub mod actions;
pub mod attach;
pub mod avatar;
pub mod body;
mod frame;
mod grpc;

pub use actions::{Action, ChatActions, ChatMessage, ChatView, InviteTerms, InviteView, MemberView, Outcome};
pub use frame::EventFrame;

use futures::future::BoxFuture;
use hybrid_core::{ApiError, GrpcApi};

/// Generated messages, server and client of `proto/hybrid/chats/v1/chats.proto`.
pub mod proto {
    tonic::include_proto!("hybrid.chats.v1");
}

/// How membership and the chats API for other services are served and reached over gRPC.
pub const GRPC: GrpcApi = GrpcApi {
    services: &[
        "hybrid.chats.v1.ChatMembership",
        "hybrid.chats.v1.ChatWriter",
        "hybrid.chats.v1.ChatActor",
    ],
    serve: grpc::serve,
    connect: grpc::connect,
};

/// The service that provides [`ChatMembership`], as `--services` and `peers.*` name it.
pub const SERVICE: &str = "chats";

/// Provided by `chats`: who listens to what, for the realtime service.
pub trait ChatMembership: Send + Sync {
    /// Ids of the chats `user_id` is a member of.
    fn chats_of(&self, user_id: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>>;
    /// Users who share a direct chat with `user_id` in which both have written, and no block
    /// either way (they see each other's presence).
    fn direct_peers(&self, user_id: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>>;
    /// Whether `user_id` is a member of `chat_id`, and the chat's member count.
    fn membership(&self, chat_id: i64, user_id: i64) -> BoxFuture<'_, Result<Option<i64>, ApiError>>;
    /// Whom message (`chat_id`, `seq`) concerns, for notifications; `None` when it is deleted
    /// or does not exist.
    fn message_context(&self, chat_id: i64, seq: i64) -> BoxFuture<'_, Result<Option<MessageContext>, ApiError>>;
}

/// Whom a message concerns (the gRPC message itself: see `chats.proto`).
pub use proto::MessageContext;

/// Provided by `chats`: what other services do in chats, each on behalf of a user (or bot).
/// Objects that live in a chat (a file, a task card, a poll …) are messages carrying an
/// [`Attachment`] their owning service creates and updates; `docs/architecture.md` has the rules.
pub trait ChatWriter: Send + Sync {
    /// Posts a message as `post.sender_id`, with the sender's rights (a member who may post
    /// there). Idempotent: a second post with the same key by the same sender in the same chat
    /// returns the first message (`created: false`).
    fn post(&self, post: Post) -> BoxFuture<'_, Result<Posted, ApiError>>;
    /// Replaces the attachment of message (`chat_id`, `seq`) with a newer version of the same
    /// object, by its owning service. An update with a version not above the stored one
    /// changes nothing (`409 stale_attachment`). Members see at most one update per second per
    /// message; the last one always arrives.
    fn update_attachment(&self, update: AttachmentUpdate) -> BoxFuture<'_, Result<(), ApiError>>;
    /// Whether `user_id` may see message (`chat_id`, `seq`) now: a member, joined early enough
    /// in a chat that shows new members no history (`since_join`), and the message not
    /// deleted; with `carrying`, also that the message's attachment is that object (how a
    /// service lets the readers of a message read the object it carries).
    fn may_see(
        &self,
        user_id: i64,
        chat_id: i64,
        seq: i64,
        carrying: Option<ObjectRef>,
    ) -> BoxFuture<'_, Result<bool, ApiError>>;
}

/// A message another service posts.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub chat_id: i64,
    /// Whom the message is from; needs the right to post in the chat.
    pub sender_id: i64,
    pub text: String,
    /// The caller's key for this post (1 to 64 bytes): retries do not post twice.
    pub idempotency_key: String,
    pub attachment: Option<Attachment>,
}

/// A posted message: its place in the chat, and whether this call made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    pub chat_id: i64,
    pub seq: i64,
    pub created: bool,
}

/// The card of an object that lives in a chat, kept by its owning service (the gRPC message
/// itself: its fields are documented in `proto/hybrid/chats/v1/chats.proto`).
pub use proto::Attachment;

/// An object of a service, as an attachment names it (`service`, `object_id`).
pub use proto::ObjectRef;

/// A newer version of a message's attachment.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentUpdate {
    pub chat_id: i64,
    pub seq: i64,
    pub attachment: Attachment,
}
