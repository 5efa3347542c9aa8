import { describe, expect, it, vi } from 'vitest';
import type { SyncRequest, SyncResponse } from '../../api/types';
import type { ChatEventFrame, UserEventFrame } from './frames';
import { SyncEngine } from './sync';

const ev = (chat_id: number, pts: number): ChatEventFrame => ({
  type: 'event',
  chat_id,
  pts,
  kind: 'message.changed',
  data: { seq: pts },
});
const uev = (pts: number): UserEventFrame => ({ type: 'user_event', pts, kind: 'chat.removed', data: { chat_id: 100 + pts, by: 1 } });

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function setup(responses: Array<SyncResponse | Promise<SyncResponse>>) {
  const requests: SyncRequest[] = [];
  const applied: string[] = [];
  const h = {
    applyChatEvent: vi.fn((e: ChatEventFrame) => applied.push(`${e.chat_id}:${e.pts}`)),
    applyUserEvent: vi.fn((e: UserEventFrame) => applied.push(`u:${e.pts}`)),
    reloadChat: vi.fn(),
    reloadChats: vi.fn(),
    dropChat: vi.fn(),
    applyService: vi.fn(),
  };
  const engine = new SyncEngine(async (req) => {
    requests.push(JSON.parse(JSON.stringify(req)) as SyncRequest);
    const next = responses.shift();
    if (!next) throw new Error('no more responses');
    return next;
  }, h);
  return { engine, requests, applied, h };
}

const resp = (over: Partial<SyncResponse> = {}): SyncResponse => ({
  user_pts: 0,
  user_events: [],
  user_too_long: false,
  chats: [],
  services: {},
  ...over,
});

