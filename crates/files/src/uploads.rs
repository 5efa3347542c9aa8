//! Resumable uploads, the logic behind the tus 1.0 routes (`tus.rs`). An upload is fixed
//! [`PART_BYTES`] parts, each stored durably (an S3 multipart part, or an object of its own
//! on local disk) and recorded in `upload_parts`, plus at most one tail object holding the
//! bytes past the last whole part. The offset a client resumes from counts only what is so
//! stored, and any replica can continue an upload from the database. A request appending
//! holds the upload's lease, so two never append at once.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use hybrid_core::{ApiError, ApiResult, now_ms};

use crate::api::FilesCode;
use crate::service::{Files, Limits, clean_name, drain, new_key, quota_exceeded, random_id};
use crate::storage::PART_BYTES;
use crate::store::{NewFile, Progress, UploadRow};

/// How long a lease holds without news from its request.
const LEASE_MS: i64 = 30_000;
/// A request streaming a part renews its lease this often.
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// The lease while a complete upload is joined and read back (minutes for 2 GiB on S3).
const FINISH_LEASE_MS: i64 = 15 * 60_000;
/// Expired uploads cleaned per batch.
const EXPIRE_BATCH: i64 = 100;

impl Files {
    /// Starts an upload of `length` bytes: refused at once when too large for a file or for
    /// what is left of the owner's quota, which it then reserves.
    pub async fn create_upload(&self, owner_id: i64, name: Option<&str>, length: u64) -> ApiResult<UploadRow> {
        let name = clean_name(name.unwrap_or(""))?;
        self.limits(owner_id).await?.check(length, None)?;
        let key = new_key(owner_id);
        let multipart_id = self.storage.begin_parts(&key).await?;
        let now = now_ms();
        let upload = UploadRow {
            id: random_id(),
            owner_id,
            name,
            length: length as i64,
            received: 0,
            key,
            multipart_id,
            lease_until: 0,
            file_id: None,
            expires_at: now + self.upload_ttl_ms(),
            created_at: now,
        };
        if !self
            .store
            .create_upload(upload.clone(), self.config.quota_bytes as i64)
            .await?
        {
            self.storage
                .abort_parts(&upload.key, upload.multipart_id.as_deref(), 0)
                .await;
            return Err(quota_exceeded());
        }
        if length == 0 {
            // nothing will be appended: complete at once
            return self.upload_state(owner_id, &upload.id).await;
        }
        Ok(upload)
    }

    /// Upload `id` of `owner_id`'s. One that has all its bytes but no file yet (its last
    /// request died while finishing it) is finished now.
    pub async fn upload_state(&self, owner_id: i64, id: &str) -> ApiResult<UploadRow> {
        let upload = self.owned_upload(owner_id, id).await?;
        if upload.file_id.is_some() || upload.received < upload.length {
            return Ok(upload);
        }
        let lease = random_id();
        let now = now_ms();
        if !self.store.claim(id, &lease, now, now + LEASE_MS).await? {
            return Ok(upload);
        }
        let finished = self.finish(upload, &lease).await;
        self.store.release(id, &lease).await?;
        finished
    }

