//! The {{name}} service's logic: rules and limits; SQL stays in `store.rs`.

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::bus::{Bus, Bytes, Envelope};
use hybrid_core::{ApiError, ApiResult, Page, now_ms, page_limit, parse_cursor};
use hybrid_store::Db;

use crate::api::{{{Name}}Api, {{Name}}Code, Item};
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
        self.bus.publish(Envelope::ephemeral(topic, Bytes::from(hybrid_core::frame_text(&frame))));
        Ok(item)
    }

    /// A page of `user_id`'s items, newest first.
    pub async fn page(&self, user_id: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<Page<Item>> {
        let limit = page_limit(limit, 50, 100)?;
        let before = parse_cursor::<1>(cursor)?.map_or(i64::MAX, |[id]| id);
        let rows = self.store.page(user_id, before, limit + 1).await?;
        Ok(Page::from_rows(rows, limit, |item| item.id.to_string()))
    }
}

impl {{Name}}Api for {{Name}} {
    fn count_items(&self, user_id: i64) -> BoxFuture<'_, ApiResult<i64>> {
        Box::pin(async move { self.store.count(user_id).await })
    }
}
