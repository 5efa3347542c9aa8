//! The frames the notify service sends to its users' sockets (through realtime's user topic),
//! so every device keeps the list and the badge in step. The API reference lists them under
//! `ServerFrame`; clients ignore types they do not know.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Notification;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum NotifyFrame {
    /// A new entry, or one brought up to date (a later reaction, an edit).
    #[serde(rename = "notification.new")]
    New {
        notification: Notification,
        unread_count: i64,
    },
    /// Entries went: their message was deleted, or the user left the chat.
    #[serde(rename = "notification.removed")]
    Removed { ids: Vec<i64>, unread_count: i64 },
    /// Entries were marked read, on some device: those in `ids` (their chat was read that
    /// far), else those up to `up_to`, else all.
    #[serde(rename = "notification.read")]
    Read {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        up_to: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ids: Option<Vec<i64>>,
        unread_count: i64,
    },
}
