use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How hard SQLite syncs to disk. `OFF` is deliberately not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Synchronous {
    /// Survives power loss: every commit (batch) is fsynced.
    Full,
    /// Survives a process crash; the last commits may be lost on power loss.
    Normal,
}

/// Where a module's data lives and how hard to push it. Filled from the `[database]` config
/// section by the binary.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Empty for embedded SQLite files in `data_dir`; a `postgres://` URL for PostgreSQL.
    pub url: String,
    pub data_dir: PathBuf,
    /// PostgreSQL: connections per module. SQLite: readers per module (the writer is extra).
    pub max_connections: u32,
    /// SQLite: writes waiting for the writer before new ones are refused with `Busy`.
    pub write_queue_capacity: usize,
    /// SQLite: most writes committed in one transaction.
    pub max_batch: usize,
    /// SQLite `PRAGMA synchronous`. Never `OFF`.
    pub sqlite_synchronous: Synchronous,
}

impl StoreConfig {
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        StoreConfig {
            url: String::new(),
            data_dir: data_dir.into(),
            max_connections: 4,
            write_queue_capacity: 4096,
            max_batch: 256,
            sqlite_synchronous: Synchronous::Full,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres://") || self.url.starts_with("postgresql://")
    }
}
