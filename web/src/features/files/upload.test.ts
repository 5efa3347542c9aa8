import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/errors';
import type { FileInfo } from '../../api/types';
import { jsonResponse } from '../../test/render';
import { Session } from '../auth/session';
import { connection, whenConnectionBack } from '../realtime/state';
import { RETRY_DELAYS, retriesTus, uploadFile } from './upload';
import { useUpload } from './useUpload';

const tokens = (t: string) => ({ access_token: t, token_type: 'Bearer', expires_in: 900, session_id: 4, user: { id: 1, username: 'alice' } });
const stored: FileInfo = { id: 9, name: 'notes.txt', content_type: 'text/plain', size: 5, sha256: '', created_at: 0, avatar: false, attach_token: 'tok' };

/** What the fake XMLHttpRequest answers, request by request. */
type Answer = { status: number; body: unknown } | 'network' | 'hang';

/** A stand-in for XMLHttpRequest: records requests, reports progress, answers from a script. */
class FakeXhr {
  static answers: Answer[] = [];
  static sent: FakeXhr[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown = null;
  status = 0;
  statusText = '';
  responseText = '';
  withCredentials = false;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  ontimeout: (() => void) | null = null;
  onabort: (() => void) | null = null;

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  getAllResponseHeaders() {
    return 'content-type: application/json\r\n';
  }
  abort() {
    this.onabort?.();
  }
  send(body: Blob | null) {
    this.body = body;
    FakeXhr.sent.push(this);
    const answer = FakeXhr.answers.shift() ?? 'hang';
    if (answer === 'hang') return;
    setTimeout(() => {
      if (answer === 'network') return this.onerror?.();
      const size = body?.size ?? 0;
      this.upload.onprogress?.({ loaded: Math.floor(size / 2), total: size, lengthComputable: true });
      this.upload.onprogress?.({ loaded: size, total: size, lengthComputable: true });
      this.status = answer.status;
      this.responseText = JSON.stringify(answer.body);
      this.onload?.();
    }, 0);
  }
}

function signedIn(token = 't1', refreshTo = 't2'): Session {
  const s = new Session(vi.fn().mockResolvedValue(jsonResponse(200, tokens(refreshTo))));
  s.accept(tokens(token));
  return s;
}

const notes = () => new File(['hello'], 'notes.txt', { type: 'text/plain' });

beforeEach(() => {
  FakeXhr.answers = [];
  FakeXhr.sent = [];
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
});
afterEach(() => vi.unstubAllGlobals());

describe('uploadFile', () => {
  it('sends the file as the body with its name and the token, reporting progress', async () => {
    FakeXhr.answers = [{ status: 201, body: stored }];
    const progress: [number, number][] = [];
    const info = await uploadFile(notes(), { onProgress: (sent, total) => progress.push([sent, total]) }, signedIn());
    expect(info).toEqual(stored);
    const [xhr] = FakeXhr.sent;
    expect(xhr?.method).toBe('POST');
    expect(new URL(xhr?.url ?? '').pathname + new URL(xhr?.url ?? '').search).toBe('/api/v1/files?name=notes.txt');
    expect(xhr?.headers.authorization).toBe('Bearer t1');
    expect(xhr?.headers['content-type']).toBe('application/octet-stream');
    expect(await (xhr?.body as Blob).text()).toBe('hello');
    expect(progress).toEqual([
      [2, 5],
      [5, 5],
      [5, 5],
    ]);
  });

  it('refreshes an expired token once and sends again', async () => {
    FakeXhr.answers = [{ status: 401, body: { error: { code: 'token_expired', message: 'expired' } } }, { status: 201, body: stored }];
    await uploadFile(notes(), {}, signedIn('old', 'new'));
    expect(FakeXhr.sent.map((x) => x.headers.authorization)).toEqual(['Bearer old', 'Bearer new']);
    expect(await (FakeXhr.sent[1]?.body as Blob).text()).toBe('hello');
  });

  it('turns a refusal into the API error, and no answer into a network error', async () => {
    FakeXhr.answers = [{ status: 413, body: { error: { code: 'file_too_large', message: 'a file may have at most 1000 bytes' } } }];
    await expect(uploadFile(notes(), {}, signedIn())).rejects.toMatchObject({ status: 413, code: 'file_too_large', message: 'a file may have at most 1000 bytes' });
    FakeXhr.answers = ['network'];
    await expect(uploadFile(notes(), {}, signedIn())).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('stops when cancelled', async () => {
    FakeXhr.answers = ['hang'];
    const ctrl = new AbortController();
    const done = uploadFile(notes(), { signal: ctrl.signal }, signedIn());
    await vi.waitFor(() => expect(FakeXhr.sent).toHaveLength(1));
    ctrl.abort();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('useUpload', () => {
  it('goes from progress to the stored file', async () => {
    let report: (sent: number, total: number) => void = () => undefined;
    let finish: (info: FileInfo) => void = () => undefined;
    const uploader = vi.fn(
      (_file: File, opts: { onProgress?: (sent: number, total: number) => void }) =>
        new Promise<FileInfo>((resolve) => {
          report = opts.onProgress ?? report;
          finish = resolve;
        }),
    );
    const { result } = renderHook(() => useUpload(uploader));
    const file = notes();
    act(() => result.current.start(file));
    expect(result.current.state).toEqual({ status: 'uploading', file, sent: 0, total: 5 });
    act(() => report(3, 5));
    expect(result.current.state).toMatchObject({ status: 'uploading', sent: 3, total: 5 });
    await act(async () => finish(stored));
    expect(result.current.state).toMatchObject({ status: 'done', file, info: stored });
  });

  it('keeps the error of a failed upload, and forgets a cancelled one', async () => {
    const refused = new ApiError(413, { code: 'quota_exceeded', message: 'quota' });
    const uploader = vi.fn((_file: File, opts: { signal?: AbortSignal }) =>
      opts.signal?.aborted === false && uploader.mock.calls.length === 1
        ? Promise.reject(refused)
        : new Promise<FileInfo>((_resolve, reject) => opts.signal?.addEventListener('abort', () => reject(new DOMException('x', 'AbortError')))),
    );
    const { result } = renderHook(() => useUpload(uploader));
    await act(async () => result.current.start(notes()));
    expect(result.current.state).toMatchObject({ status: 'failed', error: refused });
    await act(async () => result.current.start(notes()));
    expect(result.current.state?.status).toBe('uploading');
    await act(async () => result.current.clear());
    expect(result.current.state).toBeNull();
  });
});

describe('resumable uploads', () => {
  it('try again while the server cannot be reached or is busy, not after a refusal', () => {
    // No answer (the server is down or restarting), a server error, an offset that moved, a busy upload, too many requests.
    for (const status of [0, 500, 502, 503, 409, 423, 429]) expect(retriesTus(status, 0), String(status)).toBe(true);
    for (const status of [400, 403, 404, 410, 413, 415, 422]) expect(retriesTus(status, 0), String(status)).toBe(false);
    // Until the delays are spent: long enough for a restart and a crashed server's 30 s lease.
    expect(retriesTus(0, RETRY_DELAYS.length - 1)).toBe(true);
    expect(retriesTus(0, RETRY_DELAYS.length)).toBe(false);
    expect(RETRY_DELAYS.reduce((a, b) => a + b, 0)).toBeGreaterThan(120_000);
    expect(Math.max(...RETRY_DELAYS)).toBeLessThanOrEqual(15_000);
  });

  it('hear when the connection comes back: the socket online again, or the browser', () => {
    connection.set({ status: 'online', everOnline: true });
    const back = vi.fn();
    const stop = whenConnectionBack(back);
    connection.set({ status: 'online', everOnline: true });
    expect(back).not.toHaveBeenCalled();
    connection.set({ status: 'reconnecting', everOnline: true });
    connection.set({ status: 'syncing', everOnline: true });
    expect(back).not.toHaveBeenCalled();
    connection.set({ status: 'online', everOnline: true });
    expect(back).toHaveBeenCalledTimes(1);
    window.dispatchEvent(new Event('online'));
    expect(back).toHaveBeenCalledTimes(2);
    stop();
    connection.set({ status: 'reconnecting', everOnline: true });
    connection.set({ status: 'online', everOnline: true });
    window.dispatchEvent(new Event('online'));
    expect(back).toHaveBeenCalledTimes(2);
  });
});
