//! Media processing for Hybrid ([docs/files.md](../../../docs/files.md), "Pictures", "Sound
//! and video"), a library the files service's `files-media` job runs:
//!
//! - `picture.rs`, [`process_image`]: decoded under limits (a decompression bomb is refused
//!   before its pixels are allocated), turned upright by its EXIF orientation, stripped of its
//!   metadata (GPS positions included), cut to its centred square when it is an avatar,
//!   measured, given a blurhash and thumbnails;
//! - `av.rs`, [`probe`], [`waveform`], [`poster`], [`strip_metadata`]: sound and video read
//!   (and copied without their metadata) by ffmpeg in a
//!   sandboxed subprocess;
//! - `fixtures.rs` (feature `fixtures`): pictures for tests.
//!
//! Everything here is synchronous and blocking: callers run it on a blocking thread.

mod av;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
mod picture;

pub use av::{AvLimits, Probe, WAVEFORM_BARS, poster, probe, strip_metadata, waveform};
pub use picture::{
    AVATAR_SIDES, Limits, MediaError, Processed, Shape, THUMBNAIL_SIDES, Thumbnail, dimensions, process_image,
};
