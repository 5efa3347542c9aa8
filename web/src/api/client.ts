/**
 * The typed API client: `openapi-fetch` over the generated `paths` of `schema.d.ts`, so every
 * path, parameter, body and answer is checked against the spec. Its fetch adds the bearer
 * token, refreshes once and retries on 401, and turns error answers into `ApiError`s.
 */
import createFetchClient, { type Client as FetchClient } from 'openapi-fetch';
import { ApiError, errorFromResponse, networkError } from './errors';
import { session, type Session } from '../features/auth/session';
import { apiOrigin } from './origin';
import type { paths } from './schema';

export const API_BASE = '/api/v1';

const RETRY_CODES = new Set(['token_expired', 'invalid_token', 'unauthorized']);

/** Paths of the spec, as `openapi-fetch` takes them (the full path, `/api/v1/...`). */
export type Paths = paths;

type Fetch = (input: Request) => Promise<Response>;

/** The access token, renewed first when it is about to expire (null when signed out). */
export async function freshToken(sess: Session): Promise<string | null> {
  if (sess.accessToken() && sess.expiresInMs() < 5000) await sess.refresh();
  return sess.accessToken();
}

/**
 * The fetch under the typed client. `auth: false` is for sign-in and sign-up, which send no
 * token and must not trigger a refresh.
 */
export function authFetch(sess: Session, fetchImpl: typeof fetch, auth: boolean): Fetch {
  async function once(req: Request): Promise<Response> {
    const headers = new Headers(req.headers);
    headers.set('accept', 'application/json');
    const token = auth ? sess.accessToken() : null;
    if (token) headers.set('authorization', `Bearer ${token}`);
    else headers.delete('authorization');
    try {
      return await fetchImpl(new Request(req, { headers, credentials: 'same-origin' }));
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw networkError();
    }
  }

  return async (req: Request) => {
    if (auth) await freshToken(sess);
    // A second copy, for the one retry after a refresh (a body can be read once).
    const spare = req.clone();
    let res = await once(req);
    if (res.status === 401 && auth) {
      const err = await errorFromResponse(res.clone());
      if (RETRY_CODES.has(err.code) && (await sess.refresh())) {
        res = await once(spare);
      } else if (err.code === 'session_revoked' || err.code === 'refresh_token_reused') {
        sess.clear();
      }
    }
    if (!res.ok) {
      const err: ApiError = await errorFromResponse(res);
      // Still unauthorized after a refresh: the session is gone.
      if (res.status === 401 && auth && (RETRY_CODES.has(err.code) || err.code === 'session_revoked')) {
        sess.clear();
      }
      throw err;
    }
    return res;
  };
}

export interface Client {
  /** Calls that send the access token. */
  api: FetchClient<paths>;
  /** Calls that must not (sign-in, sign-up). */
  guest: FetchClient<paths>;
}

export function createClient(sess: Session, fetchImpl: typeof fetch = (...a) => fetch(...a)): Client {
  const make = (auth: boolean) =>
    createFetchClient<paths>({ baseUrl: apiOrigin(), fetch: authFetch(sess, fetchImpl, auth) });
  return { api: make(true), guest: make(false) };
}

/**
 * The data of a typed call. Error answers never get here (the fetch throws `ApiError`), so
 * what is left is the success body (`undefined` for 204).
 */
export async function data<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const r = await call;
  if (!r.response.ok) throw new ApiError(r.response.status, { code: `http_${r.response.status}`, message: r.response.statusText || 'error' });
  return r.data as T;
}

export const client = createClient(session);
