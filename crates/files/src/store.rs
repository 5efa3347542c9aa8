//! All of the files service's SQL, the same text on SQLite and PostgreSQL.

use hybrid_core::jobs::{self, NewJob};
use hybrid_core::{ApiResult, now_ms};
use hybrid_store::{Db, FromRow, Row, Sql, StoreError, params};

use crate::api::{FileInfo, Media, MediaState};
use crate::lifecycle::Carried;

/// The columns of [`FileInfo`], in its order (the attach token is not stored: it is signed
/// when its owner asks).
const COLUMNS: &str = "id, name, content_type, size, sha256, created_at, avatar, media";
/// The queue of the job that processes an uploaded picture (`media.rs`).
pub const MEDIA_QUEUE: &str = "files-media";

impl FromRow for FileInfo {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(FileInfo {
            id: row.get(0)?,
            name: row.get(1)?,
            content_type: row.get(2)?,
            size: row.get(3)?,
            sha256: row.get(4)?,
            created_at: row.get(5)?,
            avatar: row.get(6)?,
            media: row
                .get::<Option<String>>(7)?
                .and_then(|json| serde_json::from_str(&json).ok()),
            attach_token: None,
        })
    }
}

/// A file as the service needs it: what the API shows, and where its bytes are.
pub struct Stored {
    pub info: FileInfo,
    pub owner_id: i64,
    pub key: String,
    /// When a message first carried it.
    pub attached_at: Option<i64>,
}

impl FromRow for Stored {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(Stored {
            info: FileInfo::from_row(row)?,
            owner_id: row.get(8)?,
            key: row.get(9)?,
            attached_at: row.get(10)?,
        })
    }
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
    pub avatar: bool,
    /// `Some` (pending) for a picture: recording it also queues its processing.
    pub media: Option<Media>,
}

/// A stored product of processing: a thumbnail, or the original rewritten.
#[derive(Debug, Clone)]
pub struct Variant {
    pub name: String,
    pub key: String,
    pub content_type: String,
    pub size: i64,
}

