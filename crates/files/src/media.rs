//! Pictures (docs/files.md, "Pictures"). An uploaded JPEG, PNG, GIF or WebP is recorded with
//! its media pending and the `files-media` job queued in the same transaction. The job runs
//! `hybrid_media::process_image` on a blocking thread: the original is turned upright and
//! stripped of its metadata (GPS positions included) and replaces the upload's bytes, and
//! thumbnails are stored beside it. Then every message carrying the file gets its card's next
//! version, with the size, blurhash and thumbnails. Until then only the owner reads the bytes.

use std::time::Duration;

use bytes::Bytes;
use hybrid_chats_api::{Attachment, AttachmentUpdate};
use hybrid_core::jobs::{Job, Outcome};
use hybrid_core::{ApiResult, Code};
use hybrid_media::Processed;
use serde::Deserialize;
use sha2::Digest as _;

use crate::api::{FileInfo, Media, MediaState, ThumbnailInfo};
use crate::service::{Files, new_key};
use crate::store::{Rewritten, Stored, Variant};

/// The types the job processes (what `hybrid_media` decodes).
pub const PROCESSED: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];
/// The longest a picture's processing may take before it is given up as failed.
const PROCESSING_TIME: Duration = Duration::from_secs(60);
/// The queue that brings one message's card up to date (`card_job`).
pub const CARD_QUEUE: &str = "files-card";

impl Media {
    pub fn pending() -> Media {
        Media {
            state: MediaState::Pending,
            width: None,
            height: None,
            blurhash: None,
            animated: false,
            thumbnails: Vec::new(),
            error: None,
        }
    }

    fn ready(processed: &Processed) -> Media {
        Media {
            state: MediaState::Ready,
            width: Some(processed.width),
            height: Some(processed.height),
            blurhash: Some(processed.blurhash.clone()),
            animated: processed.animated,
            thumbnails: processed
                .thumbnails
                .iter()
                .map(|t| ThumbnailInfo {
                    side: t.side,
                    width: t.width,
                    height: t.height,
                })
                .collect(),
            error: None,
        }
    }

    fn failed(error: String) -> Media {
        Media {
            error: Some(error),
            state: MediaState::Failed,
            ..Media::pending()
        }
    }
}

/// The card of file `info` in a message: version 1 until a picture is processed, 2 after.
pub fn card(info: &FileInfo) -> Attachment {
    let mut preview = serde_json::json!({
        "name": info.name,
        "size": info.size,
        "content_type": info.content_type,
    });
    let processed = info.media.as_ref().filter(|m| m.state != MediaState::Pending);
    if let Some(media) = &info.media {
        preview["media"] = serde_json::to_value(media).expect("media serialises");
    }
    Attachment {
        kind: "file".into(),
        service: crate::SERVICE.into(),
        object_id: info.id.to_string(),
        version: if processed.is_some() { 2 } else { 1 },
        preview: preview.to_string(),
        searchable_text: info.name.clone(),
    }
}

/// A variant's name: `320.webp`, `1280.jpg`.
pub fn variant_name(side: u32, extension: &str) -> String {
    format!("{side}.{extension}")
}

#[derive(Deserialize)]
struct MediaJob {
    file_id: i64,
}

#[derive(Deserialize)]
struct CardJob {
    file_id: i64,
    chat_id: i64,
    seq: i64,
}

impl Files {
    pub fn media_limits(&self) -> hybrid_media::Limits {
        hybrid_media::Limits {
            max_pixels: self.config.max_image_pixels,
            ..hybrid_media::Limits::default()
        }
    }

    /// The `files-media` job.
    pub async fn media_job(&self, job: Job) -> Outcome {
        let Ok(MediaJob { file_id }) = job.payload() else {
            return Outcome::Fail("not a files-media payload".into());
        };
        outcome(self.process(file_id).await)
    }

