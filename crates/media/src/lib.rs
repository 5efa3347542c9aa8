//! Media processing for Hybrid ([docs/files.md](../../../docs/files.md), "Media"). Today the
//! image pipeline, [`process_image`]: decoded under limits (a decompression bomb is refused
//! before its pixels are allocated), turned upright by its EXIF orientation, stripped of its
//! metadata (GPS positions included), measured, given a blurhash and thumbnails. The media
//! service's jobs (processing each uploaded picture, then updating the cards of the messages
//! that carry it) are built on it.
//!
//! Everything here is synchronous and CPU-bound: callers run it on a blocking thread, one
//! image at a time per worker.

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
mod picture;

pub use picture::{Limits, MediaError, Processed, THUMBNAIL_SIDES, Thumbnail, dimensions, process_image};
