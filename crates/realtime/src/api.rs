//! The realtime service's HTTP contract besides the WebSocket (whose frames are in
//! `events.rs`): who of one's direct-chat peers is online.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct PresenceParams {
    /// Comma-separated user ids, at most 200.
    pub user_ids: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Presence {
    pub user_id: i64,
    pub online: bool,
}
