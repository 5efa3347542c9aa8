//! [`FileStore`]: the files other services keep for a user (a bot's uploads) and read back,
//! through the same rules as the HTTP API: limits, quotas, sniffing, media processing, and who
//! may read.

use std::convert::Infallible;

use bytes::Bytes;
use futures::future::BoxFuture;
use hybrid_core::{ApiError, ApiResult};
use hybrid_files_api::{FileBytes, FileCard, FileStore, MAX_MESSAGE_BYTES, Reader};

use crate::api::{FileInfo, FilesCode, Purpose};
use crate::service::{self, Files};

impl FileStore for Files {
    fn store(&self, owner_id: i64, name: String, data: Bytes) -> BoxFuture<'_, ApiResult<FileCard>> {
        Box::pin(async move {
            let size = data.len() as u64;
            let body = futures::stream::iter([Ok::<_, Infallible>(data)]);
            let info = self
                .upload(owner_id, Some(&name), Purpose::Attachment, Some(size), body)
                .await?;
            card(info)
        })
    }

    fn describe(&self, reader: Reader, id: i64) -> BoxFuture<'_, ApiResult<FileCard>> {
        Box::pin(async move { card(self.info(reader_of(reader), id).await?) })
    }

    fn read(&self, reader: Reader, id: i64, variant: Option<String>) -> BoxFuture<'_, ApiResult<FileBytes>> {
        Box::pin(async move {
            let served = self.served(reader_of(reader), id, variant.as_deref()).await?;
            if served.size > MAX_MESSAGE_BYTES as u64 {
                return Err(ApiError::new(
                    FilesCode::FileTooLarge,
                    format!("the file is larger than the {MAX_MESSAGE_BYTES} bytes another service may read at once"),
                ));
            }
            Ok(FileBytes {
                content_type: served.content_type,
                data: self.storage.get(&served.key).await?,
            })
        })
    }
}

fn reader_of(reader: Reader) -> service::Reader {
    service::Reader::User {
        user_id: reader.user_id,
        via: reader.via,
    }
}

/// The API's `FileInfo` as the contract's card (the card reads the same JSON).
fn card(info: FileInfo) -> ApiResult<FileCard> {
    serde_json::to_value(info)
        .and_then(serde_json::from_value)
        .map_err(ApiError::internal)
}