    /// Appends `body` to upload `id` from byte `offset`, which must be where it stands.
    /// Whatever arrives is kept, even when the body breaks off: the client resumes from the
    /// offset that reports.
    pub async fn append<S, E>(&self, owner_id: i64, id: &str, offset: u64, mut body: S) -> ApiResult<UploadRow>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let found = self.owned_upload(owner_id, id).await;
        if let Err(e) = found.and_then(|upload| check_offset(&upload, offset)) {
            // read what the client is still sending, so it hears the answer
            drain(&mut body).await;
            return Err(e);
        }
        let lease = random_id();
        let now = now_ms();
        if !self.store.claim(id, &lease, now, now + LEASE_MS).await? {
            drain(&mut body).await;
            return Err(ApiError::new(
                FilesCode::UploadBusy,
                "another request is appending to this upload: retry when it ends",
            ));
        }
        // read again under the lease: a request that just ended may have moved it on
        let appended = match self.owned_upload(owner_id, id).await {
            Ok(upload) => match check_offset(&upload, offset) {
                Ok(()) => self.append_held(upload, &lease, body).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let done = match appended {
            Ok(upload) if upload.received == upload.length => self.finish(upload, &lease).await,
            other => other,
        };
        self.store.release(id, &lease).await?;
        done
    }

    async fn append_held<S, E>(&self, mut upload: UploadRow, lease: &str, mut body: S) -> ApiResult<UploadRow>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let part = PART_BYTES as i64;
        let mut part_no = upload.received / part;
        let mut buffer = BytesMut::with_capacity(PART_BYTES);
        // the stored tail, if any, begins the next part
        let mut tail_at = (upload.received % part > 0).then_some(upload.received);
        if let Some(at) = tail_at {
            buffer.extend_from_slice(&self.storage.get(&tail_key(&upload.key, at)).await?);
        }
        let mut renewed = Instant::now();
        let mut failure = None;
        while let Some(chunk) = body.next().await {
            let mut chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    failure = Some(ApiError::bad_request(format!("the upload broke off: {e}")));
                    break;
                }
            };
            if part_no * part + (buffer.len() + chunk.len()) as i64 > upload.length {
                drain(&mut body).await;
                failure = Some(ApiError::bad_request(format!(
                    "the upload is {} bytes long (Upload-Length): this is more",
                    upload.length
                )));
                break;
            }
            while !chunk.is_empty() {
                let take = (PART_BYTES - buffer.len()).min(chunk.len());
                buffer.extend_from_slice(&chunk.split_to(take));
                if buffer.len() < PART_BYTES {
                    continue;
                }
                let whole = std::mem::replace(&mut buffer, BytesMut::with_capacity(PART_BYTES)).freeze();
                upload.received = self.put_part(&upload, lease, part_no, whole).await?;
                part_no += 1;
                if let Some(at) = tail_at.take() {
                    self.storage.delete(&tail_key(&upload.key, at)).await;
                }
                renewed = Instant::now();
            }
            if renewed.elapsed() > RENEW_EVERY {
                self.advance(&upload, lease, upload.received, None).await?;
                renewed = Instant::now();
            }
        }
        // what arrived past the last whole part: the last part, or a tail to keep
        let end = part_no * part + buffer.len() as i64;
        if end == upload.length && !buffer.is_empty() {
            upload.received = self.put_part(&upload, lease, part_no, buffer.freeze()).await?;
        } else if end > upload.received {
            self.storage.put(&tail_key(&upload.key, end), buffer.freeze()).await?;
            self.advance(&upload, lease, end, None).await?;
            upload.received = end;
        } else {
            tail_at = None;
        }
        if let Some(at) = tail_at.filter(|at| *at != upload.received) {
            self.storage.delete(&tail_key(&upload.key, at)).await;
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(upload),
        }
    }

    /// Stores part `part_no` and records it: the bytes stored after it.
    async fn put_part(&self, upload: &UploadRow, lease: &str, part_no: i64, bytes: Bytes) -> ApiResult<i64> {
        let received = part_no * PART_BYTES as i64 + bytes.len() as i64;
        let multipart_id = upload.multipart_id.as_deref();
        let part_id = self
            .storage
            .put_part(&upload.key, multipart_id, part_no as usize, bytes)
            .await?;
        self.advance(upload, lease, received, Some((part_no, &part_id))).await?;
        Ok(received)
    }

    /// Records `received` bytes (and `part`) under `lease`, renewing it and the upload's time.
    async fn advance(
        &self,
        upload: &UploadRow,
        lease: &str,
        received: i64,
        part: Option<(i64, &str)>,
    ) -> ApiResult<()> {
        let now = now_ms();
        let progress = Progress {
            received,
            part,
            lease_until: now + LEASE_MS,
            expires_at: now + self.upload_ttl_ms(),
        };
        if self.store.advance(&upload.id, lease, progress).await? {
            Ok(())
        } else {
            Err(ApiError::new(
                FilesCode::UploadBusy,
                "the upload was taken over by another request",
            ))
        }
    }

    /// Joins a complete upload's parts into its file, reads it back for its hash and type,
    /// and records the file.
    async fn finish(&self, mut upload: UploadRow, lease: &str) -> ApiResult<UploadRow> {
        let now = now_ms();
        let progress = Progress {
            received: upload.received,
            part: None,
            lease_until: now + FINISH_LEASE_MS,
            expires_at: now + self.upload_ttl_ms(),
        };
        if !self.store.advance(&upload.id, lease, progress).await? {
            return Err(ApiError::new(FilesCode::UploadBusy, "the upload is being finished"));
        }
        let parts = self.store.parts(&upload.id).await?;
        self.storage
            .complete_parts(&upload.key, upload.multipart_id.as_deref(), parts)
            .await?;
        let digest = self.storage.digest(&upload.key).await?;
        let limits = Limits {
            room: u64::MAX,
            ..self.limits(upload.owner_id).await?
        };
        let media = self.picture(&digest);
        let file = NewFile {
            owner_id: upload.owner_id,
            name: upload.name.clone(),
            content_type: digest.content_type,
            size: digest.size as i64,
            sha256: digest.sha256,
            key: upload.key.clone(),
            created_at: now_ms(),
            avatar: false,
            media: media.as_ref().ok().cloned().flatten(),
        };
        // an image's tighter limits are known only now, from its bytes
        let refused = match limits.check(digest.size, Some(&file.content_type)).and(media) {
            Err(e) => Some(e),
            Ok(_) => match self
                .store
                .complete(&upload.id, lease, file, self.config.quota_bytes as i64)
                .await?
            {
                Some(info) => {
                    upload.file_id = Some(info.id);
                    None
                }
                None => Some(quota_exceeded()),
            },
        };
        if let Some(error) = refused {
            self.storage.delete(&upload.key).await;
            self.store.delete_upload(&upload.id).await?;
            return Err(error);
        }
        Ok(upload)
    }

    /// Ends upload `id`: unfinished, its parts are dropped and its reservation freed; a
    /// finished one's file stays (delete it as a file).
    pub async fn cancel_upload(&self, owner_id: i64, id: &str) -> ApiResult<()> {
        let upload = self.owned_upload(owner_id, id).await?;
        let lease = random_id();
        let now = now_ms();
        if !self.store.claim(id, &lease, now, now + LEASE_MS).await? {
            return Err(ApiError::new(
                FilesCode::UploadBusy,
                "a request is appending to this upload: retry when it ends",
            ));
        }
        self.drop_upload(&upload).await
    }

    /// Cleans the uploads whose time ran out, a batch at a time.
    pub async fn expire_uploads(&self) -> ApiResult<()> {
        loop {
            let expired = self.store.expired_uploads(now_ms(), EXPIRE_BATCH).await?;
            for upload in &expired {
                self.drop_upload(upload).await?;
            }
            if (expired.len() as i64) < EXPIRE_BATCH {
                return Ok(());
            }
        }
    }

    async fn drop_upload(&self, upload: &UploadRow) -> ApiResult<()> {
        if upload.file_id.is_none() {
            let part = PART_BYTES as i64;
            let whole_parts = (upload.received / part) as usize;
            self.storage
                .abort_parts(&upload.key, upload.multipart_id.as_deref(), whole_parts)
                .await;
            if upload.received % part > 0 {
                self.storage.delete(&tail_key(&upload.key, upload.received)).await;
            }
        }
        self.store.delete_upload(&upload.id).await
    }

    /// Upload `id` if it is `owner_id`'s (404 otherwise) and its time has not run out (410).
    async fn owned_upload(&self, owner_id: i64, id: &str) -> ApiResult<UploadRow> {
        match self.store.upload(id).await? {
            Some(upload) if upload.owner_id == owner_id => {
                if upload.expires_at < now_ms() {
                    Err(ApiError::new(
                        FilesCode::UploadExpired,
                        "the upload waited too long for its bytes and was dropped: start again",
                    ))
                } else {
                    Ok(upload)
                }
            }
            _ => Err(ApiError::not_found("upload")),
        }
    }

    fn upload_ttl_ms(&self) -> i64 {
        self.config.upload_ttl_secs as i64 * 1000
    }
}

/// 409 unless `offset` is where `upload` stands.
fn check_offset(upload: &UploadRow, offset: u64) -> ApiResult<()> {
    if upload.file_id.is_some() || upload.received != offset as i64 {
        return Err(ApiError::new(
            FilesCode::OffsetMismatch,
            format!(
                "the upload has {} bytes stored: send from Upload-Offset {}",
                upload.received, upload.received
            ),
        ));
    }
    Ok(())
}

/// Where the bytes of `key`'s upload past its last whole part wait, `received` in all: a
/// new name for each, so a request that dies between storing one and recording it cannot
/// spoil the one recorded.
fn tail_key(key: &str, received: i64) -> String {
    format!("{key}.tail{received}")
}
