//! The files service's contract: [`FileStore`], files another service keeps for a user and
//! reads back (the bots service: a bot's uploads, and the files people send it). In one
//! process the files module's implementation is called directly; across processes [`GRPC`]
//! serves it and builds the client that stands in for it.

mod grpc;

use bytes::Bytes;
use futures::future::BoxFuture;
use hybrid_core::{ApiError, GrpcApi};
use serde::{Deserialize, Serialize};

/// Generated messages, server and client of `proto/hybrid/files/v1/files.proto`.
pub mod proto {
    tonic::include_proto!("hybrid.files.v1");
}

/// How the store is served and reached over gRPC.
pub const GRPC: GrpcApi = GrpcApi {
    services: &["hybrid.files.v1.FileStore"],
    serve: grpc::serve,
    connect: grpc::connect,
};

/// The service that provides [`FileStore`], as `--services` and `peers.*` name it.
pub const SERVICE: &str = "files";

/// The largest gRPC message of this API (a call carries one whole file): callers keep what
/// they store or read below it.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Who reads a file: a user, through message (`chat_id`, `seq`) when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    pub user_id: i64,
    pub via: Option<(i64, i64)>,
}

impl Reader {
    /// A user reading their own file.
    pub fn owner(user_id: i64) -> Reader {
        Reader { user_id, via: None }
    }
}

/// A file as the files API shows it (`FileInfo`), the fields other services read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileCard {
    pub id: i64,
    pub name: String,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    #[serde(default)]
    pub media: Option<MediaCard>,
    /// For the owner: attaches the file to a message (chats' `attach` token).
    #[serde(default)]
    pub attach_token: Option<String>,
}

/// A picture, sound or video as processing left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaCard {
    /// `pending`, `ready` or `failed`.
    pub state: String,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    /// Smallest first; read one as variant `<side>.webp`.
    #[serde(default)]
    pub thumbnails: Vec<Thumbnail>,
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thumbnail {
    pub side: u32,
    pub width: u32,
    pub height: u32,
}

/// A file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileBytes {
    pub content_type: String,
    pub data: Bytes,
}

/// Provided by `files`: files kept for users, under the same rules as the files API.
pub trait FileStore: Send + Sync {
    /// Stores `data` as a new file of `owner_id`'s named `name` (the owner's limits and quota,
    /// the type sniffed, pictures and sound processed as for any upload): the file as its
    /// owner sees it, with an attach token.
    fn store(&self, owner_id: i64, name: String, data: Bytes) -> BoxFuture<'_, Result<FileCard, ApiError>>;
    /// File `id` as `reader` may see it (404 otherwise); its owner gets a fresh attach token.
    fn describe(&self, reader: Reader, id: i64) -> BoxFuture<'_, Result<FileCard, ApiError>>;
    /// The bytes of file `id`, or of its thumbnail `variant` (`320.webp`), for `reader`; at most
    /// [`MAX_MESSAGE_BYTES`] (`413 file_too_large` beyond).
    fn read(&self, reader: Reader, id: i64, variant: Option<String>) -> BoxFuture<'_, Result<FileBytes, ApiError>>;
}
