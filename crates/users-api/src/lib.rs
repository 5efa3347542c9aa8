//! The users service's contract: [`UserDirectory`], the account directory `auth` and `chats`
//! ask synchronously. In one process the users module's implementation is called directly;
//! across processes [`GRPC`] serves it and builds the client that stands in for it.

mod grpc;

use futures::future::BoxFuture;
use hybrid_core::{ApiError, GrpcApi};

/// Generated messages, server and client of `proto/hybrid/users/v1/users.proto`.
pub mod proto {
    tonic::include_proto!("hybrid.users.v1");
}

/// How the directory is served and reached over gRPC.
pub const GRPC: GrpcApi = GrpcApi {
    services: &["hybrid.users.v1.UserDirectory"],
    serve: grpc::serve,
    connect: grpc::connect,
};

/// The service that provides [`UserDirectory`], as `--services` and `peers.*` name it; also
/// the producer of the users' event stream (`ctx.streams`).
pub const SERVICE: &str = "users";

/// The kind of a profile change in the users' event stream. Its payload is the frame clients
/// get, `{"type": "user.updated", "user": <profile>}`; the event's topic is the user's.
pub const PROFILE_UPDATED: &str = "profile.updated";

hybrid_core::error_codes! {
    /// Errors of the users service, which `auth` also meets when it creates accounts.
    pub enum UsersCode {
        /// The username belongs to someone else.
        UsernameTaken = (CONFLICT, "username_taken"),
    }
}

/// A user as other modules see one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    pub id: i64,
    pub username: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// A bot account (made by the bots service), not a person.
    pub is_bot: bool,
}

/// How a user is shown next to their content: name and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCard {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_bot: bool,
}

/// Who may add a user to groups and channels (their privacy setting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddPolicy {
    #[default]
    Everyone,
    /// People who share a chat with them (a direct chat counts).
    SharedChats,
    /// Nobody: they join by invite link themselves.
    Nobody,
}

impl AddPolicy {
    /// The number stored and sent for it.
    pub fn code(self) -> i64 {
        match self {
            AddPolicy::Everyone => 0,
            AddPolicy::SharedChats => 1,
            AddPolicy::Nobody => 2,
        }
    }

    /// The policy a stored number means (an unknown one is the strictest).
    pub fn from_code(code: i64) -> AddPolicy {
        match code {
            0 => AddPolicy::Everyone,
            1 => AddPolicy::SharedChats,
            _ => AddPolicy::Nobody,
        }
    }
}

/// Provided by `users`: the directory of accounts. Used by `auth` to create accounts and to
/// find them by name at login, and by `chats` for member cards and blocks.
pub trait UserDirectory: Send + Sync {
    /// Creates a user with an already folded (`text::fold`) username.
    /// A taken name is `409 username_taken`.
    fn create(&self, username: String) -> BoxFuture<'_, Result<UserRef, ApiError>>;
    /// Creates a bot account (for the bots service) with an already folded username and a
    /// display name. A taken name is `409 username_taken`.
    fn create_bot(&self, username: String, display_name: String) -> BoxFuture<'_, Result<UserRef, ApiError>>;
    /// Sets a bot's display name (its owner renamed it), telling those who see it.
    fn rename_bot(&self, id: i64, display_name: String) -> BoxFuture<'_, Result<(), ApiError>>;
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
    /// Those of `ids` who limit who may add them to groups, with their policy (users who let
    /// everyone are left out), in one query.
    fn add_policies<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, Result<Vec<(i64, AddPolicy)>, ApiError>>;
}
