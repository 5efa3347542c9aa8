/**
 * A file in a message: the card chats keeps for it (`attachment` with `type: "file"` and
 * `service: "files"`, its preview `{name, size, content_type}`), read defensively since the
 * preview is the owning service's JSON.
 */
import type { Attachment } from '../../api/types';

/** What a message shows of a file without asking for it. */
export interface FilePreview {
  name: string;
  size: number;
  content_type: string;
}

/** A file a message carries: its id at the files service and its preview. */
export interface AttachedFile extends FilePreview {
  id: number;
}

/** The file a message's card stands for, or null when the card is something else. */
export function attachedFile(a: Attachment | null | undefined): AttachedFile | null {
  if (!a || a.type !== 'file' || a.service !== 'files') return null;
  const id = Number(a.object_id);
  const p = a.preview as Record<string, unknown>;
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  return {
    id,
    name: typeof p.name === 'string' && p.name ? p.name : 'file',
    size: typeof p.size === 'number' && p.size >= 0 ? p.size : 0,
    content_type: typeof p.content_type === 'string' ? p.content_type : 'application/octet-stream',
  };
}

/** Whether the browser may show it as a picture. */
export function isImage(f: Pick<FilePreview, 'content_type'>): boolean {
  return f.content_type.startsWith('image/');
}
