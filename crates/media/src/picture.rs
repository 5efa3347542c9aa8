//! One picture in, everything clients need out: the upright original without metadata, its
//! size, a blurhash placeholder and thumbnails (WebP, with JPEG for clients without WebP).

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};

/// The long side of each thumbnail, in pixels: a chat bubble, and a full-screen view. A
/// picture smaller than a side gets no thumbnail of that side (but always the first).
pub const THUMBNAIL_SIDES: [u32; 2] = [320, 1280];
/// The sides of an avatar's thumbnails: beside a name in a list, and a profile's own picture.
pub const AVATAR_SIDES: [u32; 2] = [128, 512];
/// JPEG quality of a re-encoded original, and of thumbnails.
const ORIGINAL_QUALITY: u8 = 92;
const THUMBNAIL_QUALITY: u8 = 80;
/// Blurhash components across and down (the usual 4 × 3), from a picture this small.
const BLURHASH_COMPONENTS: (u32, u32) = (4, 3);
const BLURHASH_SOURCE_SIDE: u32 = 64;

/// What a picture may cost to decode. The header is read first: a picture past these is
/// refused before any pixel is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Pixels (width × height) of one frame.
    pub max_pixels: u64,
    /// Either side, in pixels.
    pub max_side: u32,
    /// Bytes the decoder may allocate.
    pub max_alloc: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: 50_000_000,
            max_side: 20_000,
            max_alloc: 512 << 20,
        }
    }
}

/// What a picture is made into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// As it is, with thumbnails of [`THUMBNAIL_SIDES`].
    AsIs,
    /// An avatar: its centred square, with thumbnails of [`AVATAR_SIDES`]. Clients crop it
    /// themselves before uploading; this keeps one that did not from being stretched.
    Square,
}

/// A processed picture.
#[derive(Debug, Clone)]
pub struct Processed {
    /// `image/jpeg`, `image/png`, `image/gif` or `image/webp`.
    pub content_type: &'static str,
    /// Upright: after the EXIF orientation is applied.
    pub width: u32,
    pub height: u32,
    /// A GIF with more than one frame (the thumbnails show its first).
    pub animated: bool,
    pub blurhash: String,
    /// The bytes to keep instead of the upload's: upright and without metadata, in the same
    /// format. `None` when the upload has neither metadata nor an orientation to apply.
    pub cleaned: Option<Vec<u8>>,
    /// Smallest first.
    pub thumbnails: Vec<Thumbnail>,
}

#[derive(Debug, Clone)]
pub struct Thumbnail {
    /// The long side it was made for ([`THUMBNAIL_SIDES`] or [`AVATAR_SIDES`]).
    pub side: u32,
    pub width: u32,
    pub height: u32,
    /// Lossless WebP (the `image` crate encodes no lossy WebP).
    pub webp: Vec<u8>,
    pub jpeg: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    #[error("not a picture this server reads (JPEG, PNG, GIF, WebP)")]
    Unsupported,
    #[error("the picture is {width}×{height} pixels: at most {max} pixels are processed")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    /// Past a side or the memory a decode may take.
    #[error("the picture is too large to process: {0}")]
    TooLarge(String),
    #[error("the file could not be read: {0}")]
    Corrupt(String),
    /// The tool that would read it is missing or failed to run: retrying may help.
    #[error("media processing is unavailable: {0}")]
    Unavailable(String),
}

impl Limits {
    /// Refuses a picture of `width`×`height` pixels that is past the limits.
    pub fn check(&self, width: u32, height: u32) -> Result<(), MediaError> {
        if width > self.max_side || height > self.max_side {
            return Err(MediaError::TooLarge(format!(
                "{width}×{height} pixels: at most {} pixels a side",
                self.max_side
            )));
        }
        if u64::from(width) * u64::from(height) > self.max_pixels {
            return Err(MediaError::TooManyPixels {
                width,
                height,
                max: self.max_pixels,
            });
        }
        Ok(())
    }
}

/// The size a picture's header declares, when `head` (its first bytes) holds the header: what
/// an upload is checked against before anything decodes it.
pub fn dimensions(head: &[u8]) -> Option<(u32, u32)> {
    ImageReader::new(Cursor::new(head))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}

