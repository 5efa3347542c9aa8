//! Where the bytes live: an `object_store` (local files in the data dir, or S3), used
//! only through this wrapper, which streams both ways and turns its errors into ours.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use hybrid_core::{ApiError, ApiResult};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};

/// Bytes buffered before a part is handed to the store (S3's smallest part is 5 MiB).
const PART_BYTES: usize = 8 << 20;
/// Parts in flight at once: with [`PART_BYTES`], what one upload may hold in memory.
const PARTS_IN_FLIGHT: usize = 2;

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

impl Storage {
    /// Files under `dir` on local disk (made if missing).
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Storage> {
        std::fs::create_dir_all(dir)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(Storage { store: Arc::new(store) })
    }

    /// A bucket on S3 or a server speaking its API ([`crate::s3`]).
    pub fn s3(config: &crate::settings::FilesConfig, ca_file: &str) -> anyhow::Result<Storage> {
        Ok(Storage {
            store: crate::s3::store(config, ca_file)?,
        })
    }

    pub async fn upload(&self, key: &str) -> ApiResult<Upload> {
        let upload = self.store.put_multipart(&Path::from(key)).await.map_err(unavailable)?;
        Ok(Upload {
            writer: WriteMultipart::new_with_chunk_size(upload, PART_BYTES),
        })
    }

    /// The bytes of `key`, or of `range` of them.
    pub async fn read(
        &self,
        key: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> ApiResult<BoxStream<'static, Result<Bytes, std::io::Error>>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let found = self
            .store
            .get_opts(&Path::from(key), options)
            .await
            .map_err(unavailable)?;
        Ok(found
            .into_stream()
            .map(|chunk| chunk.map_err(std::io::Error::other))
            .boxed())
    }

    /// Deletes `key`; a failure is logged, not returned: the record is gone already, and a
    /// left-over object wastes space but exposes nothing.
    pub async fn delete(&self, key: &str) {
        if let Err(error) = self.store.delete(&Path::from(key)).await {
            tracing::warn!(key, %error, "deleting a stored file");
        }
    }
}

/// An upload in progress: parts are written as they fill.
pub struct Upload {
    writer: WriteMultipart,
}

impl Upload {
    pub async fn write(&mut self, chunk: Bytes) -> ApiResult<()> {
        // wait while parts are in flight, so a fast client cannot fill memory
        self.writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(unavailable)?;
        self.writer.put(chunk);
        Ok(())
    }

    pub async fn finish(self) -> ApiResult<()> {
        self.writer.finish().await.map_err(unavailable)?;
        Ok(())
    }

    pub async fn abort(self) {
        if let Err(error) = self.writer.abort().await {
            tracing::warn!(%error, "aborting an upload");
        }
    }
}

fn unavailable(error: object_store::Error) -> ApiError {
    tracing::warn!(%error, "file storage");
    ApiError::unavailable("file storage is unavailable")
}

/// A `Range: bytes=…` header's one range, as asked; several ranges or another unit are
/// answered with the whole file, as RFC 9110 allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// `a-b` (inclusive) or `a-` (`None` end).
    From(u64, Option<u64>),
    /// `-n`: the last n bytes.
    Last(u64),
}

impl Range {
    pub fn parse(header: &str) -> Option<Range> {
        let spec = header.trim().strip_prefix("bytes=")?;
        if spec.contains(',') {
            return None;
        }
        let (start, end) = spec.trim().split_once('-')?;
        if start.is_empty() {
            return end.parse().ok().map(Range::Last);
        }
        let start = start.parse().ok()?;
        let end = if end.is_empty() { None } else { Some(end.parse().ok()?) };
        if end.is_some_and(|end| end < start) {
            return None;
        }
        Some(Range::From(start, end))
    }

    /// The bytes meant in a file of `size`, half-open; `None` when none are (416).
    pub fn resolve(self, size: u64) -> Option<std::ops::Range<u64>> {
        match self {
            Range::From(start, _) if start >= size => None,
            Range::From(start, end) => Some(start..end.map_or(size, |end| (end + 1).min(size))),
            Range::Last(0) => None,
            Range::Last(n) => Some(size.saturating_sub(n)..size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_resolve_as_rfc_9110_says() {
        assert_eq!(Range::parse("bytes=0-99"), Some(Range::From(0, Some(99))));
        assert_eq!(Range::parse("bytes=100-"), Some(Range::From(100, None)));
        assert_eq!(Range::parse("bytes=-20"), Some(Range::Last(20)));
        for ignored in ["bytes=0-1,5-6", "items=0-1", "bytes=5-1", "bytes=x-1", "bytes=-"] {
            assert_eq!(Range::parse(ignored), None, "{ignored}");
        }
        assert_eq!(Range::From(0, Some(99)).resolve(1000), Some(0..100));
        assert_eq!(Range::From(990, Some(2000)).resolve(1000), Some(990..1000));
        assert_eq!(Range::From(1000, None).resolve(1000), None);
        assert_eq!(Range::Last(20).resolve(1000), Some(980..1000));
        assert_eq!(Range::Last(5000).resolve(1000), Some(0..1000));
        assert_eq!(Range::Last(0).resolve(1000), None);
    }
}
