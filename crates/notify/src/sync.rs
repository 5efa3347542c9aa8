//! Notify's part of `POST /api/v1/sync`: a client that comes back after a disconnect learns
//! whether its list changed meanwhile (the live frames it missed are not replayed) and what the
//! badge says now. The cursor is how many times the user's list changed; while it is the same
//! nothing is sent, otherwise one entry, `{"type": "notification.state", "unread_count"}`:
//! reload the list if you show it.

use futures::future::BoxFuture;
use hybrid_core::sync::{SyncPart, SyncSource};
use hybrid_core::{ApiError, ApiResult};
use serde::Serialize;

use crate::service::Notify;
use crate::store;

/// The one entry of a sync answer whose list changed.
#[derive(Serialize)]
struct ListState {
    #[serde(rename = "type")]
    kind: &'static str,
    unread_count: i64,
}

impl SyncSource for Notify {
    fn sync(&self, user_id: i64, cursor: &str) -> BoxFuture<'_, ApiResult<SyncPart>> {
        let seen: Result<Option<i64>, _> = match cursor {
            "" => Ok(None),
            cursor => cursor.parse().map(Some),
        };
        Box::pin(async move {
            let seen = seen.map_err(|_| ApiError::validation("services.notify", "not a cursor from this API"))?;
            let mut reads = self.db.reads();
            let version = store::version(&mut reads, user_id).await?;
            let mut part = SyncPart {
                cursor: version.to_string(),
                ..SyncPart::default()
            };
            if seen != Some(version) {
                let state = ListState {
                    kind: "notification.state",
                    unread_count: store::unread(&mut reads, user_id).await?,
                };
                part.entries
                    .push(SyncPart::entry(serde_json::to_string(&state).expect("serialises"))?);
            }
            Ok(part)
        })
    }
}
