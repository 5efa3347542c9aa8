/**
 * Opening an entry: the chat at its message (`/chat/ID?seq=N`, the same jump as a search hit),
 * and the list read up to it (`POST /notifications/read {up_to}`; the server also tells the
 * user's other devices). Used by the list and by a click on a push notification.
 */
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import type { Notification } from '../../api/types';
import { keys } from '../../state/keys';
import { markRead, withUnread, type NotificationList } from './cache';

/** Where an entry leads: its chat, at the message when it is about one. */
export function entryPath(entry: Pick<Notification, 'chat_id' | 'seq'>): string {
  return entry.seq ? `/chat/${entry.chat_id}?seq=${entry.seq}` : `/chat/${entry.chat_id}`;
}

/** Marks entries read up to `upTo` (all when absent): at once here, then as the server counts. */
export async function readUpTo(qc: QueryClient, upTo?: number): Promise<void> {
  qc.setQueryData<NotificationList>(keys.notifications, (l) => {
    const read = markRead(l, { upTo: upTo ?? null }, Date.now());
    return upTo === undefined ? withUnread(read, 0) : read;
  });
  const { unread_count } = await api.readNotifications(upTo);
  qc.setQueryData<NotificationList>(keys.notifications, (l) => withUnread(l, unread_count));
}

/** Opens an entry's chat and reads the list up to it (unless it was read already). */
export function useOpenEntry(): (entry: Pick<Notification, 'id' | 'chat_id' | 'seq'> & { read_at?: number | null }) => void {
  const navigate = useNavigate();
  const qc = useQueryClient();
  return useCallback(
    (entry) => {
      navigate(entryPath(entry));
      // Not read after all (offline?): the list shows what the server has.
      if (!entry.read_at) readUpTo(qc, entry.id).catch(() => qc.invalidateQueries({ queryKey: keys.notifications }));
    },
    [navigate, qc],
  );
}