/// The original's bytes replaced by processing (upright, without metadata).
#[derive(Debug, Clone)]
pub struct Rewritten {
    pub key: String,
    pub size: i64,
    pub sha256: String,
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
                    Ok(Some(insert_file(tx, &file).await?))
                })
            })
            .await
    }

    pub async fn get(&self, id: i64) -> ApiResult<Option<Stored>> {
        Ok(self
            .db
            .reads()
            .fetch_optional(
                &format!("SELECT {COLUMNS}, owner_id, key, attached_at FROM files WHERE id = $1"),
                params![id],
            )
            .await?)
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

    /// Deletes the record of file `id` (and which messages carried it); returns its key, so
    /// the bytes can go too (its variants' go with the cleanup job).
    pub async fn delete(&self, id: i64) -> ApiResult<Option<String>> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let key: Option<(String,)> = tx
                        .fetch_optional("DELETE FROM files WHERE id = $1 RETURNING key", params![id])
                        .await?;
                    if key.is_some() {
                        forget_rest(tx, id, now_ms()).await?;
                    }
                    Ok(key.map(|(key,)| key))
                })
            })
            .await
    }

    /// The messages carrying file `id`, as (chat_id, seq).
    pub async fn refs_of(&self, id: i64) -> ApiResult<Vec<(i64, i64)>> {
        Ok(self
            .db
            .reads()
            .fetch_all(
                "SELECT chat_id, seq FROM file_refs WHERE file_id = $1 ORDER BY chat_id, seq",
                params![id],
            )
            .await?)
    }

    /// Variant `name` of file `id`: its key, type and size.
    pub async fn variant(&self, id: i64, name: &str) -> ApiResult<Option<Variant>> {
        let row: Option<(String, String, i64)> = self
            .db
            .reads()
            .fetch_optional(
                "SELECT key, content_type, size FROM file_variants WHERE file_id = $1 AND name = $2",
                params![id, name],
            )
            .await?;
        Ok(row.map(|(key, content_type, size)| Variant {
            name: name.to_owned(),
            key,
            content_type,
            size,
        }))
    }

    /// Records what processing made of file `id`, if it still exists and waits for it: its
    /// media, variants and rewritten original (the old bytes left to the cleanup job). Whether
    /// it was recorded; when not, the caller removes what it stored.
    pub async fn finish_media(
        &self,
        id: i64,
        media: Media,
        variants: Vec<Variant>,
        rewritten: Option<Rewritten>,
    ) -> ApiResult<bool> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let now = now_ms();
                    let json = serde_json::to_string(&media).expect("media serialises");
                    let row: Option<(String, Option<String>)> = tx
                        .fetch_optional("SELECT key, media FROM files WHERE id = $1", params![id])
                        .await?;
                    let waiting = |media: &Option<String>| {
                        media
                            .as_deref()
                            .and_then(|json| serde_json::from_str::<Media>(json).ok())
                            .is_some_and(|media| media.state == MediaState::Pending)
                    };
                    let Some((old_key, _)) = row.filter(|(_, media)| waiting(media)) else {
                        return Ok(false);
                    };
                    tx.execute("UPDATE files SET media = $2 WHERE id = $1", params![id, &json])
                        .await?;
                    if let Some(new) = &rewritten {
                        tx.execute(
                            "UPDATE files SET key = $2, size = $3, sha256 = $4 WHERE id = $1",
                            params![id, &new.key, new.size, &new.sha256],
                        )
                        .await?;
                        doom(tx, &old_key, now).await?;
                    }
                    for variant in &variants {
                        tx.execute(
                            "INSERT INTO file_variants (file_id, name, key, content_type, size) VALUES ($1, $2, $3, $4, $5)",
                            params![id, &variant.name, &variant.key, &variant.content_type, variant.size],
                        )
                        .await?;
                    }
                    Ok(true)
                })
            })
            .await
    }

    /// Up to `limit` files never attached and not avatars, uploaded before `before`.
    pub async fn orphans(&self, before: i64, limit: i64) -> ApiResult<Vec<i64>> {
        let rows: Vec<(i64,)> = self
            .db
            .reads()
            .fetch_all(
                "SELECT id FROM files WHERE attached_at IS NULL AND avatar = 0 AND created_at < $1 \
                 ORDER BY created_at LIMIT $2",
                params![before, limit],
            )
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Deletes orphan `id` unless a message carried it meanwhile; returns its key.
    pub async fn delete_orphan(&self, id: i64) -> ApiResult<Option<String>> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let key: Option<(String,)> = tx
                        .fetch_optional(
                            "DELETE FROM files WHERE id = $1 AND attached_at IS NULL RETURNING key",
                            params![id],
                        )
                        .await?;
                    if key.is_some() {
                        forget_rest(tx, id, now_ms()).await?;
                    }
                    Ok(key.map(|(key,)| key))
                })
            })
            .await
    }

    /// Up to `limit` keys whose bytes are still to remove.
    pub async fn doomed_keys(&self, limit: i64) -> ApiResult<Vec<String>> {
        let rows: Vec<(String,)> = self
            .db
            .reads()
            .fetch_all("SELECT key FROM doomed_keys ORDER BY since LIMIT $1", params![limit])
            .await?;
        Ok(rows.into_iter().map(|(key,)| key).collect())
    }

    pub async fn forget_doomed(&self, key: &str) -> ApiResult<()> {
        let key = key.to_owned();
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute("DELETE FROM doomed_keys WHERE key = $1", params![&key])
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    pub async fn used(&self, owner_id: i64) -> ApiResult<i64> {
        Ok(used_in(&mut self.db.reads(), owner_id).await?)
    }
}

async fn insert_file(tx: &mut Sql<'_>, file: &NewFile) -> Result<FileInfo, StoreError> {
    let info: FileInfo = tx
        .fetch_one(
            &format!(
                "INSERT INTO files (owner_id, name, content_type, size, sha256, key, created_at, avatar, media) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
            ),
            params![
                file.owner_id,
                &file.name,
                &file.content_type,
                file.size,
                &file.sha256,
                &file.key,
                file.created_at,
                i64::from(file.avatar),
                file.media
                    .as_ref()
                    .map(|media| serde_json::to_string(media).expect("media serialises"))
            ],
        )
        .await?;
    if info.media.is_some() {
        let job = NewJob::new(MEDIA_QUEUE, &serde_json::json!({ "file_id": info.id }));
        jobs::enqueue(tx, &job, file.created_at).await?;
    }
    Ok(info)
}

/// The bytes `owner_id` keeps, and those their unfinished uploads reserve.
async fn used_in(sql: &mut Sql<'_>, owner_id: i64) -> Result<i64, StoreError> {
    let (used,): (i64,) = sql
        .fetch_one(
            "SELECT CAST(COALESCE((SELECT SUM(size) FROM files WHERE owner_id = $1), 0) \
                  + COALESCE((SELECT SUM(length) FROM uploads WHERE owner_id = $1 AND file_id IS NULL), 0) AS BIGINT)",
            params![owner_id],
        )
        .await?;
    Ok(used)
}

/// A resumable upload, as its table keeps it (the lease's token aside).
#[derive(Debug, Clone)]
pub struct UploadRow {
    pub id: String,
    pub owner_id: i64,
    pub name: String,
    pub length: i64,
    /// Bytes stored durably.
    pub received: i64,
    pub key: String,
    /// S3's upload id; `None` on local disk.
    pub multipart_id: Option<String>,
    pub lease_until: i64,
    /// Once complete.
    pub file_id: Option<i64>,
    pub expires_at: i64,
    pub created_at: i64,
}