describe('SyncEngine', () => {
  it('first catch-up learns the user pts and reloads the chat list', async () => {
    const t = setup([resp({ user_pts: 12, user_events: [uev(12) as never] })]);
    await t.engine.catchUp();
    expect(t.requests).toEqual([{ user_pts: 0, chats: {} }]);
    expect(t.h.reloadChats).toHaveBeenCalledTimes(1);
    expect(t.applied).toEqual([]);
    expect(t.engine.knownUserPts()).toBe(12);
  });

  it('applies events in order and drops duplicates', async () => {
    const t = setup([resp({ user_pts: 1 })]);
    await t.engine.catchUp();
    t.engine.setBaseline(7, 10);
    t.engine.handle(ev(7, 11));
    t.engine.handle(ev(7, 11));
    t.engine.handle(ev(7, 10));
    t.engine.handle(ev(7, 12));
    expect(t.applied).toEqual(['7:11', '7:12']);
    expect(t.engine.knownPts(7)).toBe(12);
  });

  it('a pts gap syncs that chat and applies what was missed in order', async () => {
    const missed = deferred<SyncResponse>();
    const t = setup([resp({ user_pts: 1 }), missed.promise]);
    await t.engine.catchUp();
    t.engine.setBaseline(7, 10);
    t.engine.handle(ev(7, 13)); // 11 and 12 were missed
    expect(t.engine.syncing).toBe(true);
    t.engine.handle(ev(7, 14)); // arrives while syncing: waits
    expect(t.applied).toEqual([]);
    missed.resolve(
      resp({
        user_pts: 1,
        chats: [{ chat_id: 7, pts: 13, events: [ev(7, 11), ev(7, 12), ev(7, 13)] as never, too_long: false, not_member: false }],
      }),
    );
    await vi.waitFor(() => expect(t.engine.syncing).toBe(false));
    expect(t.requests[1]).toEqual({ user_pts: 1, chats: { '7': 10 } });
    expect(t.applied).toEqual(['7:11', '7:12', '7:13', '7:14']);
  });

  it('after a reconnect, catches up every known chat and the user events', async () => {
    const t = setup([
      resp({ user_pts: 3 }),
      resp({
        user_pts: 5,
        user_events: [uev(4), uev(5)] as never,
        chats: [
          { chat_id: 1, pts: 22, events: [ev(1, 21), ev(1, 22)] as never, too_long: false, not_member: false },
          { chat_id: 2, pts: 5, events: [], too_long: false, not_member: false },
        ],
      }),
    ]);
    await t.engine.catchUp();
    t.engine.setBaseline(1, 20);
    t.engine.setBaseline(2, 5);
    await t.engine.catchUp();
    expect(t.requests[1]).toEqual({ user_pts: 3, chats: { '1': 20, '2': 5 } });
    expect(t.applied).toEqual(['u:4', 'u:5', '1:21', '1:22']);
    expect(t.engine.knownUserPts()).toBe(5);
    expect(t.engine.knownPts(1)).toBe(22);
  });

  it('too_long reloads the chat and continues from its pts; not_member drops it', async () => {
    const t = setup([
      resp({ user_pts: 1 }),
      resp({
        user_pts: 1,
        chats: [
          { chat_id: 1, pts: 900, events: [], too_long: true, not_member: false },
          { chat_id: 2, pts: 0, events: [], too_long: false, not_member: true },
        ],
      }),
    ]);
    await t.engine.catchUp();
    t.engine.setBaseline(1, 3);
    t.engine.setBaseline(2, 3);
    await t.engine.catchUp();
    expect(t.h.reloadChat).toHaveBeenCalledWith(1);
    expect(t.h.dropChat).toHaveBeenCalledWith(2);
    expect(t.engine.knownPts(1)).toBe(900);
    expect(t.engine.knownPts(2)).toBeUndefined();
    t.engine.handle(ev(1, 901));
    expect(t.applied).toEqual(['1:901']);
  });

  it('user_too_long reloads the chat list', async () => {
    const t = setup([resp({ user_pts: 1 }), resp({ user_pts: 400, user_too_long: true })]);
    await t.engine.catchUp();
    await t.engine.catchUp();
    expect(t.h.reloadChats).toHaveBeenCalledTimes(2);
    expect(t.engine.knownUserPts()).toBe(400);
  });

  it('a user pts gap triggers a sync', async () => {
    const t = setup([resp({ user_pts: 1 }), resp({ user_pts: 3, user_events: [uev(2), uev(3)] as never })]);
    await t.engine.catchUp();
    t.engine.handle(uev(3));
    await vi.waitFor(() => expect(t.applied).toEqual(['u:2', 'u:3']));
  });

  it('events of chats without a baseline are applied as they come', async () => {
    const t = setup([resp({ user_pts: 1 })]);
    await t.engine.catchUp();
    t.engine.handle(ev(9, 4));
    expect(t.applied).toEqual(['9:4']);
  });

  it('a failed sync is retried in full next time', async () => {
    const t = setup([resp({ user_pts: 1 })]);
    await t.engine.catchUp();
    t.engine.setBaseline(1, 1);
    await expect(t.engine.catchUp()).rejects.toThrow();
    expect(t.engine.syncing).toBe(false);
  });

  it('keeps each service’s cursor, sends it back on every sync, and hands over its part (not an unavailable one)', async () => {
    const state = { type: 'notification.state', unread_count: 3 } as never;
    const t = setup([
      resp({ user_pts: 1, services: { notify: { cursor: 'c-1', entries: [state], too_long: false } } }),
      resp({ user_pts: 1, services: { notify: { cursor: 'c-1', entries: [], too_long: false, unavailable: true } } }),
      resp({ user_pts: 1, services: { notify: { cursor: 'c-2', entries: [], too_long: true } } }),
    ]);
    await t.engine.catchUp();
    expect(t.requests[0]?.services).toBeUndefined();
    expect(t.h.applyService).toHaveBeenCalledWith('notify', { cursor: 'c-1', entries: [state], too_long: false });
    await t.engine.catchUp();
    expect(t.requests[1]?.services).toEqual({ notify: 'c-1' });
    expect(t.h.applyService).toHaveBeenCalledTimes(1);
    expect(t.engine.serviceCursor('notify')).toBe('c-1');
    // A gap sync of one chat sends the cursors too.
    t.engine.setBaseline(4, 1);
    t.engine.handle(ev(4, 3));
    await vi.waitFor(() => expect(t.h.applyService).toHaveBeenCalledTimes(2));
    expect(t.requests[2]).toEqual({ user_pts: 1, chats: { '4': 1 }, services: { notify: 'c-1' } });
    expect(t.engine.serviceCursor('notify')).toBe('c-2');
    // Signed out: forgotten.
    t.engine.reset();
    expect(t.engine.serviceCursor('notify')).toBeUndefined();
  });
});
