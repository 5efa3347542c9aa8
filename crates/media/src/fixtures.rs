//! Pictures for tests, here and in other crates' (feature `fixtures`): a photo with EXIF
//! (an orientation and a GPS directory) and a decompression bomb, built byte by byte so the
//! tests need no files.

use std::path::{Path, PathBuf};

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, Rgb, RgbImage};

/// What the GPS directory of [`photo`] holds (its map datum): no stored variant may contain it.
pub const GPS_MARKER: &[u8] = b"HYBRIDGPS";

/// A `width`×`height` JPEG, its left half red and its right half blue, with an EXIF block
/// holding `orientation` and a GPS directory whose map datum reads `HYBRIDGPS`.
pub fn photo(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    });
    let mut plain = Vec::new();
    JpegEncoder::new_with_quality(&mut plain, 95)
        .encode_image(&DynamicImage::ImageRgb8(pixels))
        .unwrap();
    let exif = exif(orientation);
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    app1.extend_from_slice(&exif);
    // right after the start-of-image marker
    [&plain[..2], &app1, &plain[2..]].concat()
}

/// `Exif\0\0` and a big-endian TIFF: IFD0 with the orientation and a GPS pointer, then
/// the GPS directory with one ASCII entry.
fn exif(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        [
            &tag.to_be_bytes()[..],
            &kind.to_be_bytes(),
            &count.to_be_bytes(),
            &value,
        ]
        .concat()
    };
    let gps_at: u32 = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&2u16.to_be_bytes());
    let [a, b] = orientation.to_be_bytes();
    tiff.extend(entry(0x0112, 3, 1, [a, b, 0, 0]));
    tiff.extend(entry(0x8825, 4, 1, gps_at.to_be_bytes()));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let datum_at: u32 = gps_at + 2 + 12 + 4;
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend(entry(0x0012, 2, 10, datum_at.to_be_bytes()));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(b"HYBRIDGPS\0");
    [&b"Exif\0\0"[..], &tiff].concat()
}

/// A PNG that claims `width`×`height` pixels and holds almost nothing: a bomb.
pub fn bomb(width: u32, height: u32) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let body = [kind, data].concat();
        [
            &u32::try_from(data.len()).unwrap().to_be_bytes()[..],
            &body,
            &crc32(&body).to_be_bytes(),
        ]
        .concat()
    };
    let header = [&width.to_be_bytes()[..], &height.to_be_bytes(), &[8, 2, 0, 0, 0]].concat();
    // an empty zlib stream
    let data = [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];
    [
        &b"\x89PNG\r\n\x1a\n"[..],
        &chunk(b"IHDR", &header),
        &chunk(b"IDAT", &data),
        &chunk(b"IEND", &[]),
    ]
    .concat()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A sound or video file made by ffmpeg from one of its generators (`lavfi` inputs in
/// `args`), written to `dir/name`.
pub fn generated(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(&path)
        .status()
        .expect("ffmpeg is installed (scripts/backends.sh ensure_tools)");
    assert!(status.success(), "making {name}");
    path
}
