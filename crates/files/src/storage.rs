//! Where the bytes live: an `object_store` (local files in the data dir, or S3), used
//! only through this wrapper, which streams both ways and turns its errors into ours.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use hybrid_core::{ApiError, ApiResult};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::sniff::Sniffer;

/// Bytes buffered before a part is handed to the store (S3's smallest part is 5 MiB); the
/// size of every part of a resumable upload but its last.
pub const PART_BYTES: usize = 8 << 20;
/// Parts in flight at once: with [`PART_BYTES`], what one upload may hold in memory.
const PARTS_IN_FLIGHT: usize = 2;

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The same store's own multipart uploads (S3), whose parts a resumable upload puts
    /// one by one across requests and replicas; `None` on local disk, where each part is an
    /// object of its own until the upload completes.
    multipart: Option<Arc<dyn MultipartStore>>,
}

impl Storage {
    /// Files under `dir` on local disk (made if missing).
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Storage> {
        std::fs::create_dir_all(dir)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(Storage {
            store: Arc::new(store),
            multipart: None,
        })
    }

    /// A bucket on S3 or a server speaking its API ([`crate::s3`]).
    pub fn s3(config: &crate::settings::FilesConfig, ca_file: &str) -> anyhow::Result<Storage> {
        let s3 = Arc::new(crate::s3::store(config, ca_file)?);
        Ok(Storage {
            store: s3.clone(),
            multipart: Some(s3),
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
        if let Err(error) = self.try_delete(key).await {
            tracing::warn!(key, error = %error.message, "deleting a stored file");
        }
    }

    /// Deletes `key` (gone already is done too).
    pub async fn try_delete(&self, key: &str) -> ApiResult<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(unavailable(error)),
        }
    }
}

/// Resumable uploads: parts put one at a time, each durable once put, joined at the end.
impl Storage {
    /// Starts the parts of `key`: the S3 upload's id, or `None` on local disk.
    pub async fn begin_parts(&self, key: &str) -> ApiResult<Option<String>> {
        match &self.multipart {
            Some(s3) => Ok(Some(s3.create_multipart(&Path::from(key)).await.map_err(unavailable)?)),
            None => Ok(None),
        }
    }

    /// Stores part `index` (from 0) of `key`; returns what completing needs to name it.
    pub async fn put_part(&self, key: &str, multipart: Option<&str>, index: usize, bytes: Bytes) -> ApiResult<String> {
        match (&self.multipart, multipart) {
            (Some(s3), Some(id)) => {
                let part = s3
                    .put_part(&Path::from(key), &id.to_owned(), index, PutPayload::from(bytes))
                    .await
                    .map_err(unavailable)?;
                Ok(part.content_id)
            }
            _ => {
                self.put(&part_key(key, index), bytes).await?;
                Ok(String::new())
            }
        }
    }

    /// Joins the `parts` (as [`Self::put_part`] returned them, in order) into the object
    /// `key`. On local disk the parts are copied into it, then deleted.
    pub async fn complete_parts(&self, key: &str, multipart: Option<&str>, parts: Vec<String>) -> ApiResult<()> {
        match (&self.multipart, multipart) {
            (Some(s3), Some(id)) if !parts.is_empty() => {
                let parts = parts.into_iter().map(|content_id| PartId { content_id }).collect();
                let done = s3.complete_multipart(&Path::from(key), &id.to_owned(), parts).await;
                // completed already (a crash between completing and recording it): the
                // object is there
                if let Err(error) = done {
                    if self.store.head(&Path::from(key)).await.is_err() {
                        return Err(unavailable(error));
                    }
                }
                Ok(())
            }
            (Some(_), Some(_)) => {
                // S3 cannot complete an upload of no parts: an empty file is put whole
                self.abort_parts(key, multipart, 0).await;
                self.put(key, Bytes::new()).await
            }
            _ => {
                let count = parts.len();
                let mut upload = self.upload(key).await?;
                for index in 0..count {
                    let mut part = self.read(&part_key(key, index), None).await?;
                    while let Some(chunk) = part.next().await {
                        match chunk {
                            Ok(chunk) => upload.write(chunk).await?,
                            Err(error) => {
                                upload.abort().await;
                                tracing::warn!(%error, key, "reading an upload's part");
                                return Err(ApiError::unavailable("file storage is unavailable"));
                            }
                        }
                    }
                }
                upload.finish().await?;
                self.abort_parts(key, None, count).await;
                Ok(())
            }
        }
    }

    /// Drops the parts of `key` (the first `count` of them on local disk).
    pub async fn abort_parts(&self, key: &str, multipart: Option<&str>, count: usize) {
        match (&self.multipart, multipart) {
            (Some(s3), Some(id)) => {
                if let Err(error) = s3.abort_multipart(&Path::from(key), &id.to_owned()).await {
                    tracing::warn!(key, %error, "aborting a multipart upload");
                }
            }
            _ => {
                for index in 0..count {
                    self.delete(&part_key(key, index)).await;
                }
            }
        }
    }

