/**
 * A file in a message: the card chats keeps for it (`attachment` with `type: "file"` and
 * `service: "files"`, its preview `{name, size, content_type}`, and for a picture `media`
 * once the server has looked at it: docs/files.md, "Pictures"), read defensively since the
 * preview is the owning service's JSON.
 */
import type { Attachment, Media, ThumbnailInfo } from '../../api/types';

/** What a message shows of a file without asking for it. */
export interface FilePreview {
  name: string;
  size: number;
  content_type: string;
  /** A picture's processing: pending, then ready (size, blurhash, thumbnails) or failed. */
  media?: Media;
}

/** A file a message carries: its id at the files service, its card's version and its preview. */
export interface AttachedFile extends FilePreview {
  id: number;
  version: number;
}

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

function readThumbnail(raw: unknown): ThumbnailInfo | null {
  const t = raw as Record<string, unknown> | null;
  if (!t || typeof t !== 'object' || !isSize(t.side) || !isSize(t.width) || !isSize(t.height)) return null;
  return { side: t.side, width: t.width, height: t.height };
}

/** A preview's `media`, or undefined when it has none (or none that makes sense). */
export function readMedia(raw: unknown): Media | undefined {
  const m = raw as Record<string, unknown> | null | undefined;
  if (!m || typeof m !== 'object') return undefined;
  if (m.state === 'pending') return { state: 'pending' };
  if (m.state === 'failed') return { state: 'failed', error: typeof m.error === 'string' ? m.error : null };
  if (m.state !== 'ready') return undefined;
  const duration = typeof m.duration_ms === 'number' && Number.isFinite(m.duration_ms) && m.duration_ms >= 0 ? { duration_ms: m.duration_ms } : {};
  const bars = Array.isArray(m.waveform) ? m.waveform.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)) : [];
  const waveform = bars.length ? { waveform: bars.map((v) => Math.min(100, Math.max(0, v))) } : {};
  // Sound has no size: its length and waveform only.
  if (!isSize(m.width) || !isSize(m.height)) return 'duration_ms' in duration || bars.length ? { state: 'ready', ...duration, ...waveform } : undefined;
  const thumbnails = (Array.isArray(m.thumbnails) ? m.thumbnails : []).map(readThumbnail).filter((t) => t !== null);
  return {
    state: 'ready',
    width: m.width,
    height: m.height,
    blurhash: typeof m.blurhash === 'string' ? m.blurhash : null,
    animated: m.animated === true,
    thumbnails: thumbnails.sort((a, b) => a.side - b.side),
    ...duration,
  };
}

/** The file a message's card stands for, or null when the card is something else. */
export function attachedFile(a: Attachment | null | undefined): AttachedFile | null {
  if (!a || a.type !== 'file' || a.service !== 'files') return null;
  const id = Number(a.object_id);
  const p = a.preview as Record<string, unknown>;
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const media = readMedia(p.media);
  return {
    id,
    version: typeof a.version === 'number' ? a.version : 1,
    name: typeof p.name === 'string' && p.name ? p.name : 'file',
    size: typeof p.size === 'number' && p.size >= 0 ? p.size : 0,
    content_type: typeof p.content_type === 'string' ? p.content_type : 'application/octet-stream',
    ...(media ? { media } : {}),
  };
}

/** Whether the browser may show it as a picture. */
export function isImage(f: Pick<FilePreview, 'content_type'>): boolean {
  return f.content_type.startsWith('image/');
}

/**
 * How a picture card shows a file: `processed` from its thumbnails (the server has measured
 * it), `original` from the file itself (not processed yet, or a type the server does not
 * process), or `none` (not a picture, or one the server could not read: the plain card).
 */
export function pictureKind(f: FilePreview): 'processed' | 'original' | 'none' {
  if (!isImage(f)) return 'none';
  const state = f.media?.state;
  if (state === 'ready') return 'processed';
  return state === 'failed' ? 'none' : 'original';
}

/**
 * How a card plays a file: `sound` (a waveform, or any audio/*; a voice message recorded by a
 * browser is WebM, which the server reads as video/webm but finds no picture in), `video`, or
 * `none` (anything else, or media the server could not read).
 */
export function playKind(f: FilePreview): 'sound' | 'video' | 'none' {
  if (f.media?.state === 'failed') return 'none';
  if (f.media?.waveform?.length || f.content_type.startsWith('audio/')) return 'sound';
  return f.content_type.startsWith('video/') ? 'video' : 'none';
}

/** How long it plays, `m:ss` (`h:mm:ss` from an hour). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = String(total % 60).padStart(2, '0');
  const m = Math.floor(total / 60);
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A processed picture's size, once ready. */
export function readySize(media: Media | undefined): { width: number; height: number } | null {
  return media?.state === 'ready' && media.width && media.height ? { width: media.width, height: media.height } : null;
}

/** The size a `width`×`height` picture is shown at within `max`×`max` (its shape kept, never enlarged). */
export function fitBox(width: number, height: number, max: number): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * The thumbnail a view of `side` pixels reads: the one made for that side, else (`orSmaller`)
 * the largest smaller one; null when there is none (read the original).
 */
export function thumbnailFor(media: Media | undefined, side: number, orSmaller = true): ThumbnailInfo | null {
  const thumbs = media?.state === 'ready' ? (media.thumbnails ?? []) : [];
  return thumbs.find((t) => t.side === side) ?? (orSmaller ? (thumbs.filter((t) => t.side < side).at(-1) ?? null) : null);
}

/** The names a thumbnail is read by, best first: WebP, then JPEG for a browser that cannot show it. */
export function thumbnailVariants(t: Pick<ThumbnailInfo, 'side'>): string[] {
  return [`${t.side}.webp`, `${t.side}.jpg`];
}