/// Processes the picture in `bytes` within `limits` into `shape`.
pub fn process_image(bytes: &[u8], limits: &Limits, shape: Shape) -> Result<Processed, MediaError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    let format = reader.format().ok_or(MediaError::Unsupported)?;
    let content_type = match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::Png => "image/png",
        ImageFormat::Gif => "image/gif",
        ImageFormat::WebP => "image/webp",
        _ => return Err(MediaError::Unsupported),
    };
    reader.limits(decoder_limits(limits));
    let mut decoder = reader.into_decoder().map_err(|e| refused(e, limits))?;
    let (width, height) = decoder.dimensions();
    limits.check(width, height)?;
    // the decoded pixels themselves (the decoder's own limit covers only its buffers)
    if decoder.total_bytes() > limits.max_alloc {
        return Err(MediaError::TooLarge(format!(
            "its pixels take {} MiB: at most {} MiB are decoded",
            decoder.total_bytes() >> 20,
            limits.max_alloc >> 20
        )));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let has_metadata =
        decoder.exif_metadata().ok().flatten().is_some() || decoder.xmp_metadata().ok().flatten().is_some();
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| refused(e, limits))?;
    picture.apply_orientation(orientation);
    let animated = format == ImageFormat::Gif && has_frames(bytes, limits, 2);
    let (cropped, sides) = match shape {
        Shape::AsIs => (false, THUMBNAIL_SIDES),
        Shape::Square => (crop_to_square(&mut picture), AVATAR_SIDES),
    };
    let cleaned = if has_metadata || orientation != Orientation::NoTransforms || cropped {
        Some(encode_as(&picture, format)?)
    } else {
        None
    };
    let thumbnails = thumbnails(&picture, sides)?;
    Ok(Processed {
        content_type,
        width: picture.width(),
        height: picture.height(),
        animated,
        blurhash: blurhash_of(&picture)?,
        cleaned,
        thumbnails,
    })
}

fn decoder_limits(limits: &Limits) -> image::Limits {
    let mut decoder = image::Limits::default();
    decoder.max_image_width = Some(limits.max_side);
    decoder.max_image_height = Some(limits.max_side);
    decoder.max_alloc = Some(limits.max_alloc);
    decoder
}

/// A decoder's refusal: past a limit, or bytes it cannot read.
fn refused(error: ImageError, limits: &Limits) -> MediaError {
    match error {
        ImageError::Limits(_) => MediaError::TooLarge(format!(
            "at most {} pixels a side and {} MiB to decode",
            limits.max_side,
            limits.max_alloc >> 20
        )),
        ImageError::Unsupported(_) => MediaError::Unsupported,
        other => MediaError::Corrupt(other.to_string()),
    }
}

/// Whether a GIF has at least `count` frames (decoding stops there).
fn has_frames(bytes: &[u8], limits: &Limits, count: usize) -> bool {
    let Ok(mut decoder) = GifDecoder::new(Cursor::new(bytes)) else {
        return false;
    };
    if decoder.set_limits(decoder_limits(limits)).is_err() {
        return false;
    }
    decoder.into_frames().take(count).filter(Result::is_ok).count() == count
}

/// `picture` in `format`, with nothing but its pixels (the encoders write no metadata).
fn encode_as(picture: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, MediaError> {
    match format {
        ImageFormat::Jpeg => jpeg(picture, ORIGINAL_QUALITY),
        ImageFormat::WebP => webp(picture),
        other => {
            let mut out = Cursor::new(Vec::new());
            picture.write_to(&mut out, other).map_err(encoding)?;
            Ok(out.into_inner())
        }
    }
}

fn jpeg(picture: &DynamicImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&DynamicImage::ImageRgb8(picture.to_rgb8()))
        .map_err(encoding)?;
    Ok(out)
}

fn webp(picture: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let rgba = picture.to_rgba8();
    WebPEncoder::new_lossless(&mut out)
        .encode(
            rgba.as_raw(),
            rgba.width(),
            rgba.height(),
            image::ExtendedColorType::Rgba8,
        )
        .map_err(encoding)?;
    Ok(out)
}

fn encoding(error: ImageError) -> MediaError {
    MediaError::Corrupt(format!("re-encoding failed: {error}"))
}

/// Cuts `picture` down to its centred square; whether it had to.
fn crop_to_square(picture: &mut DynamicImage) -> bool {
    let (width, height) = (picture.width(), picture.height());
    let side = width.min(height);
    if width == height {
        return false;
    }
    *picture = picture.crop_imm((width - side) / 2, (height - side) / 2, side, side);
    true
}