hybrid_store::from_row!(UploadRow {
    id,
    owner_id,
    name,
    length,
    received,
    key,
    multipart_id,
    lease_until,
    file_id,
    expires_at,
    created_at
});

const UPLOAD_COLUMNS: &str =
    "id, owner_id, name, length, received, key, multipart_id, lease_until, file_id, expires_at, created_at";

/// What appending to an upload records: how many bytes are stored now, and the part put
/// to get there (none when only the tail changed).
pub struct Progress<'a> {
    pub received: i64,
    pub part: Option<(i64, &'a str)>,
    pub lease_until: i64,
    pub expires_at: i64,
}

impl Store {
    /// Records a new upload unless its length takes its owner past `quota` (`false` then).
    pub async fn create_upload(&self, upload: UploadRow, quota: i64) -> ApiResult<bool> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    if used_in(tx, upload.owner_id).await? + upload.length > quota {
                        return Ok(false);
                    }
                    tx.execute(
                        &format!("INSERT INTO uploads ({UPLOAD_COLUMNS}, lease) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '')"),
                        params![
                            &upload.id,
                            upload.owner_id,
                            &upload.name,
                            upload.length,
                            upload.received,
                            &upload.key,
                            &upload.multipart_id,
                            upload.lease_until,
                            &upload.file_id,
                            upload.expires_at,
                            upload.created_at
                        ],
                    )
                    .await?;
                    Ok(true)
                })
            })
            .await
    }

    pub async fn upload(&self, id: &str) -> ApiResult<Option<UploadRow>> {
        Ok(self
            .db
            .reads()
            .fetch_optional(
                &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = $1"),
                params![id],
            )
            .await?)
    }

    /// Takes the lease of upload `id` as `lease` until `until`, unless another holds it at
    /// `now`: whether it was taken.
    pub async fn claim(&self, id: &str, lease: &str, now: i64, until: i64) -> ApiResult<bool> {
        let (id, lease) = (id.to_owned(), lease.to_owned());
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let taken = tx
                        .execute(
                            "UPDATE uploads SET lease = $2, lease_until = $3 WHERE id = $1 AND lease_until <= $4",
                            params![&id, &lease, until, now],
                        )
                        .await?;
                    Ok(taken == 1)
                })
            })
            .await
    }

    /// Records `progress` while `lease` holds upload `id`: whether it still did.
    pub async fn advance(&self, id: &str, lease: &str, progress: Progress<'_>) -> ApiResult<bool> {
        let (id, lease) = (id.to_owned(), lease.to_owned());
        let part = progress.part.map(|(no, part_id)| (no, part_id.to_owned()));
        let (received, lease_until, expires_at) = (progress.received, progress.lease_until, progress.expires_at);
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let held = tx
                        .execute(
                            "UPDATE uploads SET received = $3, lease_until = $4, expires_at = $5 \
                             WHERE id = $1 AND lease = $2 AND file_id IS NULL",
                            params![&id, &lease, received, lease_until, expires_at],
                        )
                        .await?;
                    if held != 1 {
                        return Ok(false);
                    }
                    if let Some((no, part_id)) = part {
                        // a part put again (after a crash before this) replaces the first
                        tx.execute(
                            "INSERT INTO upload_parts (upload_id, part_no, part_id) VALUES ($1, $2, $3) \
                             ON CONFLICT (upload_id, part_no) DO UPDATE SET part_id = excluded.part_id",
                            params![&id, no, &part_id],
                        )
                        .await?;
                    }
                    Ok(true)
                })
            })
            .await
    }

    /// Gives up `lease` on upload `id`, so the next request may append at once.
    pub async fn release(&self, id: &str, lease: &str) -> ApiResult<()> {
        let (id, lease) = (id.to_owned(), lease.to_owned());
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "UPDATE uploads SET lease_until = 0 WHERE id = $1 AND lease = $2",
                        params![&id, &lease],
                    )
                    .await
                })
            })
            .await?;
        Ok(())
    }

    /// The ids of upload `id`'s parts, in order.
    pub async fn parts(&self, id: &str) -> ApiResult<Vec<String>> {
        let rows: Vec<(String,)> = self
            .db
            .reads()
            .fetch_all(
                "SELECT part_id FROM upload_parts WHERE upload_id = $1 ORDER BY part_no",
                params![id],
            )
            .await?;
        Ok(rows.into_iter().map(|(part_id,)| part_id).collect())
    }

    /// Records the file a complete upload made, while `lease` holds it, unless the file
    /// takes its owner past `quota`: the file, or `None` (lease lost, or no room).
    pub async fn complete(&self, id: &str, lease: &str, file: NewFile, quota: i64) -> ApiResult<Option<FileInfo>> {
        let (id, lease) = (id.to_owned(), lease.to_owned());
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    // no longer a reservation: the file itself counts from here
                    let held = tx
                        .execute(
                            "UPDATE uploads SET file_id = 0 WHERE id = $1 AND lease = $2 AND file_id IS NULL",
                            params![&id, &lease],
                        )
                        .await?;
                    if held != 1 || used_in(tx, file.owner_id).await? + file.size > quota {
                        return Ok(None);
                    }
                    let info = insert_file(tx, &file).await?;
                    tx.execute("UPDATE uploads SET file_id = $2 WHERE id = $1", params![&id, info.id])
                        .await?;
                    tx.execute("DELETE FROM upload_parts WHERE upload_id = $1", params![&id])
                        .await?;
                    Ok(Some(info))
                })
            })
            .await
    }

    /// Forgets upload `id` and its parts.
    pub async fn delete_upload(&self, id: &str) -> ApiResult<()> {
        let id = id.to_owned();
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute("DELETE FROM upload_parts WHERE upload_id = $1", params![&id])
                        .await?;
                    tx.execute("DELETE FROM uploads WHERE id = $1", params![&id]).await
                })
            })
            .await?;
        Ok(())
    }

    /// Up to `limit` uploads past their time at `now` that no request holds.
    pub async fn expired_uploads(&self, now: i64, limit: i64) -> ApiResult<Vec<UploadRow>> {
        Ok(self
            .db
            .reads()
            .fetch_all(
                &format!(
                    "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE expires_at < $1 AND lease_until <= $1 \
                     ORDER BY expires_at LIMIT $2"
                ),
                params![now, limit],
            )
            .await?)
    }
}

