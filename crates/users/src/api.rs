//! The users service's HTTP contract: profiles, their updates, search. Its error codes and
//! internal API live in `hybrid-users-api`, which `auth` and `chats` call.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A user's public profile.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    /// Epoch milliseconds, UTC.
    pub created_at: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileUpdate {
    /// Up to 64 characters; omit to keep.
    pub display_name: Option<String>,
    /// Up to 500 characters; omit to keep.
    pub bio: Option<String>,
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
