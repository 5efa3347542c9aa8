//! [`EventFrame`]: the parts of a frame in chats' event stream that consumers in other
//! services (files, notify, bots) read.

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A chats event's frame, `{"type": "event", "chat_id", "pts", "kind", "data": {…}}`, with its
/// `data` read as `D`; a user event (`"type": "user_event"`) has no `chat_id`.
#[derive(Debug, Clone, Deserialize)]
pub struct EventFrame<D> {
    pub chat_id: Option<i64>,
    pub data: D,
}

impl<D: DeserializeOwned> EventFrame<D> {
    /// The frame in `payload`, or `None` when its data is not a `D` (a consumer skips what it
    /// does not read).
    pub fn parse(payload: &str) -> Option<EventFrame<D>> {
        serde_json::from_str(payload).ok()
    }
}
