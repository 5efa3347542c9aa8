/**
 * Pictures for the end-to-end tests, made here so the tests need no files: a plain PNG
 * (pngjs), a photo with EXIF (an orientation and a GPS directory) and a decompression bomb,
 * built byte by byte as `crates/media/src/fixtures.rs` builds them. The photo's JPEG pixels
 * come from the browser's canvas encoder (Node has none). And two ways to look at a picture
 * drawn in the page: when it is drawn, and its colour at a point.
 */
import { PNG } from 'pngjs';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** What the GPS directory of `withExif` holds (its map datum): no stored variant may contain it. */
export const GPS_MARKER = Buffer.from('HYBRIDGPS');

/** A `width`×`height` PNG: an orange-to-blue gradient. */
export function gradientPng(width: number, height: number): Buffer {
  const img = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) img.data.set([240 - x, 120, 30 + x, 255], (y * width + x) * 4);
  }
  return PNG.sync.write(img);
}

/** A `width`×`height` JPEG, its left half red and its right half blue, encoded by the page's canvas. */
export async function halvesJpeg(page: Page, width: number, height: number): Promise<Buffer> {
  const b64 = await page.evaluate(
    ({ width, height }) => {
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('no 2D canvas');
      ctx.fillStyle = 'rgb(230, 20, 20)';
      ctx.fillRect(0, 0, width / 2, height);
      ctx.fillStyle = 'rgb(20, 20, 230)';
      ctx.fillRect(width / 2, 0, width - width / 2, height);
      return canvas.toDataURL('image/jpeg', 0.95).split(',')[1] ?? '';
    },
    { width, height },
  );
  return Buffer.from(b64, 'base64');
}

const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number) => Buffer.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

/** One IFD entry: tag, type, count and a four-byte value (or offset). */
const entry = (tag: number, kind: number, count: number, value: Buffer) => Buffer.concat([u16(tag), u16(kind), u32(count), value]);

/**
 * `Exif\0\0` and a big-endian TIFF: IFD0 with the orientation and a GPS pointer, then the GPS
 * directory with one ASCII entry (the map datum, `HYBRIDGPS`).
 */
export function exif(orientation: number): Buffer {
  const gpsAt = 8 + 2 + 2 * 12 + 4;
  const datumAt = gpsAt + 2 + 12 + 4;
  const tiff = Buffer.concat([
    Buffer.from('MM\0\x2a\0\0\0\x08', 'latin1'),
    u16(2),
    entry(0x0112, 3, 1, Buffer.concat([u16(orientation), u16(0)])),
    entry(0x8825, 4, 1, u32(gpsAt)),
    u32(0),
    u16(1),
    entry(0x0012, 2, 10, u32(datumAt)),
    u32(0),
    Buffer.concat([GPS_MARKER, Buffer.from([0])]),
  ]);
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

/** `jpeg` with an APP1 segment holding `exif(orientation)` right after the start-of-image marker. */
export function withExif(jpeg: Buffer, orientation: number): Buffer {
  const block = exif(orientation);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), u16(block.length + 2), block]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

function crc32(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return ~crc >>> 0;
}

/** A PNG that claims `width`×`height` pixels and holds almost nothing: a bomb. */
export function bomb(width: number, height: number): Buffer {
  const chunk = (kind: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(kind, 'latin1'), data]);
    return Buffer.concat([u32(data.length), body, u32(crc32(body))]);
  };
  const header = Buffer.concat([u32(width), u32(height), Buffer.from([8, 2, 0, 0, 0])]);
  // an empty zlib stream
  const data = Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', header), chunk('IDAT', data), chunk('IEND', Buffer.alloc(0))]);
}

/** Waits until the picture `img` (one element) has been drawn from an address matching `src`; returns its natural size. */
export async function drawn(img: Locator, src = /./): Promise<{ width: number; height: number; src: string }> {
  const read = () => img.evaluate((el: HTMLImageElement) => ({ ok: el.complete && el.naturalWidth > 0, width: el.naturalWidth, height: el.naturalHeight, src: el.getAttribute('src') ?? '' }));
  await img.waitFor();
  await expect.poll(async () => ((r) => r.ok && src.test(r.src))(await read()), { timeout: 20_000 }).toBe(true);
  const { width, height, src: at } = await read();
  return { width, height, src: at };
}

/** The colour of the drawn picture at (x, y) as fractions of its size: [r, g, b]. */
export async function colourAt(img: Locator, x: number, y: number): Promise<number[]> {
  return img.evaluate(
    (el: HTMLImageElement, [fx, fy]) => {
      const c = document.createElement('canvas');
      c.width = el.naturalWidth;
      c.height = el.naturalHeight;
      const ctx = c.getContext('2d');
      ctx?.drawImage(el, 0, 0);
      return [...(ctx?.getImageData(Math.floor(c.width * (fx ?? 0)), Math.floor(c.height * (fy ?? 0)), 1, 1).data ?? [])].slice(0, 3);
    },
    [x, y],
  );
}
