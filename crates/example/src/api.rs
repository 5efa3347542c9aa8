//! The example's contract: what its HTTP API takes and returns, and its internal API
//! ([`Tally`]), served over gRPC by `grpc.rs`.

use futures::future::BoxFuture;
use hybrid_core::ApiResult;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The example's internal API: how many chats events it has consumed.
pub trait Tally: Send + Sync {
    fn seen(&self) -> BoxFuture<'_, ApiResult<i64>>;
}

/// A chats event the consumer recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Seen {
    pub position: i64,
    pub namespace: String,
    pub topic_id: i64,
    pub pts: i64,
    pub kind: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PanicRequest {
    pub times: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NoticeRequest {
    pub text: String,
    /// Deliver it this much later, as a background job (at most an hour).
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

/// A notice waiting for its time: the payload of an `example.notice` job.
#[derive(Debug, Serialize, Deserialize)]
pub struct LaterNotice {
    pub user_id: i64,
    pub text: String,
}

/// A webhook: each of the caller's notices is POSTed to `url`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HookRequest {
    /// `http://` or `https://`; private addresses only where `outbound.allow_private` is on.
    pub url: String,
    /// Signs each delivery (`x-hybrid-signature`); 16 to 256 characters.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Hook {
    pub id: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CardRequest {
    pub chat_id: i64,
    /// The card's object id, and the post's idempotency key.
    pub key: String,
    pub title: String,
    /// 1 for a new card.
    #[serde(default = "first_version")]
    pub version: i64,
}

fn first_version() -> i64 {
    1
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Posted {
    pub chat_id: i64,
    pub seq: i64,
    pub created: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Visibility {
    pub visible: bool,
}
