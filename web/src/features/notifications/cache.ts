/**
 * The notification list in the query cache (docs/notifications.md): pages newest first, the
 * badge (`unread_count`) on the first page. Live frames (`notification.new`, `.removed`,
 * `.read`) change it in place; notify's part of `/sync` sets the badge and reloads the list.
 * The list's first answer also tells whether the server runs notify at all: a 404 (no notify
 * service) leaves it empty, and then no bell, no per-chat menu and no push settings show.
 */
import { useInfiniteQuery, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import type { Notification, NotificationPage, SyncPart } from '../../api/types';
import { keys } from '../../state/keys';
import { useSession } from '../auth/useSession';
import type { ServerFrame } from '../realtime/frames';

export type NotificationList = InfiniteData<NotificationPage, string | undefined>;
export type NotifyFrame = Extract<ServerFrame, { type: 'notification.new' | 'notification.removed' | 'notification.read' }>;

export function isNotifyFrame(frame: ServerFrame): frame is NotifyFrame {
  return frame.type === 'notification.new' || frame.type === 'notification.removed' || frame.type === 'notification.read';
}

function mapPages(list: NotificationList, fn: (items: Notification[]) => Notification[]): NotificationList {
  return { ...list, pages: list.pages.map((p) => ({ ...p, items: fn(p.items) })) };
}

/** The badge: how many entries are unread in all (not only those loaded). */
export function unreadOf(list: NotificationList | undefined): number {
  return list?.pages[0]?.unread_count ?? 0;
}

export function withUnread(list: NotificationList | undefined, count: number): NotificationList | undefined {
  if (!list) return list;
  return { ...list, pages: list.pages.map((p) => ({ ...p, unread_count: count })) };
}

/** A new entry goes on top; one brought up to date (same id) is replaced where it is. */
export function upsertEntry(list: NotificationList | undefined, entry: Notification): NotificationList | undefined {
  if (!list || list.pages.length === 0) return list;
  if (list.pages.some((p) => p.items.some((n) => n.id === entry.id))) {
    return mapPages(list, (items) => items.map((n) => (n.id === entry.id ? entry : n)));
  }
  const [first, ...rest] = list.pages as [NotificationPage, ...NotificationPage[]];
  const items = [entry, ...first.items].sort((a, b) => b.id - a.id);
  return { ...list, pages: [{ ...first, items }, ...rest] };
}

export function removeEntries(list: NotificationList | undefined, ids: readonly number[]): NotificationList | undefined {
  if (!list) return list;
  const gone = new Set(ids);
  return mapPages(list, (items) => items.filter((n) => !gone.has(n.id)));
}

/** Which entries a read marks: these ids (their chat was read), those up to an id, or all. */
export type ReadScope = { ids: readonly number[] } | { upTo: number | null };

/** Entries in `scope` read at `at`. */
export function markRead(list: NotificationList | undefined, scope: ReadScope, at: number): NotificationList | undefined {
  if (!list) return list;
  const marked =
    'ids' in scope
      ? (n: Notification) => scope.ids.includes(n.id)
      : (n: Notification) => scope.upTo === null || n.id <= scope.upTo;
  return mapPages(list, (items) => items.map((n) => (!n.read_at && marked(n) ? { ...n, read_at: at } : n)));
}

function update(qc: QueryClient, fn: (list: NotificationList | undefined) => NotificationList | undefined): void {
  qc.setQueryData<NotificationList>(keys.notifications, fn);
  // A load still in flight was asked before this frame's change and would overwrite it when it
  // lands (the first load, or a sync's reload right after connecting): drop it and load again.
  // (Invalidating alone joins a first load in flight instead of asking anew.)
  if (qc.isFetching({ queryKey: keys.notifications }) > 0) {
    const queryKey = keys.notifications;
    void qc.cancelQueries({ queryKey }).then(() => qc.invalidateQueries({ queryKey }));
  }
}

/** A live frame of the list, from any of the user's devices. */
export function applyNotifyFrame(qc: QueryClient, frame: NotifyFrame, now = Date.now()): void {
  switch (frame.type) {
    case 'notification.new':
      update(qc, (l) => withUnread(upsertEntry(l, frame.notification), frame.unread_count));
      return;
    case 'notification.removed':
      update(qc, (l) => withUnread(removeEntries(l, frame.ids), frame.unread_count));
      return;
    case 'notification.read':
      update(qc, (l) => {
        const scope: ReadScope = frame.ids ? { ids: frame.ids } : { upTo: frame.up_to ?? null };
        return withUnread(markRead(l, scope, now), frame.unread_count);
      });
      return;
  }
}

/**
 * Notify's part of a sync after a reconnect: `notification.state` is the badge now and a sign
 * that the list changed meanwhile (reloaded); `too_long` reloads it too.
 */
export function applyNotifyPart(qc: QueryClient, part: SyncPart): void {
  let changed = part.too_long;
  for (const raw of part.entries) {
    const entry = raw as { type?: string; unread_count?: number };
    if (entry.type !== 'notification.state') continue;
    changed = true;
    if (typeof entry.unread_count === 'number') update(qc, (l) => withUnread(l, entry.unread_count as number));
  }
  if (changed) void qc.invalidateQueries({ queryKey: keys.notifications });
}

/** The list, page by page (kept current by frames, so never stale by time). */
export function useNotifications() {
  const s = useSession();
  return useInfiniteQuery<NotificationPage, Error, NotificationList, typeof keys.notifications, string | undefined>({
    queryKey: keys.notifications,
    queryFn: ({ pageParam }) => api.notifications(pageParam),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    staleTime: Infinity,
    enabled: s.status === 'signed_in',
  });
}

/** Whether this server runs notify: its list answered (until then, and on a 404, no). */
export function useNotifyEnabled(): boolean {
  return useNotifications().data !== undefined;
}

export function useNotifyUnread(): number {
  return unreadOf(useNotifications().data);
}
