//! All of the files service's SQL, the same text on SQLite and PostgreSQL.

use hybrid_core::ApiResult;
use hybrid_store::{Db, Sql, StoreError, params};

use crate::api::FileInfo;

hybrid_store::from_row!(FileInfo {
    id,
    name,
    content_type,
    size,
    sha256,
    created_at
});

const COLUMNS: &str = "id, name, content_type, size, sha256, created_at";

/// A file as the service needs it: what the API shows, and where its bytes are.
pub struct Stored {
    pub info: FileInfo,
    pub owner_id: i64,
    pub key: String,
}

/// A file to record once its bytes are stored.
pub struct NewFile {
    pub owner_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub key: String,
    pub created_at: i64,
}

pub struct Store {
    db: Db,
}

impl Store {
    pub fn new(db: Db) -> Self {
        Store { db }
    }

    /// Records `file` unless it takes its owner past `quota` bytes (`None` then): the check
    /// and the insert are one write, so uploads finishing together cannot both slip past it.
    pub async fn insert(&self, file: NewFile, quota: i64) -> ApiResult<Option<FileInfo>> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    if used_in(tx, file.owner_id).await? + file.size > quota {
                        return Ok(None);
                    }
                    let info: FileInfo = tx
                        .fetch_one(
                            &format!(
                                "INSERT INTO files (owner_id, name, content_type, size, sha256, key, created_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
                            ),
                            params![
                                file.owner_id,
                                &file.name,
                                &file.content_type,
                                file.size,
                                &file.sha256,
                                &file.key,
                                file.created_at
                            ],
                        )
                        .await?;
                    Ok(Some(info))
                })
            })
            .await
    }

    pub async fn get(&self, id: i64) -> ApiResult<Option<Stored>> {
        let row: Option<(i64, String, String, i64, String, i64, i64, String)> = self
            .db
            .reads()
            .fetch_optional(
                &format!("SELECT {COLUMNS}, owner_id, key FROM files WHERE id = $1"),
                params![id],
            )
            .await?;
        Ok(row.map(
            |(id, name, content_type, size, sha256, created_at, owner_id, key)| Stored {
                info: FileInfo {
                    id,
                    name,
                    content_type,
                    size,
                    sha256,
                    created_at,
                },
                owner_id,
                key,
            },
        ))
    }

    /// Up to `limit` of `owner_id`'s files with ids below `before`, newest first.
    pub async fn page(&self, owner_id: i64, before: i64, limit: i64) -> ApiResult<Vec<FileInfo>> {
        Ok(self
            .db
            .reads()
            .fetch_all(
                &format!("SELECT {COLUMNS} FROM files WHERE owner_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"),
                params![owner_id, before, limit],
            )
            .await?)
    }

    /// Deletes the record of file `id`; returns its key, so the bytes can go too.
    pub async fn delete(&self, id: i64) -> ApiResult<Option<String>> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let key: Option<(String,)> = tx
                        .fetch_optional("DELETE FROM files WHERE id = $1 RETURNING key", params![id])
                        .await?;
                    Ok(key.map(|(key,)| key))
                })
            })
            .await
    }

    pub async fn used(&self, owner_id: i64) -> ApiResult<i64> {
        Ok(used_in(&mut self.db.reads(), owner_id).await?)
    }
}

/// The bytes `owner_id` keeps.
async fn used_in(sql: &mut Sql<'_>, owner_id: i64) -> Result<i64, StoreError> {
    let (used,): (i64,) = sql
        .fetch_one(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE owner_id = $1",
            params![owner_id],
        )
        .await?;
    Ok(used)
}