/// A message carries a file (of this service, that still exists): the file is attached from
/// `now` on. A card older than the file's (sent before its picture was processed) is queued
/// to be brought up to date.
pub async fn add_ref(tx: &mut Sql<'_>, carried: &Carried, now: i64) -> ApiResult<()> {
    let Carried {
        chat_id,
        seq,
        file_id,
        card_version,
    } = *carried;
    let media: Option<(Option<String>,)> = tx
        .fetch_optional(
            "UPDATE files SET attached_at = COALESCE(attached_at, $2) WHERE id = $1 RETURNING media",
            params![file_id, now],
        )
        .await?;
    let Some((media,)) = media else {
        return Ok(());
    };
    tx.execute(
        "INSERT INTO file_refs (chat_id, seq, file_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        params![chat_id, seq, file_id],
    )
    .await?;
    let processed = media
        .and_then(|json| serde_json::from_str::<Media>(&json).ok())
        .is_some_and(|media| media.state != MediaState::Pending);
    if processed && card_version < 2 {
        let payload = serde_json::json!({ "file_id": file_id, "chat_id": chat_id, "seq": seq });
        jobs::enqueue(tx, &NewJob::new(crate::media::CARD_QUEUE, &payload), now).await?;
    }
    Ok(())
}

/// Message (`chat_id`, `seq`) is gone: when it carried the last reference to a file (not an
/// avatar), the file goes too, its bytes left to the cleanup job.
pub async fn drop_ref(tx: &mut Sql<'_>, chat_id: i64, seq: i64, now: i64) -> ApiResult<()> {
    let dropped: Option<(i64,)> = tx
        .fetch_optional(
            "DELETE FROM file_refs WHERE chat_id = $1 AND seq = $2 RETURNING file_id",
            params![chat_id, seq],
        )
        .await?;
    let Some((file_id,)) = dropped else {
        return Ok(());
    };
    let key: Option<(String,)> = tx
        .fetch_optional(
            "DELETE FROM files WHERE id = $1 AND avatar = 0 \
             AND NOT EXISTS (SELECT 1 FROM file_refs WHERE file_id = $1) RETURNING key",
            params![file_id],
        )
        .await?;
    if let Some((key,)) = key {
        doom(tx, &key, now).await?;
        forget_rest(tx, file_id, now).await?;
    }
    Ok(())
}

/// Leaves `key`'s bytes to the cleanup job.
async fn doom(tx: &mut Sql<'_>, key: &str, now: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO doomed_keys (key, since) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        params![key, now],
    )
    .await?;
    Ok(())
}

/// What is left of deleted file `id`: its variants (their bytes left to the cleanup job) and
/// the messages that carried it.
async fn forget_rest(tx: &mut Sql<'_>, id: i64, now: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO doomed_keys (key, since) SELECT key, $2 FROM file_variants WHERE file_id = $1 \
         ON CONFLICT DO NOTHING",
        params![id, now],
    )
    .await?;
    tx.execute("DELETE FROM file_variants WHERE file_id = $1", params![id])
        .await?;
    tx.execute("DELETE FROM file_refs WHERE file_id = $1", params![id])
        .await?;
    Ok(())
}
