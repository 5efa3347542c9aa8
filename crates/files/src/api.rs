//! The files service's contract: what its HTTP API takes and returns, and its error codes.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A stored file. Times are epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FileInfo {
    pub id: i64,
    /// The name it was uploaded with, cleaned of paths and control characters.
    pub name: String,
    /// Sniffed from the bytes (`image/png`, `application/pdf`, `text/plain`,
    /// `application/octet-stream` when nothing matched); what the client said is ignored.
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the bytes; the download's ETag.
    pub sha256: String,
    pub created_at: i64,
    /// An avatar: any signed-in user may read it.
    pub avatar: bool,
    /// For pictures: what processing found (size, blurhash, thumbnails), or that it is
    /// still running or failed. Absent for other files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
    /// For its owner only: the token that attaches the file to a message
    /// (`POST /chats/{chat_id}/messages` with `"attach"`), valid for
    /// `files.attach_token_ttl_secs`; ask for the file again for a fresh one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_token: Option<String>,
}

/// A picture, sound or video as processing left it (docs/files.md, "Pictures").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Media {
    pub state: MediaState,
    /// Upright, in pixels (once ready).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// A placeholder to draw while the picture loads (https://blurha.sh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
    /// A GIF with more than one frame (its thumbnails show the first).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub animated: bool,
    /// Smallest first: `GET /files/{id}/thumbnails/{side}.webp` (or `.jpg`); a video's are
    /// of its first frame.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thumbnails: Vec<ThumbnailInfo>,
    /// Sound and video: how long it plays, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Sound without video (a voice message): its loudness in 64 bars, each 0 to 100.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waveform: Vec<u8>,
    /// Why processing failed (the file itself stays readable as uploaded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaState {
    /// Waiting for the files-media job: only the owner reads the file meanwhile.
    Pending,
    Ready,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ThumbnailInfo {
    /// The long side it was made for.
    pub side: u32,
    pub width: u32,
    pub height: u32,
}

/// What an upload is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// To attach to messages (the default): read by whoever may read those messages, and
    /// collected when no message carries it.
    #[default]
    Attachment,
    /// A picture of a person or chat: an image, readable by any signed-in user, kept until
    /// deleted.
    Avatar,
}

/// Where a plain upload's name comes from when the body is the file itself.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadParams {
    /// The file's name (1 to 255 characters after cleaning); a multipart upload takes the
    /// part's filename instead.
    pub name: Option<String>,
    #[serde(default)]
    #[param(inline)]
    pub purpose: Purpose,
}

/// The message through which someone other than the owner reads a file: a message in a chat
/// they may read, that carries the file.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ViaMessage {
    pub chat_id: Option<i64>,
    pub seq: Option<i64>,
}

impl ViaMessage {
    /// The message as (`chat_id`, `seq`): both or neither (422).
    pub fn message(&self) -> hybrid_core::ApiResult<Option<(i64, i64)>> {
        match (self.chat_id, self.seq) {
            (Some(chat_id), Some(seq)) => Ok(Some((chat_id, seq))),
            (None, None) => Ok(None),
            _ => Err(hybrid_core::ApiError::validation(
                "seq",
                "give both chat_id and seq, or neither",
            )),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 50).
    pub limit: Option<i64>,
}

/// How much the caller keeps and may keep, in bytes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    pub used_bytes: i64,
    pub quota_bytes: i64,
    /// The largest file and image one upload may be.
    pub max_file_bytes: i64,
    pub max_image_bytes: i64,
}

/// A download link that needs no token, for `<img src>` and for bots.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileLink {
    /// Relative to the server: `/api/v1/files/links/{id}?expires=…&signature=…`.
    pub url: String,
    /// Epoch seconds after which the link stops working.
    pub expires_at: i64,
}

/// The signature a link carries.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct LinkParams {
    /// Epoch seconds, from [`FileLink`].
    pub expires: Option<i64>,
    pub signature: Option<String>,
    /// A thumbnail rather than the file (`320.webp`), as the link was made.
    pub variant: Option<String>,
}

/// What a link reads: the file, or one of its thumbnails.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct LinkVariant {
    /// A thumbnail's name (`320.webp`, `1280.jpg`), as `media.thumbnails` lists them.
    pub variant: Option<String>,
}

hybrid_core::error_codes! {
    /// Errors of the files service.
    pub enum FilesCode {
        /// The file is larger than one upload may be (`files.max_file_bytes`, or
        /// `files.max_image_bytes` for images).
        FileTooLarge = (PAYLOAD_TOO_LARGE, "file_too_large"),
        /// The upload would take the caller past their quota (`files.quota_bytes`).
        QuotaExceeded = (PAYLOAD_TOO_LARGE, "quota_exceeded"),
        /// The requested byte range lies outside the file.
        RangeNotSatisfiable = (RANGE_NOT_SATISFIABLE, "range_not_satisfiable"),
        /// The link's signature is wrong or it has expired.
        LinkInvalid = (FORBIDDEN, "link_invalid"),
        /// A resumable upload's `Upload-Offset` is not where the upload stands: ask with
        /// `HEAD` and send from there.
        OffsetMismatch = (CONFLICT, "offset_mismatch"),
        /// Another request is appending to the upload: retry when it ends.
        UploadBusy = (LOCKED, "upload_busy"),
        /// The picture declares more pixels than the server processes (a decompression bomb,
        /// or just too large): `files.max_image_pixels`.
        ImageTooLarge = (UNPROCESSABLE_ENTITY, "image_too_large"),
        /// The picture, sound or video is being processed (a picture turned upright, its
        /// metadata removed): only its owner reads it until then. Retry shortly.
        MediaProcessing = (CONFLICT, "media_processing"),
        /// The upload waited longer than `files.upload_ttl_secs` and was dropped.
        UploadExpired = (GONE, "upload_expired"),
        /// The request is not tus 1.0.0 (`Tus-Resumable`).
        TusVersion = (PRECONDITION_FAILED, "tus_version_unsupported"),
    }
}
