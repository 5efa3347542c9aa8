/** Server state hooks (TanStack Query). */
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { api } from '../api/endpoints';
import type { ChatInfo, Profile } from '../api/types';
import { keys } from './keys';
import { live } from '../features/realtime/live';
import { sortChats } from '../features/realtime/apply';
import { useSession } from '../features/auth/useSession';
import { useEffect } from 'react';
import { presence, presenceAsked, setPresence } from '../features/realtime/state';
import { useStore } from './store';

/**
 * How far this page has marked chats read. A chat list or chat fetched while a read marker
 * was on its way can still carry the old count: this keeps it from coming back.
 */
export const sentReads = new Map<number, number>();

export function withSentRead(c: ChatInfo): ChatInfo {
  const seq = sentReads.get(c.id);
  if (seq === undefined || seq <= c.read_seq) return c;
  return { ...c, read_seq: seq, unread_count: Math.min(c.unread_count, Math.max(0, c.last_seq - seq)) };
}

/** Every chat I am in (pages of 100 followed up to 1000), most recent first. */
export async function loadChats(): Promise<ChatInfo[]> {
  const all: ChatInfo[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10; i++) {
    const page = await api.chats(cursor);
    all.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  const engine = live()?.engine;
  for (const c of all) engine?.setBaseline(c.id, c.pts);
  return sortChats(all.map(withSentRead));
}

export function useChats() {
  return useQuery({ queryKey: keys.chats, queryFn: loadChats, staleTime: 60_000 });
}

export function useChat(id: number, qc: QueryClient) {
  return useQuery({
    queryKey: keys.chat(id),
    queryFn: async () => {
      const chat = await api.chat(id);
      live()?.engine.setBaseline(chat.id, chat.pts);
      return withSentRead(chat);
    },
    initialData: () => qc.getQueryData<ChatInfo[]>(keys.chats)?.find((c) => c.id === id),
    initialDataUpdatedAt: () => qc.getQueryState(keys.chats)?.dataUpdatedAt,
    staleTime: 30_000,
  });
}

export function useUser(id: number | null | undefined) {
  return useQuery({
    queryKey: keys.user(id ?? 0),
    queryFn: () => api.user(id as number),
    enabled: typeof id === 'number' && id > 0,
    staleTime: 5 * 60_000,
  });
}

export function displayName(p: Pick<Profile, 'display_name' | 'username'> | undefined | null): string {
  if (!p) return '…';
  return p.display_name.trim() || p.username;
}

/** The name a chat shows: its title, or for direct chats the other person's name. */
export function useChatTitle(chat: ChatInfo | undefined): string {
  const peer = useUser(chat?.kind === 'direct' ? chat.peer_id : null);
  if (!chat) return '';
  if (chat.kind === 'direct') return peer.data ? displayName(peer.data) : chat.title || '…';
  return chat.title;
}

export function useMe() {
  const s = useSession();
  return useQuery({
    queryKey: keys.me,
    queryFn: () => api.me(),
    enabled: s.status === 'signed_in',
    staleTime: 5 * 60_000,
  });
}

/** My account's status (two-step verification on or off). */
export function useAccount() {
  const s = useSession();
  return useQuery({
    queryKey: keys.account,
    queryFn: () => api.account(),
    enabled: s.status === 'signed_in',
    staleTime: 60_000,
  });
}


/**
 * Makes sure the presence of these direct-chat peers is known: the socket reports it for the
 * peers it knew when it connected, so a chat opened or created later asks
 * `GET /realtime/presence` once (again after the peer writes: the server shares presence only
 * once both have written); live `presence` frames keep it current after that.
 */
export function usePresenceOf(ids: readonly number[]): void {
  const known = useStore(presence);
  const missing = ids.filter((id) => id > 0 && !known.has(id) && !presenceAsked.has(id)).slice(0, 200);
  const key = [...new Set(missing)].sort((a, b) => a - b).join(',');
  useEffect(() => {
    if (!key) return;
    const list = key
      .split(',')
      .map(Number)
      .filter((id) => !presenceAsked.has(id));
    if (list.length === 0) return;
    for (const id of list) presenceAsked.add(id);
    api.presence(list).then(
      (answer) => {
        // A live frame that came first is newer than this answer.
        for (const p of answer) if (!presence.get().has(p.user_id)) setPresence(p.user_id, p.online);
      },
      () => {
        for (const id of list) presenceAsked.delete(id);
      },
    );
  }, [key]);
}
