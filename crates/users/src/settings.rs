//! The users service's settings: `[users]` in the config file, `HYBRID_USERS__*`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct UsersConfig {
    /// Profile changes (name, bio, picture) one user may make per minute, across processes:
    /// each is sent to everyone who shares a chat with them. 0 for no limit.
    pub profile_changes_per_minute: u32,
}

impl Default for UsersConfig {
    fn default() -> Self {
        UsersConfig {
            profile_changes_per_minute: 20,
        }
    }
}
