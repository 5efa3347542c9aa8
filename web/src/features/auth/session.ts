/**
 * The signed-in session: the access token lives in memory only; the refresh token is the
 * httpOnly `hybrid_refresh` cookie the server sets (scripts never see it). A page load starts
 * by trading the cookie for a fresh access token.
 */
import createFetchClient from 'openapi-fetch';
import { errorFromBody, networkError } from '../../api/errors';
import { apiOrigin } from '../../api/origin';
import type { paths } from '../../api/schema';

export interface Account {
  id: number;
  username: string;
}

export interface TokenPayload {
  access_token: string;
  expires_in: number;
  session_id: number;
  user: Account;
}

export interface SessionState {
  status: 'unknown' | 'signed_in' | 'signed_out';
  account: Account | null;
  sessionId: number | null;
}

type Listener = () => void;

export class Session {
  private token: string | null = null;
  private expiresAt = 0;
  private state: SessionState = { status: 'unknown', account: null, sessionId: null };
  private listeners = new Set<Listener>();
  private inflight: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private tokenListeners = new Set<(token: string) => void>();
  private signedInOnce = false;

  /** A typed client of its own, without the token handling of `api/client.ts` (which uses this). */
  private readonly api;

  constructor(fetchImpl: typeof fetch = (...a) => fetch(...a)) {
    this.api = createFetchClient<paths>({ baseUrl: apiOrigin(), fetch: (req: Request) => fetchImpl(req) });
  }

  get snapshot(): SessionState {
    return this.state;
  }

  /**
   * Whether this page has been signed in: a sign-in page reached by signing out (or being
   * signed out) starts afresh at the chat list, not where the session ended.
   */
  get wasSignedIn(): boolean {
    return this.signedInOnce;
  }

  accessToken(): string | null {
    return this.token;
  }

  /** Milliseconds until the access token expires (negative when it has). */
  expiresInMs(): number {
    return this.expiresAt - Date.now();
  }

  subscribe = (fn: Listener): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): SessionState => this.state;

  /** Called with each new access token (the socket re-authenticates with it). */
  onToken(fn: (token: string) => void): () => void {
    this.tokenListeners.add(fn);
    return () => this.tokenListeners.delete(fn);
  }

  accept(tokens: TokenPayload): void {
    this.token = tokens.access_token;
    this.expiresAt = Date.now() + tokens.expires_in * 1000;
    this.signedInOnce = true;
    this.setState({ status: 'signed_in', account: tokens.user, sessionId: tokens.session_id });
    this.schedule(tokens.expires_in);
    for (const fn of this.tokenListeners) fn(tokens.access_token);
  }

  clear(): void {
    this.token = null;
    this.expiresAt = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.setState({ status: 'signed_out', account: null, sessionId: null });
  }

  /**
   * Trade the refresh cookie for a new access token. One request at a time: concurrent
   * callers share it. Resolves false (and signs out) when the cookie is missing or spent.
   */
  refresh(): Promise<boolean> {
    if (this.inflight) return this.inflight;
    this.inflight = this.doRefresh().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async doRefresh(): Promise<boolean> {
    let r;
    try {
      // Empty body: the refresh token is the cookie.
      r = await this.api.POST('/api/v1/auth/refresh', { body: {}, credentials: 'same-origin' });
    } catch {
      // Offline: keep the state; the caller retries later.
      if (this.state.status === 'unknown') throw networkError();
      return false;
    }
    if (r.response.ok && r.data) {
      this.accept(r.data);
      return true;
    }
    const err = errorFromBody(r.response, r.error);
    if (err.status >= 500 || err.status === 429) {
      if (this.state.status === 'unknown') throw err;
      return false;
    }
    this.clear();
    return false;
  }

  private schedule(expiresIn: number): void {
    if (this.timer) clearTimeout(this.timer);
    // Renew a minute early (or at 80% of short lifetimes).
    const lead = Math.min(60, expiresIn * 0.2);
    const ms = Math.max(5, expiresIn - lead) * 1000;
    this.timer = setTimeout(() => {
      void this.refresh();
    }, ms);
  }

  private setState(next: SessionState): void {
    this.state = next;
    for (const fn of this.listeners) fn();
  }
}

export const session = new Session();
