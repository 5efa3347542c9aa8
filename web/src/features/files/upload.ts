/**
 * Uploading a file to attach to a message (docs/files.md), with its progress. Up to
 * `RESUMABLE_FROM` bytes it is one request, `POST /api/v1/files?name=` with the file as the
 * body, sent through XMLHttpRequest (fetch reports no upload progress) under the typed client's
 * token handling (bearer token, refresh and retry once on 401, `ApiError`s). Bigger files go
 * over tus (`/api/v1/files/uploads`, tus-js-client, loaded only then), which resumes after a
 * broken connection or a server restart (from the server's offset, at once when the connection
 * is back), even after a reload. Either way the answer is the file as its owner sees
 * it, with the `attach_token` that puts it into a message.
 */
import createFetchClient from 'openapi-fetch';
import type { DetailedError, HttpRequest } from 'tus-js-client';
import { API_BASE, authFetch, freshToken } from '../../api/client';
import { api } from '../../api/endpoints';
import { errorFromBody, networkError } from '../../api/errors';
import { apiOrigin } from '../../api/origin';
import type { paths } from '../../api/schema';
import type { FileInfo } from '../../api/types';
import { session, type Session } from '../auth/session';
import { whenConnectionBack } from '../realtime/state';

/** Files larger than this go over tus (resumable); smaller ones in one request. */
export const RESUMABLE_FROM = 8 * 1024 * 1024;

export interface UploadOptions {
  /** Bytes sent so far, of the total. */
  onProgress?: (sent: number, total: number) => void;
  /** Cancels the upload (a tus upload is removed from the server too). */
  signal?: AbortSignal;
  /** `avatar`: a picture for a profile or chat, cut to its square (one request only). */
  purpose?: 'avatar';
}

/** Uploads `file` and resolves with it as stored (with its `attach_token`). */
export function uploadFile(file: File, opts: UploadOptions = {}, sess: Session = session): Promise<FileInfo> {
  return file.size > RESUMABLE_FROM && !opts.purpose ? resumableUpload(file, opts, sess) : plainUpload(file, opts, sess);
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

function aborted(): DOMException {
  return new DOMException('the upload was cancelled', 'AbortError');
}

// ---- one request ----

/** Response headers of an XMLHttpRequest, as a Headers object. */
function responseHeaders(xhr: XMLHttpRequest): Headers {
  const headers = new Headers();
  for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
    const at = line.indexOf(':');
    if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return headers;
}

/**
 * A fetch over XMLHttpRequest that reports the upload's progress: what the typed client's
 * fetch (`authFetch`) sends through, so the token handling and errors are the usual ones.
 */
export function progressFetch(onProgress?: (sent: number, total: number) => void): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(input, init);
    if (req.signal.aborted) throw aborted();
    const body = req.method === 'GET' || req.method === 'HEAD' ? null : await req.blob();
    return new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(req.method, req.url);
      req.headers.forEach((value, name) => xhr.setRequestHeader(name, value));
      xhr.withCredentials = req.credentials === 'include';
      xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : (body?.size ?? 0));
      xhr.onload = () => {
        const empty = xhr.status === 204 || xhr.status === 205 || xhr.status === 304;
        resolve(new Response(empty ? null : xhr.responseText, { status: xhr.status, statusText: xhr.statusText, headers: responseHeaders(xhr) }));
      };
      xhr.onerror = () => reject(new TypeError('network error'));
      xhr.ontimeout = xhr.onerror;
      xhr.onabort = () => reject(aborted());
      req.signal.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(body);
    });
  };
}

async function plainUpload(file: File, { onProgress, signal, purpose }: UploadOptions, sess: Session): Promise<FileInfo> {
  const client = createFetchClient<paths>({ baseUrl: apiOrigin(), fetch: authFetch(sess, progressFetch(onProgress), true) });
  const { data } = await client.POST('/api/v1/files', {
    params: { query: { name: file.name, purpose } },
    // The spec calls the raw body bytes; the browser sends the file as it is.
    body: file as unknown as number[],
    bodySerializer: (b) => b,
    headers: { 'content-type': 'application/octet-stream' },
    signal,
  });
  if (!data) throw networkError();
  onProgress?.(file.size, file.size);
  return data;
}

// ---- tus ----

/** The ApiError of a failed tus request (the server answers tus errors in the API's shape). */
function tusError(e: Error | DetailedError): Error {
  const res = 'originalResponse' in e ? e.originalResponse : null;
  if (!res || res.getStatus() === 0) return networkError();
  let body: unknown;
  try {
    body = JSON.parse(res.getBody());
  } catch {
    body = undefined;
  }
  const retryAfter = res.getHeader('Retry-After');
  return errorFromBody(new Response(null, { status: res.getStatus(), headers: retryAfter ? { 'retry-after': retryAfter } : {} }), body);
}

