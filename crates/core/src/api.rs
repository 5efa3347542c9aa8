//! Internal APIs: what one module asks another synchronously. Each is a trait; in one process
//! the providing module's implementation is called directly.

use futures::future::BoxFuture;

use crate::ApiError;

/// A user as other modules see one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    pub id: i64,
    pub username: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// How a user is shown next to their content: name and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCard {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

/// Provided by `users`: the directory of accounts. Used by `auth` to create accounts and to
/// find them by name at login.
pub trait UserDirectory: Send + Sync {
    /// Creates a user with an already folded (`text::fold`) username.
    /// A taken name is `409 username_taken`.
    fn create(&self, username: String) -> BoxFuture<'_, Result<UserRef, ApiError>>;
    fn find_by_username<'a>(&'a self, username: &'a str) -> BoxFuture<'a, Result<Option<UserRef>, ApiError>>;
    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<UserRef>, ApiError>>;
    /// Cards of the users that exist among `ids` (any order), in one query.
    fn cards<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, Result<Vec<UserCard>, ApiError>>;
    /// Removes a user whose registration could not be completed.
    fn delete(&self, id: i64) -> BoxFuture<'_, Result<(), ApiError>>;
    /// Whether `blocker` blocks `target`.
    fn is_blocked(&self, blocker: i64, target: i64) -> BoxFuture<'_, Result<bool, ApiError>>;
    /// Those of `others` that block `user` or that `user` blocks, in one query.
    fn blocks_between<'a>(&'a self, user: i64, others: &'a [i64]) -> BoxFuture<'a, Result<Vec<i64>, ApiError>>;
}

/// Provided by `chats`: who listens to what, for the realtime service.
pub trait ChatMembership: Send + Sync {
    /// Ids of the chats `user_id` is a member of.
    fn chats_of(&self, user_id: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>>;
    /// Users who share a direct chat with `user_id` and no block either way (they see each
    /// other's presence).
    fn direct_peers(&self, user_id: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>>;
    /// Whether `user_id` is a member of `chat_id`, and the chat's member count.
    fn membership(&self, chat_id: i64, user_id: i64) -> BoxFuture<'_, Result<Option<i64>, ApiError>>;
}

/// Provided by `auth`: what every process needs to verify access tokens itself.
pub trait TokenAuthority: Send + Sync {
    /// The keys of the JWKS: (key id, raw 32-byte Ed25519 public key).
    fn public_keys(&self) -> BoxFuture<'_, Result<Vec<(String, [u8; 32])>, ApiError>>;
    /// Sessions revoked at or after `since_ms` (Unix milliseconds).
    fn revoked_since(&self, since_ms: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>>;
}