    /// Stores a small object whole (an upload's tail, under a part's size).
    pub async fn put(&self, key: &str, bytes: Bytes) -> ApiResult<()> {
        self.store
            .put(&Path::from(key), PutPayload::from(bytes))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Copies `key` into the file at `path`, streaming.
    pub async fn copy_to_file(&self, key: &str, path: &std::path::Path) -> ApiResult<()> {
        use tokio::io::AsyncWriteExt;
        let failed = |error: std::io::Error| {
            tracing::warn!(%error, key, "copying a file out of storage");
            ApiError::unavailable("file storage is unavailable")
        };
        let mut bytes = self.read(key, None).await?;
        let mut out = tokio::fs::File::create(path).await.map_err(failed)?;
        while let Some(chunk) = bytes.next().await {
            out.write_all(&chunk.map_err(failed)?).await.map_err(failed)?;
        }
        out.flush().await.map_err(failed)
    }

    /// Stores the file at `path` as `key`, streaming it in parts; what its bytes come to.
    pub async fn put_file(&self, key: &str, path: &std::path::Path) -> ApiResult<Digest> {
        use tokio::io::AsyncReadExt;
        let failed = |error: std::io::Error| {
            tracing::warn!(%error, key, "storing a file");
            ApiError::internal("a processed file could not be read back")
        };
        let mut file = tokio::fs::File::open(path).await.map_err(failed)?;
        let mut upload = self.upload(key).await?;
        let mut digester = Digester::default();
        loop {
            let mut chunk = Vec::with_capacity(1 << 20);
            let read = (&mut file).take(1 << 20).read_to_end(&mut chunk).await;
            match read {
                Ok(0) => break,
                Ok(_) => {
                    digester.feed(&chunk);
                    if let Err(e) = upload.write(Bytes::from(chunk)).await {
                        upload.abort().await;
                        return Err(e);
                    }
                }
                Err(error) => {
                    upload.abort().await;
                    return Err(failed(error));
                }
            }
        }
        upload.finish().await?;
        Ok(digester.finish())
    }

    /// A small object's bytes, whole.
    pub async fn get(&self, key: &str) -> ApiResult<Bytes> {
        let found = self.store.get(&Path::from(key)).await.map_err(unavailable)?;
        found.bytes().await.map_err(unavailable)
    }

    /// Reads `key` through: its size, SHA-256 and sniffed type.
    pub async fn digest(&self, key: &str) -> ApiResult<Digest> {
        let mut bytes = self.read(key, None).await?;
        let mut digester = Digester::default();
        while let Some(chunk) = bytes.next().await {
            let chunk = chunk.map_err(|error| {
                tracing::warn!(%error, key, "reading a file back");
                ApiError::unavailable("file storage is unavailable")
            })?;
            digester.feed(&chunk);
        }
        Ok(digester.finish())
    }
}

/// What a file's bytes come to.
pub struct Digest {
    pub size: u64,
    /// Hex.
    pub sha256: String,
    pub content_type: String,
    /// The size a picture's header declares, when its first 8 KiB hold it.
    pub dimensions: Option<(u32, u32)>,
}

/// Counts, hashes and sniffs bytes as they pass.
#[derive(Default)]
pub struct Digester {
    size: u64,
    sniffer: Sniffer,
    hash: sha2::Sha256,
}

impl Digester {
    pub fn feed(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        self.sniffer.feed(chunk);
        sha2::Digest::update(&mut self.hash, chunk);
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The type, once the bytes so far tell it.
    pub fn content_type(&self) -> Option<&'static str> {
        self.sniffer.content_type()
    }

    pub fn finish(self) -> Digest {
        let sha256 = sha2::Digest::finalize(self.hash)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let content_type = self.sniffer.finish();
        let dimensions = content_type
            .starts_with("image/")
            .then(|| hybrid_media::dimensions(self.sniffer.head()))
            .flatten();
        Digest {
            size: self.size,
            sha256,
            content_type: content_type.to_owned(),
            dimensions,
        }
    }
}

/// Where part `index` of a local resumable upload to `key` waits.
fn part_key(key: &str, index: usize) -> String {
    format!("{key}.part{index:05}")
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
            Range::From(start, end) => Some(start..end.map_or(size, |end| end.saturating_add(1).min(size))),
            // no bytes to end with in an empty file (RFC 9110: unsatisfiable)
            Range::Last(0) => None,
            Range::Last(_) if size == 0 => None,
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
        // found by the property below: a suffix of an empty file was 206 with `bytes 0--1/0`
        assert_eq!(Range::Last(1).resolve(0), None);
        assert_eq!(Range::From(0, Some(u64::MAX)).resolve(10), Some(0..10));
    }
}

/// Ranges from arbitrary headers (proptest): parsing never panics, and what resolves lies
/// inside the file and is not empty.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_header_parses_without_panic(header in ".{0,40}") {
            let _ = Range::parse(&header);
        }

        #[test]
        fn resolved_ranges_lie_inside_the_file(
            start in any::<u64>(),
            end in proptest::option::of(any::<u64>()),
            last in any::<u64>(),
            size in prop_oneof![0..100u64, any::<u64>()],
            suffix in any::<bool>(),
        ) {
            let header = match (suffix, end) {
                (true, _) => format!("bytes=-{last}"),
                (false, Some(end)) => format!("bytes={start}-{end}"),
                (false, None) => format!("bytes={start}-"),
            };
            if let Some(range) = Range::parse(&header).and_then(|r| r.resolve(size)) {
                prop_assert!(range.start < range.end, "{header} in {size}: {range:?}");
                prop_assert!(range.end <= size, "{header} in {size}: {range:?}");
            }
        }
    }
}