    /// The `files-card` job: one message's card brought to the file's current one (a message
    /// sent with a token signed before its picture was processed).
    pub async fn card_job(&self, job: Job) -> Outcome {
        let Ok(CardJob { file_id, chat_id, seq }) = job.payload() else {
            return Outcome::Fail("not a files-card payload".into());
        };
        let result = match self.store.get(file_id).await {
            Ok(Some(file)) => self.update_card(&file.info, chat_id, seq).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        outcome(result)
    }

    async fn process(&self, file_id: i64) -> ApiResult<()> {
        let Some(file) = self.store.get(file_id).await? else {
            return Ok(());
        };
        if file.info.media.as_ref().is_none_or(|m| m.state != MediaState::Pending) {
            return Ok(());
        }
        let bytes = self.storage.get(&file.key).await?;
        let limits = self.media_limits();
        let work = tokio::task::spawn_blocking(move || hybrid_media::process_image(&bytes, &limits));
        let media = match tokio::time::timeout(PROCESSING_TIME, work).await {
            Ok(Ok(Ok(processed))) => return self.keep(&file, processed).await,
            Ok(Ok(Err(refused))) => Media::failed(refused.to_string()),
            Ok(Err(panicked)) => Media::failed(format!("processing stopped: {panicked}")),
            Err(_) => Media::failed(format!("processing took longer than {} s", PROCESSING_TIME.as_secs())),
        };
        tracing::warn!(
            file_id,
            error = media.error.as_deref(),
            "a picture could not be processed"
        );
        if self.store.finish_media(file_id, media, Vec::new(), None).await? {
            self.update_cards(file_id).await?;
        }
        Ok(())
    }

    /// Stores what processing made and records it; then the cards follow.
    async fn keep(&self, file: &Stored, processed: Processed) -> ApiResult<()> {
        let id = file.info.id;
        let mut stored = Vec::new();
        let result = self.store_products(file, &processed, &mut stored).await;
        let recorded = match result {
            Ok((variants, rewritten)) => {
                self.store
                    .finish_media(id, Media::ready(&processed), variants, rewritten)
                    .await
            }
            Err(e) => Err(e),
        };
        match recorded {
            Ok(true) => self.update_cards(id).await,
            // the file went meanwhile, or the record failed: nothing may stay behind
            other => {
                for key in &stored {
                    self.storage.delete(key).await;
                }
                other.map(|_| ())
            }
        }
    }

    /// Puts the thumbnails and the rewritten original; the keys it put go into `stored`.
    async fn store_products(
        &self,
        file: &Stored,
        processed: &Processed,
        stored: &mut Vec<String>,
    ) -> ApiResult<(Vec<Variant>, Option<Rewritten>)> {
        let mut variants = Vec::new();
        for thumb in &processed.thumbnails {
            for (extension, content_type, bytes) in
                [("webp", "image/webp", &thumb.webp), ("jpg", "image/jpeg", &thumb.jpeg)]
            {
                let name = variant_name(thumb.side, extension);
                let key = format!("{}.{name}", file.key);
                self.storage.put(&key, Bytes::from(bytes.clone())).await?;
                stored.push(key.clone());
                variants.push(Variant {
                    name,
                    key,
                    content_type: content_type.into(),
                    size: bytes.len() as i64,
                });
            }
        }
        let rewritten = match &processed.cleaned {
            Some(bytes) => {
                let key = new_key(file.owner_id);
                self.storage.put(&key, Bytes::from(bytes.clone())).await?;
                stored.push(key.clone());
                Some(Rewritten {
                    key,
                    size: bytes.len() as i64,
                    sha256: hex(&sha2::Sha256::digest(bytes)),
                })
            }
            None => None,
        };
        Ok((variants, rewritten))
    }

    /// Gives every message carrying file `id` its current card.
    async fn update_cards(&self, id: i64) -> ApiResult<()> {
        let Some(file) = self.store.get(id).await? else {
            return Ok(());
        };
        for (chat_id, seq) in self.store.refs_of(id).await? {
            self.update_card(&file.info, chat_id, seq).await?;
        }
        Ok(())
    }

    async fn update_card(&self, info: &FileInfo, chat_id: i64, seq: i64) -> ApiResult<()> {
        let update = AttachmentUpdate {
            chat_id,
            seq,
            attachment: card(info),
        };
        match self.chats.update_attachment(update).await {
            // the message has this version already, or is gone: nothing to do
            Err(e) if e.status.as_u16() == 409 || e.is(Code::NotFound) => Ok(()),
            other => other,
        }
    }
}

fn outcome(result: ApiResult<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Retry(e.message.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
