//! The `[files]` settings (`HYBRID_FILES__*`), documented in docs/configuration.md.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesConfig {
    /// The largest file, in bytes (2 GiB).
    pub max_file_bytes: u64,
    /// The largest image, in bytes (50 MiB): images are decoded for previews later, so
    /// they get a tighter limit than documents.
    pub max_image_bytes: u64,
    /// The most pixels a picture may have to be processed (50 million): a picture declaring
    /// more is refused at upload (`422 image_too_large`), a decompression bomb included.
    pub max_image_pixels: u64,
    /// The ffmpeg and ffprobe programs that read sound and video (a name looked up in `PATH`,
    /// or a path). Without them such files stay unprocessed (their media `failed`).
    pub ffmpeg: String,
    pub ffprobe: String,
    /// What one user may keep in all, in bytes (10 GiB).
    pub quota_bytes: u64,
    /// How long a signed download link works, in seconds (10 minutes).
    pub link_ttl_secs: u64,
    /// How long a resumable upload waits for its next bytes, in seconds (24 hours): then
    /// it is cleaned away.
    pub upload_ttl_secs: u64,
    /// When the cleanup job runs (expired uploads, orphans, deleted files' bytes): a cron
    /// pattern in UTC (every 10 minutes).
    pub cleanup_cron: String,
    /// How long a file uploaded to attach may wait for a message to carry it, in seconds
    /// (24 hours): then the cleanup job removes it.
    pub orphan_grace_secs: u64,
    /// How long an attach token works, in seconds (1 hour); asking for the file again gives a
    /// fresh one, until the file is near its orphan grace.
    pub attach_token_ttl_secs: u64,
    /// `local` (files under `dir`) or `s3` (a bucket, below).
    pub storage: String,
    /// Where files are kept on local disk; empty: `<data_dir>/files`.
    pub dir: String,
    /// The bucket, on S3 or a server speaking its API. Unset `s3_*` values come from the
    /// `AWS_*` environment variables (keep the secret there).
    pub s3_bucket: String,
    /// Empty: AWS's own endpoint for the region. `http://` works too (a test server).
    pub s3_endpoint: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    /// `bucket.host/key` addressing instead of `host/bucket/key` (path style, the default,
    /// which MinIO and moto expect).
    pub s3_virtual_hosted: bool,
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig {
            max_file_bytes: 2 << 30,
            max_image_bytes: 50 << 20,
            max_image_pixels: 50_000_000,
            ffmpeg: "ffmpeg".into(),
            ffprobe: "ffprobe".into(),
            quota_bytes: 10 << 30,
            link_ttl_secs: 600,
            upload_ttl_secs: 24 * 3600,
            cleanup_cron: "*/10 * * * *".into(),
            orphan_grace_secs: 24 * 3600,
            attach_token_ttl_secs: 3600,
            storage: "local".into(),
            dir: String::new(),
            s3_bucket: String::new(),
            s3_endpoint: String::new(),
            s3_region: String::new(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            s3_virtual_hosted: false,
        }
    }
}