fn thumbnails(picture: &DynamicImage, sides: [u32; 2]) -> Result<Vec<Thumbnail>, MediaError> {
    let long_side = picture.width().max(picture.height());
    let mut made = Vec::new();
    for (i, side) in sides.into_iter().enumerate() {
        if i > 0 && long_side <= side {
            break;
        }
        let thumb = if long_side > side {
            picture.resize(side, side, FilterType::Triangle)
        } else {
            picture.clone()
        };
        made.push(Thumbnail {
            side,
            width: thumb.width(),
            height: thumb.height(),
            webp: webp(&thumb)?,
            jpeg: jpeg(&thumb, THUMBNAIL_QUALITY)?,
        });
    }
    Ok(made)
}

fn blurhash_of(picture: &DynamicImage) -> Result<String, MediaError> {
    let small = picture.thumbnail(BLURHASH_SOURCE_SIDE, BLURHASH_SOURCE_SIDE).to_rgba8();
    let (x, y) = BLURHASH_COMPONENTS;
    blurhash::encode(x, y, small.width(), small.height(), small.as_raw())
        .map_err(|e| MediaError::Corrupt(format!("blurhash: {e:?}")))
}

#[cfg(test)]
mod tests {
    use image::{GenericImageView, Rgb, RgbImage};

    use super::*;
    use crate::fixtures::{GPS_MARKER, bomb, photo};

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Whether the pixel at (x, y) of `bytes` is mostly red (else mostly blue).
    fn red_at(bytes: &[u8], x: u32, y: u32) -> bool {
        let [r, _, b, _] = image::load_from_memory(bytes).unwrap().get_pixel(x, y).0;
        assert!(r.abs_diff(b) > 100, "neither red nor blue at {x},{y}: {r} {b}");
        r > b
    }

    #[test]
    fn a_rotated_photo_comes_back_upright_without_its_gps() {
        let original = photo(40, 20, 6);
        assert!(contains(&original, GPS_MARKER));
        let done = process_image(&original, &Limits::default(), Shape::AsIs).unwrap();
        assert_eq!((done.content_type, done.width, done.height), ("image/jpeg", 20, 40));
        let cleaned = done
            .cleaned
            .expect("metadata and a rotation: the original is rewritten");
        // turned 90° clockwise: the red left half is now the top
        assert!(red_at(&cleaned, 10, 5));
        assert!(!red_at(&cleaned, 10, 35));
        let mut stored = vec![cleaned];
        for thumb in &done.thumbnails {
            assert_eq!((thumb.width, thumb.height), (20, 40));
            stored.extend([thumb.webp.clone(), thumb.jpeg.clone()]);
        }
        for bytes in &stored {
            assert!(!contains(bytes, GPS_MARKER) && !contains(bytes, b"Exif"));
            assert!(red_at(bytes, 10, 5));
        }
    }

