//! Catch-up beyond chats: what a service keeps for a user that must survive a disconnect (its
//! notices, its list of things) comes back in the same `POST /api/v1/sync` as the chats'
//! events, so a reconnecting client still makes one call. Each such service provides a
//! [`SyncSource`] under its name ([`SyncSources::provide`] at start; the registry adds the
//! sources of services in other processes, reached over gRPC); the client sends back, per
//! service, the cursor the last answer gave it. Live, the same entries reach the user's sockets
//! as the service's own ephemeral frames.

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::ApiResult;
use crate::named::ByName;

/// A service's entries for one user.
pub trait SyncSource: Send + Sync {
    /// The user's entries after `cursor` (empty: from the start), oldest first, and the cursor
    /// to come back with.
    fn sync(&self, user_id: i64, cursor: &str) -> BoxFuture<'_, ApiResult<SyncPart>>;
}

/// One service's part of a sync answer.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SyncPart {
    /// Send it back next time, as `services.<name>`.
    pub cursor: String,
    /// Missed entries, oldest first; their shape is the service's (its docs page).
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<Box<RawValue>>,
    /// More was missed than returned, or it is no longer kept: reload the service's list.
    pub too_long: bool,
    /// The service could not answer now: keep the cursor and sync again later.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unavailable: bool,
}

impl SyncPart {
    /// An entry from JSON text (a service's stored frame).
    pub fn entry(json: String) -> ApiResult<Box<RawValue>> {
        RawValue::from_string(json).map_err(crate::ApiError::internal)
    }
}

/// The sync sources this process can ask, by service name.
pub type SyncSources = ByName<dyn SyncSource>;

impl SyncSources {
    /// Every source's part for `user_id`, each from the cursor in `cursors` (the start where
    /// none is given), asked all at once. A source that cannot answer now is marked
    /// unavailable rather than failing the whole answer; one that refuses its cursor (a 4xx)
    /// fails it, since asking again would not help.
    pub async fn collect(
        &self,
        user_id: i64,
        cursors: &BTreeMap<String, String>,
    ) -> ApiResult<BTreeMap<String, SyncPart>> {
        let asks = self.all().into_iter().map(|(name, source)| async move {
            let cursor = cursors.get(name).map(String::as_str).unwrap_or_default();
            let part = match source.sync(user_id, cursor).await {
                Ok(part) => part,
                Err(err) if err.status.is_client_error() => return Err(err),
                Err(err) => {
                    tracing::warn!(service = name, error = %err.message, "a sync source did not answer");
                    SyncPart {
                        cursor: cursor.to_owned(),
                        unavailable: true,
                        ..SyncPart::default()
                    }
                }
            };
            Ok((name.to_owned(), part))
        });
        futures::future::join_all(asks).await.into_iter().collect()
    }
}
