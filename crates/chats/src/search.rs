//! Full-text search over the messages a user can read. Text is normalised in Rust
//! (`body::normalize_for_search`) for both indexing and queries; the index (`store::search`) is
//! SQLite FTS5 or a PostgreSQL `tsvector` GIN index, updated in the same transaction as the
//! send, edit or delete.

use hybrid_core::ApiResult;

use crate::api::Message;
use crate::body::query_terms;
use crate::messages::search_body;
use crate::service::Chats;
use crate::store;

/// Indexes every message that is not deleted, from scratch (after `hybrid migrate-data`).
pub async fn rebuild(db: &hybrid_store::Db) -> ApiResult<u64> {
    const PAGE: i64 = 500;
    db.write(|tx| Box::pin(store::search::clear(tx))).await?;
    let (mut chat, mut seq, mut indexed) = (i64::MIN, i64::MIN, 0u64);
    loop {
        let page = store::search::messages_after(&mut db.scan(), chat, seq, PAGE).await?;
        let Some(&(last_chat, last_seq, _, _)) = page.last() else {
            break;
        };
        (chat, seq) = (last_chat, last_seq);
        let full = page.len() as i64 == PAGE;
        indexed += page.len() as u64;
        db.write(move |tx| {
            Box::pin(async move {
                for (chat_id, seq, text, attachment) in &page {
                    store::search::index(tx, *chat_id, *seq, &search_body(text, attachment.as_deref())).await?;
                }
                Ok::<_, hybrid_core::ApiError>(())
            })
        })
        .await?;
        if !full {
            break;
        }
    }
    Ok(indexed)
}

impl Chats {
    /// Per-user budget of searches per minute (`chats.search_rate_per_minute`, shared by every
    /// process): each costs index reads a flood could pile up.
    async fn check_search_rate(&self, me: i64) -> ApiResult<()> {
        self.check_rate(&format!("search:{me}"), self.config.search_rate_per_minute, "searching")
            .await
    }

    /// Messages matching every word of `query` (the last word as a prefix), newest first,
    /// among chats `me` belongs to (or one of them), respecting history visibility.
    pub async fn search(
        &self,
        me: i64,
        query: &str,
        chat_id: Option<i64>,
        before: Option<(i64, i64, i64)>,
        limit: i64,
    ) -> ApiResult<Vec<Message>> {
        let terms = query_terms(query);
        if terms.is_empty() {
            return Err(hybrid_core::ApiError::validation("q", "needs at least one word"));
        }
        self.check_search_rate(me).await?;
        // The caller's chats bound the work: none, nothing to search.
        let chats = store::search::chats_searched(&mut self.db.reads(), me, chat_id).await?;
        if chats == 0 {
            return Ok(Vec::new());
        }
        // A search across many chats can take long: off the runtime thread.
        let rows = store::search::matching(&mut self.db.scan(), me, &terms, chats, chat_id, before, limit).await?;
        Ok(rows.into_iter().map(Message::from).collect())
    }
}
