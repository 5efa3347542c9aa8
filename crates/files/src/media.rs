//! Pictures, sound and video (docs/files.md, "Pictures", "Sound and video"). An uploaded
//! JPEG, PNG, GIF or WebP, or a sound or video file, is recorded with its media pending and
//! the `files-media` job queued in the same transaction. Sound and video are read by ffmpeg
//! (`hybrid_media::probe`): duration, a voice message's waveform, a video's poster frame, and a
//! copy without metadata (`hybrid_media::strip_metadata`) that replaces the upload. The job runs
//! `hybrid_media::process_image` on a blocking thread: the original is turned upright,
//! stripped of its metadata (GPS positions included), cut to its centred square if it is an
//! avatar, and replaces the upload's bytes, and
//! thumbnails are stored beside it. Then every message carrying the file gets its card's next
//! version, with the size, blurhash and thumbnails. Until then only the owner reads the bytes.

use std::time::Duration;

use bytes::Bytes;
use hybrid_chats_api::{Attachment, AttachmentUpdate};
use hybrid_core::jobs::{Job, Outcome};
use hybrid_core::{ApiError, ApiResult, Code};
use hybrid_media::{MediaError, Processed, Shape, Thumbnail};
use serde::Deserialize;
use sha2::Digest as _;

use crate::api::{FileInfo, Media, MediaState, ThumbnailInfo};
use crate::service::{Files, new_key};
use crate::store::{Rewritten, Stored, Variant};

