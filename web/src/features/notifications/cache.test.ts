import { InfiniteQueryObserver, QueryClient } from '@tanstack/react-query';
import { describe, expect, it, vi } from 'vitest';
import { keys } from '../../state/keys';
import { note } from '../../test/fixtures';
import { applyNotifyFrame, applyNotifyPart, markRead, removeEntries, unreadOf, upsertEntry, type NotificationList } from './cache';

/** Pages newest first, each newest first, the badge on each. */
const pages = (unread: number, ...lists: number[][]): NotificationList => ({
  pages: lists.map((ids, i) => ({ items: ids.map((id) => note(id)), unread_count: unread, next_cursor: i < lists.length - 1 ? `c${i}` : null })),
  pageParams: lists.map((_, i) => (i === 0 ? undefined : `c${i - 1}`)),
});
const ids = (l: NotificationList | undefined) => l?.pages.map((p) => p.items.map((n) => n.id));

describe('the notification list in the cache', () => {
  it('a new entry goes on top; one brought up to date keeps its place', () => {
    const l = pages(2, [5, 4], [3, 2]);
    expect(ids(upsertEntry(l, note(6)))).toEqual([[6, 5, 4], [3, 2]]);
    const updated = upsertEntry(l, note(3, { kind: 'reaction', preview: '👍' }));
    expect(ids(updated)).toEqual([[5, 4], [3, 2]]);
    expect(updated?.pages[1]?.items[0]).toMatchObject({ kind: 'reaction', preview: '👍' });
    expect(upsertEntry(undefined, note(1))).toBeUndefined();
  });

  it('entries go by id; read marks some ids, up to an id, or all', () => {
    const l = pages(4, [5, 4], [3, 2]);
    expect(ids(removeEntries(l, [4, 2]))).toEqual([[5], [3]]);
    const upTo = markRead(l, { upTo: 4 }, 99);
    expect(upTo?.pages.flatMap((p) => p.items.map((n) => n.read_at ?? null))).toEqual([null, 99, 99, 99]);
    expect(markRead(l, { upTo: null }, 99)?.pages.flatMap((p) => p.items.map((n) => n.read_at))).toEqual([99, 99, 99, 99]);
    const some = markRead(l, { ids: [5, 3] }, 99);
    expect(some?.pages.flatMap((p) => p.items.map((n) => n.read_at ?? null))).toEqual([99, null, 99, null]);
    // An entry read earlier keeps its time.
    const once = markRead(l, { upTo: 3 }, 50);
    expect(markRead(once, { upTo: null }, 99)?.pages[1]?.items[0]?.read_at).toBe(50);
  });

  it('frames change the list and the badge (the count is the server’s, not the loaded entries’)', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.notifications, pages(1, [2, 1]));
    const list = () => qc.getQueryData<NotificationList>(keys.notifications);
    applyNotifyFrame(qc, { type: 'notification.new', notification: note(3), unread_count: 12 });
    expect(ids(list())).toEqual([[3, 2, 1]]);
    expect(unreadOf(list())).toBe(12);
    applyNotifyFrame(qc, { type: 'notification.removed', ids: [2], unread_count: 11 });
    expect(ids(list())).toEqual([[3, 1]]);
    expect(unreadOf(list())).toBe(11);
    applyNotifyFrame(qc, { type: 'notification.read', up_to: 1, unread_count: 10 }, 77);
    expect(list()?.pages[0]?.items.map((n) => n.read_at ?? null)).toEqual([null, 77]);
    // Its chat was read on some device: only its entries.
    applyNotifyFrame(qc, { type: 'notification.read', ids: [3], unread_count: 9 }, 80);
    expect(list()?.pages[0]?.items.map((n) => n.read_at ?? null)).toEqual([80, 77]);
    expect(unreadOf(list())).toBe(9);
    applyNotifyFrame(qc, { type: 'notification.new', notification: note(4), unread_count: 10 });
    applyNotifyFrame(qc, { type: 'notification.read', unread_count: 0 }, 88);
    expect(list()?.pages[0]?.items.map((n) => n.read_at)).toEqual([88, 80, 77]);
    expect(unreadOf(list())).toBe(0);
  });

  it('a frame that comes while the list is loading is not lost when the older answer lands', async () => {
    const qc = new QueryClient();
    const answers: ((l: NotificationList['pages'][number]) => void)[] = [];
    const observer = new InfiniteQueryObserver(qc, {
      queryKey: keys.notifications,
      queryFn: () => new Promise<NotificationList['pages'][number]>((resolve) => answers.push(resolve)),
      initialPageParam: undefined as string | undefined,
      getNextPageParam: () => undefined,
    });
    const off = observer.subscribe(() => {});
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    // The load was asked before entry 3 existed; its frame comes first.
    applyNotifyFrame(qc, { type: 'notification.new', notification: note(3), unread_count: 3 });
    answers[0]?.(pages(2, [2, 1]).pages[0]!);
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    answers[1]?.(pages(3, [3, 2, 1]).pages[0]!);
    await vi.waitFor(() => expect(ids(qc.getQueryData(keys.notifications))).toEqual([[3, 2, 1]]));
    expect(unreadOf(qc.getQueryData(keys.notifications))).toBe(3);
    off();
  });

  it('a frame before the list loaded (or with no notify) makes nothing up', () => {
    const qc = new QueryClient();
    applyNotifyFrame(qc, { type: 'notification.new', notification: note(3), unread_count: 1 });
    expect(qc.getQueryData(keys.notifications)).toBeUndefined();
  });

  it('notify’s part of a sync: notification.state sets the badge and reloads the list; too_long reloads; nothing new leaves it', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.notifications, pages(0, [1]));
    applyNotifyPart(qc, { cursor: 'c1', entries: [], too_long: false });
    expect(qc.getQueryState(keys.notifications)?.isInvalidated).toBe(false);
    applyNotifyPart(qc, { cursor: 'c2', entries: [{ type: 'notification.state', unread_count: 4 } as never], too_long: false });
    expect(unreadOf(qc.getQueryData(keys.notifications))).toBe(4);
    expect(qc.getQueryState(keys.notifications)?.isInvalidated).toBe(true);
    const other = new QueryClient();
    other.setQueryData(keys.notifications, pages(0, [1]));
    applyNotifyPart(other, { cursor: 'c3', entries: [], too_long: true });
    expect(other.getQueryState(keys.notifications)?.isInvalidated).toBe(true);
  });
});
