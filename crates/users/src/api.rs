//! The users service's HTTP contract: profiles, their updates, search. Its error codes and
//! internal API live in `hybrid-users-api`, which `auth` and `chats` call.

use hybrid_chats_api::avatar::Avatar;
use hybrid_users_api::AddPolicy;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A user's public profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    /// Epoch milliseconds, UTC.
    pub created_at: i64,
    /// Their picture; absent: none (draw the initial).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<Avatar>,
    /// A bot: it answers through the Bot API (`docs/bots.md`), not a person.
    #[serde(default)]
    pub is_bot: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileUpdate {
    /// Up to 64 characters; omit to keep.
    pub display_name: Option<String>,
    /// Up to 500 characters; omit to keep.
    pub bio: Option<String>,
    /// The new picture: the `attach_token` of an avatar file (`POST /files?purpose=avatar`)
    /// whose media is ready; `""` removes the picture; omit to keep.
    pub avatar: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Start of the username (folded like usernames are).
    pub prefix: String,
    /// 1 to 50, default 20.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// My privacy settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Privacy {
    /// Who may add me to groups and channels (others send me an invite link instead).
    pub add_to_groups: AddPolicy,
}