/**
 * The waits before each new try of a tus request that found no server (or a busy one): about
 * three minutes in all, long enough for a server to restart and for a crashed one's 30-second
 * lease on the upload to lapse. tus-js-client counts them afresh whenever bytes got through.
 */
export const RETRY_DELAYS: readonly number[] = [0, 1000, 2000, 4000, 8000, ...Array<number>(12).fill(15_000)];

/**
 * Whether a failed tus request is tried again (its `attempt`-th retry): when no answer came
 * (status 0, the server is down or restarting), for a server error, an offset that moved
 * (409), a busy upload (423) or too many requests (429); never for another refusal, nor once
 * the delays are spent. Being offline is no reason to stop: the connection coming back tries
 * at once.
 */
export function retriesTus(status: number, attempt: number, delays: readonly number[] = RETRY_DELAYS): boolean {
  if (attempt >= delays.length) return false;
  return status < 400 || status >= 500 || status === 409 || status === 423 || status === 429;
}

async function resumableUpload(file: File, { onProgress, signal }: UploadOptions, sess: Session): Promise<FileInfo> {
  const tus = await import('tus-js-client');
  if (signal?.aborted) throw aborted();
  // After a 401 the next request waits for the new token; a second 401 in a row is final.
  let refreshing: Promise<unknown> | null = null;
  let refreshed = false;
  // A retry is waiting for its delay: the connection coming back starts it at once.
  let waiting = false;
  // What the upload listens to while it runs (the connection, the cancel signal), let go once it ends.
  let cleanUp = () => {};
  const id = await new Promise<number>((resolve, reject) => {
    const upload = new tus.Upload(file, {
      endpoint: `${apiOrigin()}${API_BASE}/files/uploads`,
      metadata: { filename: file.name },
      retryDelays: [...RETRY_DELAYS],
      removeFingerprintOnSuccess: true,
      onBeforeRequest: async (req: HttpRequest) => {
        waiting = false;
        if (refreshing) await refreshing;
        const token = await freshToken(sess);
        if (token) req.setHeader('Authorization', `Bearer ${token}`);
      },
      onAfterResponse: (_req, res) => {
        if (res.getStatus() < 400) refreshed = false;
      },
      onShouldRetry: (err, attempt, options) => {
        const status = err.originalResponse?.getStatus() ?? 0;
        if (status === 401) {
          if (refreshed) return false;
          refreshed = true;
          refreshing = sess.refresh();
          return (waiting = true);
        }
        return (waiting = retriesTus(status, attempt, options.retryDelays ?? []));
      },
      onProgress: (sent, total) => onProgress?.(sent, total),
      onSuccess: ({ lastResponse }) => {
        const fileId = Number(lastResponse.getHeader('Hybrid-File-Id'));
        if (Number.isFinite(fileId) && fileId > 0) resolve(fileId);
        else reject(networkError());
      },
      onError: (e) => reject(tusError(e)),
    });
    const stopWatching = whenConnectionBack(() => {
      if (!waiting) return;
      waiting = false;
      // Drops the pending retry (abort without terminating keeps the upload), then resumes
      // from the server's offset.
      void upload.abort(false);
      upload.start();
    });
    // Cancelled while it runs, the upload is removed from the server too; once it is done,
    // forgetting it (the bar cleared after sending) leaves the stored file alone.
    const cancel = () => {
      void upload.abort(true).catch(() => undefined);
      reject(aborted());
    };
    signal?.addEventListener('abort', cancel, { once: true });
    cleanUp = () => {
      stopWatching();
      signal?.removeEventListener('abort', cancel);
    };
    // An upload of the same file broken off earlier (even before a reload) goes on from there.
    void upload
      .findPreviousUploads()
      .catch(() => [])
      .then((previous) => {
        if (signal?.aborted) return;
        const last = previous[0];
        if (last) upload.resumeFromPreviousUpload(last);
        upload.start();
      });
  }).finally(() => cleanUp());
  // The owner's view of the file has the attach token.
  return api.file(id);
}

/** A file uploaded from this page, and when: what the composer sends. */
export interface Uploaded {
  info: FileInfo;
  at: number;
}

/** Attach tokens last an hour (`files.attach_token_ttl_secs`); older ones are asked for again. */
const TOKEN_FRESH_MS = 45 * 60_000;

/** The token that attaches an uploaded file to a message, fresh enough to send now. */
export async function attachToken({ info, at }: Uploaded): Promise<string> {
  const token = info.attach_token && Date.now() - at < TOKEN_FRESH_MS ? info.attach_token : (await api.file(info.id)).attach_token;
  if (!token) throw new Error('the server gave no attach token for this file');
  return token;
}
