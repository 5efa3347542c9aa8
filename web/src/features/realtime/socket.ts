/**
 * The WebSocket connection: `hello` → `auth` → `ready`, application pings to notice a dead
 * link, re-auth when the access token is renewed, and reconnects with exponential backoff.
 * It knows nothing about events: frames go to `onFrame`, catch-up is the caller's (`onReady`).
 */
import { CLOSE, parseFrame, type ClientFrame, type ServerFrame } from './frames';

export const PROTOCOL = 'hybrid.v1';

export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface RealtimeOptions {
  url: string;
  createSocket: (url: string, protocol: string) => SocketLike;
  /** The current access token (null when there is none yet). */
  getToken: () => string | null;
  /** Renews the access token; false when the session is gone. */
  refreshToken: () => Promise<boolean>;
  onReady: (ready: { user_id: number; session_id: number }) => void;
  onFrame: (frame: ServerFrame) => void;
  /** The socket closed and a reconnect is scheduled (`delayMs` from now). */
  onDisconnect: (info: { code: number; delayMs: number }) => void;
  /** 4003: the session was signed out elsewhere. No reconnect. */
  onSessionEnded: () => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  timers?: Timers;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
};

export class RealtimeClient {
  private socket: SocketLike | null = null;
  private stopped = true;
  private authed = false;
  /** What the device last said of its focus (`setFocus`); null: nothing yet. */
  private focused: boolean | null = null;
  private attempt = 0;
  private heartbeatMs = 25_000;
  private reconnectTimer: unknown = null;
  private pingTimer: unknown = null;
  private deadTimer: unknown = null;
  private readonly timers: Timers;

  constructor(private readonly opts: RealtimeOptions) {
    this.timers = opts.timers ?? defaultTimers;
  }

  get connected(): boolean {
    return this.authed;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const s = this.socket;
    this.socket = null;
    this.authed = false;
    if (s) {
      s.onclose = null;
      s.onmessage = null;
      s.close(1000, 'bye');
    }
  }

  /** Reconnect at once (the browser came back online, or the tab became visible). */
  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.connect();
  }

  /**
   * Whether this device is in front of its user (window focused and visible): the server sends
   * no push notification to it meanwhile. Sent now if connected, and again after each reconnect.
   */
  setFocus(focused: boolean): void {
    if (this.focused === focused) return;
    this.focused = focused;
    if (this.socket && this.authed) this.send({ type: 'focus', focused });
  }

  /** A renewed access token for the same session keeps the socket past the old expiry. */
  reauth(token: string): void {
    if (this.socket && this.authed) this.send({ type: 'auth', token });
  }

  private send(frame: ClientFrame): void {
    try {
      this.socket?.send(JSON.stringify(frame));
    } catch {
      // closing; onclose follows
    }
  }

  private connect(): void {
    this.reconnectTimer = null;
    this.authed = false;
    let socket: SocketLike;
    try {
      socket = this.opts.createSocket(this.opts.url, PROTOCOL);
    } catch {
      this.scheduleReconnect(1006);
      return;
    }
    this.socket = socket;
    socket.onmessage = (ev) => this.onMessage(socket, ev.data);
    socket.onclose = (ev) => this.onClose(socket, ev.code);
    socket.onerror = () => {
      // onclose follows with the code
    };
  }

  private onMessage(socket: SocketLike, data: unknown): void {
    if (socket !== this.socket) return;
    this.armDeadTimer();
    const frame = parseFrame(data);
    if (!frame) return;
    switch (frame.type) {
      case 'hello':
        this.heartbeatMs = Math.max(1000, frame.heartbeat_ms || 25_000);
        void this.authenticate(socket);
        return;
      case 'ready':
        this.authed = true;
        this.attempt = 0;
        this.schedulePing();
        if (this.focused) this.send({ type: 'focus', focused: true });
        this.opts.onReady({ user_id: frame.user_id, session_id: frame.session_id });
        return;
      case 'pong':
        return;
      default:
        this.opts.onFrame(frame);
    }
  }

  private async authenticate(socket: SocketLike): Promise<void> {
    let token = this.opts.getToken();
    if (!token) {
      if (!(await this.opts.refreshToken())) {
        this.opts.onSessionEnded();
        this.stop();
        return;
      }
      token = this.opts.getToken();
    }
    if (socket === this.socket && token) this.send({ type: 'auth', token });
  }

  private onClose(socket: SocketLike, code: number): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.authed = false;
    this.clearTimers();
    if (this.stopped) return;
    if (code === CLOSE.SESSION_REVOKED) {
      this.stopped = true;
      this.opts.onSessionEnded();
      return;
    }
    if (code === CLOSE.UNAUTHORIZED) {
      // The token expired or was refused: renew it, then reconnect right away.
      void this.opts.refreshToken().then((ok) => {
        if (this.stopped) return;
        if (!ok) {
          this.stopped = true;
          this.opts.onSessionEnded();
          return;
        }
        // Right away the first times; with backoff if the server keeps refusing.
        this.scheduleReconnect(code, this.attempt < 2 ? 0 : this.backoffMs(this.attempt));
      });
      this.opts.onDisconnect({ code, delayMs: 0 });
      return;
    }
    this.scheduleReconnect(code);
  }

  /** Exponential backoff with jitter: 0.5 s, 1 s, 2 s … up to 30 s. */
  backoffMs(attempt: number): number {
    const initial = this.opts.initialBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** attempt);
    const r = (this.opts.random ?? Math.random)();
    return Math.round(base / 2 + (base / 2) * r);
  }

  private scheduleReconnect(code: number, delay?: number): void {
    if (this.stopped) return;
    const ms = delay ?? this.backoffMs(this.attempt);
    this.attempt += 1;
    if (delay === undefined) this.opts.onDisconnect({ code, delayMs: ms });
    this.reconnectTimer = this.timers.setTimeout(() => this.connect(), ms);
  }

  private schedulePing(): void {
    if (this.pingTimer !== null) this.timers.clearTimeout(this.pingTimer);
    this.pingTimer = this.timers.setTimeout(() => {
      this.pingTimer = null;
      if (!this.socket) return;
      this.send({ type: 'ping' });
      this.schedulePing();
    }, this.heartbeatMs);
  }

  /** No frame at all (not even a pong) for two heartbeats and a bit: the link is dead. */
  private armDeadTimer(): void {
    if (this.deadTimer !== null) this.timers.clearTimeout(this.deadTimer);
    this.deadTimer = this.timers.setTimeout(() => {
      this.deadTimer = null;
      const s = this.socket;
      if (!s) return;
      s.close(4000, 'no heartbeat');
      // Browsers may take long to report the close of a dead link: act now.
      this.onClose(s, 1006);
    }, this.heartbeatMs * 2 + 5000);
  }

  private clearTimers(): void {
    for (const t of [this.reconnectTimer, this.pingTimer, this.deadTimer]) {
      if (t !== null) this.timers.clearTimeout(t);
    }
    this.reconnectTimer = this.pingTimer = this.deadTimer = null;
  }
}