/// The pictures the job processes (what `hybrid_media` decodes); sound and video (`audio/*`,
/// `video/*`) go to ffmpeg.
pub const PICTURES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// Whether the job processes files of `content_type`.
pub fn processed(content_type: &str) -> bool {
    PICTURES.contains(&content_type) || content_type.starts_with("audio/") || content_type.starts_with("video/")
}
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
            duration_ms: None,
            waveform: Vec::new(),
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
            duration_ms: None,
            waveform: Vec::new(),
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
    if info.avatar {
        // what users and chats check before they take the file as a profile's or chat's picture
        preview["avatar"] = true.into();
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
    pub fn av_limits(&self) -> hybrid_media::AvLimits {
        hybrid_media::AvLimits {
            ffmpeg: self.config.ffmpeg.clone().into(),
            ffprobe: self.config.ffprobe.clone().into(),
            ..hybrid_media::AvLimits::default()
        }
    }

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
        let made = if file.info.content_type.starts_with("image/") {
            self.picture_products(&file).await?
        } else {
            self.sound_or_video_products(&file).await?
        };
        let error = match made {
            Ok(products) => return self.keep(&file, products).await,
            Err(error) => error,
        };
        tracing::warn!(file_id, error, "a file's media could not be processed");
        if self
            .store
            .finish_media(file_id, Media::failed(error), Vec::new(), None)
            .await?
        {
            self.update_cards(file_id).await?;
        }
        Ok(())
    }

    /// A picture: upright and clean, measured, with thumbnails. `Err` says why it could not be.
    async fn picture_products(&self, file: &Stored) -> ApiResult<Result<Products, String>> {
        let bytes = self.storage.get(&file.key).await?;
        let limits = self.media_limits();
        let shape = if file.info.avatar { Shape::Square } else { Shape::AsIs };
        let made = blocking(move || hybrid_media::process_image(&bytes, &limits, shape)).await;
        Ok(made.map(|picture| Products {
            media: Media::ready(&picture),
            thumbnails: picture.thumbnails,
            cleaned: picture.cleaned.map(Cleaned::Bytes),
        }))
    }

    /// Sound or video, read by ffmpeg from a copy in a temporary folder: its duration, and a
    /// voice message's waveform or a video's size and poster frame (made into thumbnails);
    /// and a copy without its metadata (a phone's location) to keep instead of the upload.
    async fn sound_or_video_products(&self, file: &Stored) -> ApiResult<Result<Products, String>> {
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal(format!("a temporary folder: {e}")))?;
        let path = dir.path().join("input");
        let stripped = dir.path().join("stripped");
        self.storage.copy_to_file(&file.key, &path).await?;
        let (av, images) = (self.av_limits(), self.media_limits());
        let (file_id, content_type) = (file.info.id, file.info.content_type.clone());
        let made = blocking(move || {
            let probe = hybrid_media::probe(&path, &av)?;
            let clean = match hybrid_media::strip_metadata(&path, &stripped, &probe.container, &content_type, &av) {
                Ok(()) => Some(stripped),
                // played as uploaded, as before; said in the log
                Err(error) => {
                    tracing::warn!(file_id, %error, "a file's metadata could not be removed");
                    None
                }
            };
            if probe.video.is_some() {
                let poster = hybrid_media::process_image(&hybrid_media::poster(&path, &av)?, &images, Shape::AsIs)?;
                Ok((probe, Vec::new(), Some(poster), clean))
            } else if probe.has_audio {
                Ok((probe, hybrid_media::waveform(&path, &av)?, None, clean))
            } else {
                Err(MediaError::Unsupported)
            }
        })
        .await;
        Ok(made.map(|(probe, waveform, poster, clean)| {
            let mut media = poster.as_ref().map_or_else(Media::pending, Media::ready);
            media.state = MediaState::Ready;
            (media.width, media.height) = probe.video.map_or((None, None), |(w, h)| (Some(w), Some(h)));
            media.duration_ms = Some(probe.duration_ms);
            media.waveform = waveform;
            Products {
                media,
                thumbnails: poster.map(|p| p.thumbnails).unwrap_or_default(),
                // the folder goes when the copy is stored
                cleaned: clean.map(|path| Cleaned::File { path, _folder: dir }),
            }
        }))
    }

    /// Stores what processing made and records it; then the cards follow.
    async fn keep(&self, file: &Stored, products: Products) -> ApiResult<()> {
        let id = file.info.id;
        let mut stored = Vec::new();
        let result = self.store_products(file, &products, &mut stored).await;
        let recorded = match result {
            Ok((variants, rewritten)) => self.store.finish_media(id, products.media, variants, rewritten).await,
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
        products: &Products,
        stored: &mut Vec<String>,
    ) -> ApiResult<(Vec<Variant>, Option<Rewritten>)> {
        let mut variants = Vec::new();
        for thumb in &products.thumbnails {
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
        let rewritten = match &products.cleaned {
            Some(Cleaned::Bytes(bytes)) => {
                let key = new_key(file.owner_id);
                self.storage.put(&key, Bytes::from(bytes.clone())).await?;
                stored.push(key.clone());
                Some(Rewritten {
                    key,
                    size: bytes.len() as i64,
                    sha256: hex(&sha2::Sha256::digest(bytes)),
                })
            }
            Some(Cleaned::File { path, .. }) => {
                let key = new_key(file.owner_id);
                stored.push(key.clone());
                let digest = self.storage.put_file(&key, path).await?;
                Some(Rewritten {
                    key,
                    size: digest.size as i64,
                    sha256: digest.sha256,
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

/// What processing made of a file.
struct Products {
    media: Media,
    thumbnails: Vec<Thumbnail>,
    /// The original's new bytes (a picture turned upright, without metadata).
    cleaned: Option<Cleaned>,
}

/// An original made anew without its metadata.
enum Cleaned {
    /// A picture's, in memory (pictures are small next to the limits their decoding has).
    Bytes(Vec<u8>),
    /// Sound or video, in a file of a temporary folder that lives as long as this.
    File {
        path: std::path::PathBuf,
        _folder: tempfile::TempDir,
    },
}

/// Runs `work` on a blocking thread for at most [`PROCESSING_TIME`]; why it failed, if it did.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, MediaError> + Send + 'static,
) -> Result<T, String> {
    match tokio::time::timeout(PROCESSING_TIME, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(made)) => made.map_err(|refused| refused.to_string()),
        Ok(Err(panicked)) => Err(format!("processing stopped: {panicked}")),
        Err(_) => Err(format!("processing took longer than {} s", PROCESSING_TIME.as_secs())),
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
