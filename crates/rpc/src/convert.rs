//! Between the `hybrid_core::api` types and their gRPC messages, both ways, in one place.

use hybrid_core::ApiError;
use hybrid_core::api::{UserCard, UserRef};

use crate::proto::{auth, users};

impl From<UserRef> for users::User {
    fn from(user: UserRef) -> Self {
        users::User {
            id: user.id,
            username: user.username,
            created_at_ms: user.created_at,
        }
    }
}

impl From<users::User> for UserRef {
    fn from(user: users::User) -> Self {
        UserRef {
            id: user.id,
            username: user.username,
            created_at: user.created_at_ms,
        }
    }
}

impl From<UserCard> for users::UserCard {
    fn from(card: UserCard) -> Self {
        users::UserCard {
            id: card.id,
            username: card.username,
            display_name: card.display_name,
        }
    }
}

impl From<users::UserCard> for UserCard {
    fn from(card: users::UserCard) -> Self {
        UserCard {
            id: card.id,
            username: card.username,
            display_name: card.display_name,
        }
    }
}

impl From<(String, [u8; 32])> for auth::PublicKey {
    fn from((kid, raw): (String, [u8; 32])) -> Self {
        auth::PublicKey {
            kid,
            ed25519: raw.to_vec(),
        }
    }
}

impl TryFrom<auth::PublicKey> for (String, [u8; 32]) {
    type Error = ApiError;

    fn try_from(key: auth::PublicKey) -> Result<Self, ApiError> {
        let raw: [u8; 32] = key.ed25519.as_slice().try_into().map_err(|_| {
            ApiError::internal(format!(
                "the auth service sent a {}-byte Ed25519 key",
                key.ed25519.len()
            ))
        })?;
        Ok((key.kid, raw))
    }
}