    #[test]
    fn a_plain_picture_is_kept_and_measured() {
        let mut png = Vec::new();
        let picture = RgbImage::from_fn(2000, 1000, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        DynamicImage::ImageRgb8(picture)
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let done = process_image(&png, &Limits::default(), Shape::AsIs).unwrap();
        assert_eq!((done.content_type, done.width, done.height), ("image/png", 2000, 1000));
        assert!(done.cleaned.is_none(), "nothing to strip, nothing to turn");
        assert!(!done.animated);
        assert_eq!(done.blurhash.len(), 28, "{}", done.blurhash);
        let sizes: Vec<_> = done.thumbnails.iter().map(|t| (t.side, t.width, t.height)).collect();
        assert_eq!(sizes, [(320, 320, 160), (1280, 1280, 640)]);
        for thumb in &done.thumbnails {
            let webp = image::load_from_memory_with_format(&thumb.webp, ImageFormat::WebP).unwrap();
            let jpeg = image::load_from_memory_with_format(&thumb.jpeg, ImageFormat::Jpeg).unwrap();
            assert_eq!(webp.dimensions(), (thumb.width, thumb.height));
            assert_eq!(jpeg.dimensions(), (thumb.width, thumb.height));
        }
        // a small picture: one thumbnail, at its own size
        let small = photo(100, 50, 1);
        let done = process_image(&small, &Limits::default(), Shape::AsIs).unwrap();
        let sizes: Vec<_> = done.thumbnails.iter().map(|t| (t.side, t.width, t.height)).collect();
        assert_eq!(sizes, [(320, 100, 50)]);
        assert!(done.cleaned.is_some(), "it had EXIF");
    }

    #[test]
    fn an_avatar_is_its_centred_square_turned_upright() {
        // 40×20 with orientation 6: upright it is 20 wide, 40 tall, red on top; the centred
        // square is the middle 20×20, whose top half is red
        let done = process_image(&photo(40, 20, 6), &Limits::default(), Shape::Square).unwrap();
        assert_eq!((done.width, done.height), (20, 20));
        let cleaned = done.cleaned.expect("cropped: the original is rewritten");
        assert!(!contains(&cleaned, GPS_MARKER));
        assert!(red_at(&cleaned, 10, 4) && !red_at(&cleaned, 10, 15));
        let sizes: Vec<_> = done.thumbnails.iter().map(|t| (t.side, t.width, t.height)).collect();
        assert_eq!(sizes, [(AVATAR_SIDES[0], 20, 20)]);
        // a large wide picture: its middle, at both avatar sides
        let mut png = Vec::new();
        let wide = RgbImage::from_fn(1200, 600, |x, _| {
            if x < 300 || x >= 900 {
                Rgb([0, 0, 255])
            } else {
                Rgb([255, 0, 0])
            }
        });
        DynamicImage::ImageRgb8(wide)
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let done = process_image(&png, &Limits::default(), Shape::Square).unwrap();
        assert_eq!((done.width, done.height), (600, 600));
        let sizes: Vec<_> = done.thumbnails.iter().map(|t| (t.side, t.width, t.height)).collect();
        assert_eq!(sizes, [(128, 128, 128), (512, 512, 512)]);
        for thumb in &done.thumbnails {
            // the blue sides were cut away: red at both edges
            assert!(red_at(&thumb.webp, 1, thumb.height / 2) && red_at(&thumb.webp, thumb.width - 2, thumb.height / 2));
        }
        // an upload that is already square and clean is kept as it is
        let mut square = Vec::new();
        DynamicImage::ImageRgb8(RgbImage::from_pixel(64, 64, Rgb([255, 0, 0])))
            .write_to(&mut Cursor::new(&mut square), ImageFormat::Png)
            .unwrap();
        assert!(
            process_image(&square, &Limits::default(), Shape::Square)
                .unwrap()
                .cleaned
                .is_none()
        );
    }

    #[test]
    fn an_animated_gif_is_marked_and_shown_by_its_first_frame() {
        let mut gif = Vec::new();
        {
            let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
            for colour in [[255, 0, 0, 255], [0, 0, 255, 255]] {
                let frame = image::RgbaImage::from_pixel(30, 30, image::Rgba(colour));
                encoder.encode_frame(image::Frame::new(frame)).unwrap();
            }
        }
        let done = process_image(&gif, &Limits::default(), Shape::AsIs).unwrap();
        assert_eq!((done.content_type, done.animated), ("image/gif", true));
        assert!(red_at(&done.thumbnails[0].jpeg, 15, 15), "the first frame");
    }

    #[test]
    fn bombs_are_refused_before_their_pixels_are_allocated() {
        let limits = Limits::default();
        assert_eq!(
            process_image(&bomb(10_000, 10_000), &limits, Shape::AsIs).unwrap_err(),
            MediaError::TooManyPixels {
                width: 10_000,
                height: 10_000,
                max: 50_000_000
            }
        );
        assert!(matches!(
            process_image(&bomb(100_000, 100), &limits, Shape::AsIs),
            Err(MediaError::TooLarge(_))
        ));
        let tight = Limits {
            max_alloc: 1 << 20,
            ..limits
        };
        let refused = process_image(&bomb(1000, 1000), &tight, Shape::AsIs);
        assert!(matches!(refused, Err(MediaError::TooLarge(_))), "{refused:?}");
    }

    #[test]
    fn a_header_tells_the_size_before_any_decoding() {
        assert_eq!(dimensions(&bomb(10_000, 10_000)), Some((10_000, 10_000)));
        assert_eq!(dimensions(&photo(40, 20, 6)), Some((40, 20)));
        assert_eq!(dimensions(b"hello"), None);
        assert!(Limits::default().check(10_000, 10_000).is_err());
        assert!(Limits::default().check(4000, 3000).is_ok());
    }

    #[test]
    fn what_is_not_a_picture_is_refused_clearly() {
        assert_eq!(
            process_image(b"hello, world", &Limits::default(), Shape::AsIs).unwrap_err(),
            MediaError::Unsupported
        );
        // a JPEG's signature, then nothing a decoder can use
        let broken = b"\xFF\xD8\xFF\xE0 not really a picture";
        assert!(matches!(
            process_image(broken, &Limits::default(), Shape::AsIs),
            Err(MediaError::Corrupt(_))
        ));
    }
}
