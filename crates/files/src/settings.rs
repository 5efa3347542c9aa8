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
    /// What one user may keep in all, in bytes (10 GiB).
    pub quota_bytes: u64,
    /// How long a signed download link works, in seconds (10 minutes).
    pub link_ttl_secs: u64,
    /// Where files are kept on local disk; empty: `<data_dir>/files`.
    pub dir: String,
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig {
            max_file_bytes: 2 << 30,
            max_image_bytes: 50 << 20,
            quota_bytes: 10 << 30,
            link_ttl_secs: 600,
            dir: String::new(),
        }
    }
}
