//! The chats service's settings: `[chats]` in the config file, `HYBRID_CHATS__*`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatsConfig {
    /// Longest message text, in UTF-16 code units (as Telegram counts).
    pub max_text_length: i64,
    /// Most members a group or channel may have.
    pub max_members: i64,
    /// Typing notifications are sent only in chats up to this many members.
    pub typing_max_members: i64,
    /// Days the event log keeps events for `sync`; older gaps answer `too_long`.
    pub event_retention_days: u64,
    /// Most events `sync` returns for one chat before answering `too_long`.
    pub sync_max_events: i64,
    /// Run the outbox relay in this process (publishes logged events to the bus). Any number
    /// of processes may run it; they take turns. Off only for special setups and tests.
    pub relay_events: bool,
    /// Messages one user may send per minute (across all processes); 0 for no limit.
    pub send_rate_per_minute: u32,
    /// Groups and channels one user may be in (direct chats do not count).
    pub max_chats_per_user: i64,
    /// Groups and channels one user may create per day (across all processes); 0 for no limit.
    pub max_chats_created_per_day: u32,
    /// Searches one user may run per minute (across all processes); 0 for no limit.
    pub search_rate_per_minute: u32,
    /// Most working (not revoked or expired) invite links one chat may have.
    pub max_invite_links_per_chat: i64,
    /// Most requests to join one chat that may wait for a decision at once.
    pub max_join_requests_per_chat: i64,
}

impl Default for ChatsConfig {
    fn default() -> Self {
        ChatsConfig {
            max_text_length: 4096,
            max_members: 200_000,
            typing_max_members: 100,
            event_retention_days: 7,
            sync_max_events: 200,
            relay_events: true,
            send_rate_per_minute: 1200,
            max_invite_links_per_chat: 1000,
            max_join_requests_per_chat: 10_000,
            search_rate_per_minute: 60,
            max_chats_per_user: 1000,
            max_chats_created_per_day: 50,
        }
    }
}
