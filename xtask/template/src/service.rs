//! The {{name}} service's logic: rules and limits; SQL stays in `store.rs`.

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::bus::{Bus, Bytes, Envelope};
use hybrid_core::{ApiError, ApiResult, now_ms};
use hybrid_store::Db;

use crate::api::{{{Name}}Api, {{Name}}Code, Item, ItemPage};
use crate::events::{{Name}}Frame;
use crate::store::Store;

/// Most items one user keeps.
pub const MAX_ITEMS_PER_USER: i64 = 1000;
/// Longest item text, in characters.
const MAX_TEXT_CHARS: usize = 1000;

pub struct {{Name}} {
    store: Store,
    bus: Arc<dyn Bus>,
}

impl {{Name}} {
    pub fn new(db: Db, bus: Arc<dyn Bus>) -> Self {
        {{Name}} {
            store: Store::new(db),
            bus,
        }
    }

    /// Adds an item for `user_id` and tells their sockets.
    pub async fn add(&self, user_id: i64, text: &str) -> ApiResult<Item> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
            return Err(ApiError::validation("text", "must be 1 to 1000 characters"));
        }
        let item = self
            .store
            .insert(user_id, text.to_owned(), now_ms(), MAX_ITEMS_PER_USER)
            .await?
            .ok_or_else(|| ApiError::new({{Name}}Code::Full, "you keep 1000 items already, the most one may"))?;
        let frame = {{Name}}Frame::ItemAdded { item: item.clone() };
        let topic = hybrid_realtime_api::user(user_id);
        self.bus.publish(Envelope::ephemeral(topic, Bytes::from(frame.text())));
        Ok(item)
    }

    /// A page of `user_id`'s items, newest first.
    pub async fn page(&self, user_id: i64, before: Option<i64>, limit: Option<i64>) -> ApiResult<ItemPage> {
        let limit = limit.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            return Err(ApiError::validation("limit", "must be 1 to 100"));
        }
        let mut items = self
            .store
            .page(user_id, before.unwrap_or(i64::MAX), limit + 1)
            .await?;
        let more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        let next_before = items.last().filter(|_| more).map(|item| item.id);
        Ok(ItemPage { items, next_before })
    }
}

impl {{Name}}Api for {{Name}} {
    fn count_items(&self, user_id: i64) -> BoxFuture<'_, ApiResult<i64>> {
        Box::pin(async move { self.store.count(user_id).await })
    }
}
