//! All of the {{name}} service's SQL, the same text on SQLite and PostgreSQL.

use hybrid_core::ApiResult;
use hybrid_store::{Db, Sql, params};

use crate::api::Item;

hybrid_store::from_row!(Item { id, text, created_at });

pub struct Store {
    db: Db,
}

impl Store {
    pub fn new(db: Db) -> Self {
        Store { db }
    }

    /// Inserts an item unless `user_id` keeps `max` already (`None` then).
    pub async fn insert(&self, user_id: i64, text: String, now: i64, max: i64) -> ApiResult<Option<Item>> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    if count_in(tx, user_id).await? >= max {
                        return Ok(None);
                    }
                    let item: Item = tx
                        .fetch_one(
                            "INSERT INTO items (user_id, text, created_at) VALUES ($1, $2, $3) \
                             RETURNING id, text, created_at",
                            params![user_id, text, now],
                        )
                        .await?;
                    Ok(Some(item))
                })
            })
            .await
    }

    /// Up to `limit` of `user_id`'s items with ids below `before`, newest first.
    pub async fn page(&self, user_id: i64, before: i64, limit: i64) -> ApiResult<Vec<Item>> {
        Ok(self
            .db
            .reads()
            .fetch_all(
                "SELECT id, text, created_at FROM items WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                params![user_id, before, limit],
            )
            .await?)
    }

    pub async fn count(&self, user_id: i64) -> ApiResult<i64> {
        Ok(count_in(&mut self.db.reads(), user_id).await?)
    }
}

async fn count_in(sql: &mut Sql<'_>, user_id: i64) -> Result<i64, hybrid_store::StoreError> {
    let (count,): (i64,) = sql
        .fetch_one("SELECT COUNT(*) FROM items WHERE user_id = $1", params![user_id])
        .await?;
    Ok(count)
}
