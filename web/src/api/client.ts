/** A small fetch wrapper: JSON in and out, the bearer token, one refresh-and-retry on 401. */
import { ApiError, errorFromResponse, networkError } from './errors';
import { session, type Session } from '../features/auth/session';

export const API_BASE = '/api/v1';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  /** Send the access token (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

const RETRY_CODES = new Set(['token_expired', 'invalid_token', 'unauthorized']);

export function buildUrl(path: string, query?: Query): string {
  let url = API_BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
    const s = params.toString();
    if (s) url += `?${s}`;
  }
  return url;
}

export function createClient(sess: Session, fetchImpl: typeof fetch = (...a) => fetch(...a)) {
  async function once(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const token = opts.auth === false ? null : sess.accessToken();
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await fetchImpl(buildUrl(path, opts.query), {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        credentials: 'same-origin',
        signal: opts.signal,
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw networkError();
    }
  }

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const useAuth = opts.auth !== false;
    if (useAuth && sess.accessToken() && sess.expiresInMs() < 5000) await sess.refresh();
    let res = await once(method, path, opts);
    if (res.status === 401 && useAuth) {
      const err = await errorFromResponse(res.clone());
      if (RETRY_CODES.has(err.code) && (await sess.refresh())) {
        res = await once(method, path, opts);
      } else if (err.code === 'session_revoked' || err.code === 'refresh_token_reused') {
        sess.clear();
      }
    }
    if (!res.ok) {
      const err: ApiError = await errorFromResponse(res);
      // Still unauthorized after a refresh: the session is gone.
      if (res.status === 401 && useAuth && (RETRY_CODES.has(err.code) || err.code === 'session_revoked')) {
        sess.clear();
      }
      throw err;
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return {
    request,
    get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
    post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
    patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
    put: <T>(path: string) => request<T>('PUT', path),
    del: <T>(path: string) => request<T>('DELETE', path),
  };
}

export type Client = ReturnType<typeof createClient>;

export const client = createClient(session);
