//! The realtime service's settings: `[realtime]` in the config file, `HYBRID_REALTIME__*`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RealtimeConfig {
    /// How often the server pings and expects the client to show life (milliseconds).
    pub heartbeat_ms: u64,
    /// Frames queued for one socket before it is closed as too slow (code 4008, resync).
    pub max_queued_frames: usize,
    /// Seconds a new socket has to send its `auth` frame.
    pub auth_timeout_secs: u64,
    /// Events a topic (one chat, one user) buffers for a node that is busy; a node further
    /// behind closes that topic's sockets to resync. Allocated per topic with listeners.
    pub topic_buffer: usize,
    /// Sockets one user may hold open on one node; one more is closed with 4029.
    pub max_sockets_per_user: usize,
    /// Sockets a node holds that have not sent their `auth` frame yet; one more is closed
    /// with 1013 (try again later).
    pub max_unauthenticated_sockets: usize,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        RealtimeConfig {
            heartbeat_ms: 25_000,
            max_queued_frames: 512,
            auth_timeout_secs: 10,
            topic_buffer: 1024,
            max_sockets_per_user: 32,
            max_unauthenticated_sockets: 512,
        }
    }
}
