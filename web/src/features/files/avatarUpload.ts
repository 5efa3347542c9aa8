/**
 * Uploading a picture as an avatar (docs/files.md, "Avatars"): one `POST /files?purpose=avatar`
 * (the cropped square is small), then `GET /files/{id}` until the server has processed it
 * (`media.state` ready), whose answer holds the `attach_token` that sets it.
 */
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/errors';
import type { FileInfo } from '../../api/types';
import { processingDelay } from './links';
import { uploadFile, type UploadOptions } from './upload';

/** How many times the file is asked for before giving up (about two minutes with the delays). */
const MAX_POLLS = 12;

/**
 * What the server itself answers when asked to set a picture it could not process, or one
 * still being processed: the UI reads both as it reads the server's (errorText's rules).
 */
const notProcessed = (message: string) => new ApiError(422, { code: 'validation_failed', message, field: 'avatar' });

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException('the upload was cancelled', 'AbortError'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new DOMException('the upload was cancelled', 'AbortError'));
      },
      { once: true },
    );
  });
}

export interface AvatarUploadOptions extends Omit<UploadOptions, 'purpose'> {
  /** The bytes are up; the server is processing the picture. */
  onProcessing?: () => void;
  /** The wait before the `n`-th look at the file (1 s, 2 s, 4 s… by default). */
  delay?: (n: number) => number;
}

/** Waits until the uploaded avatar file is processed; resolves with its attach token. */
export async function readyAvatarToken(uploaded: FileInfo, { signal, delay = processingDelay }: AvatarUploadOptions = {}): Promise<string> {
  let file = uploaded;
  for (let n = 1; file.media?.state !== 'ready'; n++) {
    if (file.media?.state === 'failed') throw notProcessed('the picture could not be processed');
    if (n > MAX_POLLS) throw notProcessed('the picture is still being processed: get the file again once its media is ready');
    await sleep(delay(n), signal);
    file = await api.file(file.id);
  }
  if (!file.attach_token) throw notProcessed('not an attach token of one of your files');
  return file.attach_token;
}

/** Uploads `picture` (a JPEG made by the crop dialog) as an avatar; resolves with the token that sets it. */
export async function uploadAvatar(picture: Blob, opts: AvatarUploadOptions = {}): Promise<string> {
  const file = picture instanceof File ? picture : new File([picture], 'avatar.jpg', { type: picture.type || 'image/jpeg' });
  const uploaded = await uploadFile(file, { onProgress: opts.onProgress, signal: opts.signal, purpose: 'avatar' });
  opts.onProcessing?.();
  return readyAvatarToken(uploaded, opts);
}
