import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../../test/fakeSocket';
import { RealtimeClient, type RealtimeOptions } from './socket';

function setup(over: Partial<RealtimeOptions> = {}) {
  const sockets: FakeSocket[] = [];
  let token: string | null = 'tok-1';
  const calls = {
    ready: vi.fn(),
    frame: vi.fn(),
    disconnect: vi.fn(),
    ended: vi.fn(),
    refresh: vi.fn(async () => {
      token = 'tok-2';
      return true;
    }),
  };
  const client = new RealtimeClient({
    url: 'ws://test/api/v1/realtime',
    createSocket: (url, protocol) => {
      const s = new FakeSocket(url, protocol);
      sockets.push(s);
      return s;
    },
    getToken: () => token,
    refreshToken: calls.refresh,
    onReady: calls.ready,
    onFrame: calls.frame,
    onDisconnect: calls.disconnect,
    onSessionEnded: calls.ended,
    random: () => 1,
    ...over,
  });
  const last = () => sockets[sockets.length - 1] as FakeSocket;
  const handshake = (s = last()) => {
    s.push({ type: 'hello', protocol: 'hybrid.v1', heartbeat_ms: 1000 });
    s.push({ type: 'ready', user_id: 1, session_id: 9 });
  };
  return { client, sockets, calls, last, handshake, setToken: (t: string | null) => (token = t) };
}

describe('RealtimeClient', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('speaks hybrid.v1: auth with the access token after hello, then ready', async () => {
    const t = setup();
    t.client.start();
    const s = t.last();
    expect(s.protocol).toBe('hybrid.v1');
    s.push({ type: 'hello', protocol: 'hybrid.v1', heartbeat_ms: 25000 });
    await Promise.resolve();
    expect(s.sent).toEqual([{ type: 'auth', token: 'tok-1' }]);
    s.push({ type: 'ready', user_id: 1, session_id: 9 });
    expect(t.calls.ready).toHaveBeenCalledWith({ user_id: 1, session_id: 9 });
    expect(t.client.connected).toBe(true);
  });

  it('passes pushed frames on and ignores garbage', () => {
    const t = setup();
    t.client.start();
    t.handshake();
    t.last().onmessage?.({ data: 'not json' });
    t.last().push({ type: 'typing', chat_id: 3, user_id: 2, expires_ms: 6000 });
    expect(t.calls.frame).toHaveBeenCalledTimes(1);
    expect(t.calls.frame.mock.calls[0]?.[0]).toMatchObject({ type: 'typing', chat_id: 3 });
  });

  it('reconnects with growing backoff after the link drops, and resets it once ready', () => {
    const t = setup({ initialBackoffMs: 500 });
    t.client.start();
    t.handshake();
    t.last().drop(1006);
    expect(t.calls.disconnect).toHaveBeenLastCalledWith({ code: 1006, delayMs: 500 });
    expect(t.sockets).toHaveLength(1);
    vi.advanceTimersByTime(500);
    expect(t.sockets).toHaveLength(2);
    t.last().drop(1006); // failed before ready
    expect(t.calls.disconnect).toHaveBeenLastCalledWith({ code: 1006, delayMs: 1000 });
    vi.advanceTimersByTime(1000);
    expect(t.sockets).toHaveLength(3);
    t.handshake();
    t.last().drop(1001);
    expect(t.calls.disconnect).toHaveBeenLastCalledWith({ code: 1001, delayMs: 500 });
  });

  it('tells the server whether the device is in use, once per change and again after a reconnect', async () => {
    const t = setup();
    t.client.setFocus(true); // before connecting: kept for when the socket is ready
    t.client.start();
    t.handshake();
    await Promise.resolve();
    expect(t.last().sent).toContainEqual({ type: 'focus', focused: true });
    t.client.setFocus(true);
    t.client.setFocus(false);
    const focusFrames = t.last().sent.filter((f) => (f as { type: string }).type === 'focus');
    expect(focusFrames).toEqual([
      { type: 'focus', focused: true },
      { type: 'focus', focused: false },
    ]);
    t.client.setFocus(true);
    t.last().drop(1006);
    vi.advanceTimersByTime(1000);
    expect(t.sockets).toHaveLength(2);
    t.handshake();
    await Promise.resolve();
    expect(t.last().sent).toContainEqual({ type: 'focus', focused: true });
  });

  it('caps the backoff', () => {
    const t = setup({ initialBackoffMs: 500, maxBackoffMs: 4000 });
    expect(t.client.backoffMs(10)).toBe(4000);
  });

  it('stops for good when the session was signed out (4003)', () => {
    const t = setup();
    t.client.start();
    t.handshake();
    t.last().drop(4003);
    expect(t.calls.ended).toHaveBeenCalled();
    vi.advanceTimersByTime(60_000);
    expect(t.sockets).toHaveLength(1);
  });

  it('renews the token and reconnects at once on 4001', async () => {
    const t = setup();
    t.client.start();
    t.handshake();
    t.last().drop(4001);
    expect(t.calls.refresh).toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.sockets).toHaveLength(2);
    t.last().push({ type: 'hello', protocol: 'hybrid.v1', heartbeat_ms: 1000 });
    await Promise.resolve();
    expect(t.last().sent).toEqual([{ type: 'auth', token: 'tok-2' }]);
  });

  it('signs out when the token cannot be renewed', async () => {
    const t = setup({ refreshToken: async () => false });
    t.client.start();
    t.handshake();
    t.last().drop(4001);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.calls.ended).toHaveBeenCalled();
  });

  it('re-authenticates on the open socket when the token is renewed', () => {
    const t = setup();
    t.client.start();
    t.handshake();
    t.client.reauth('tok-3');
    expect(t.last().sent).toContainEqual({ type: 'auth', token: 'tok-3' });
  });

  it('pings every heartbeat and gives up on a silent link', () => {
    const t = setup({ initialBackoffMs: 500 });
    t.client.start();
    t.handshake(); // heartbeat 1000 ms
    vi.advanceTimersByTime(1000);
    expect(t.last().sent).toContainEqual({ type: 'ping' });
    t.last().push({ type: 'pong' });
    expect(t.calls.disconnect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2 * 1000 + 5000);
    expect(t.last().closed).not.toBeNull();
    expect(t.calls.disconnect).toHaveBeenCalled();
    vi.advanceTimersByTime(500);
    expect(t.sockets).toHaveLength(2);
  });

  it('stop() closes the socket and cancels reconnects', () => {
    const t = setup();
    t.client.start();
    t.handshake();
    const s = t.last();
    t.client.stop();
    expect(s.closed?.code).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(t.sockets).toHaveLength(1);
  });

  it('reconnectNow() skips the wait', () => {
    const t = setup({ initialBackoffMs: 10_000 });
    t.client.start();
    t.handshake();
    t.last().drop(1006);
    t.client.reconnectNow();
    expect(t.sockets).toHaveLength(2);
  });
});
