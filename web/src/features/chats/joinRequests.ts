/**
 * Requests to join (docs/api.md "Join requests"): who follows an invite link that needs
 * approval asks to join and waits; the chat's admins who may invite approve or decline. The
 * logic as plain functions: who decides, what following a link did, the join page's state,
 * the cached pages of waiting people, how many wait (the badge), and what the user events
 * `join_request.new` / `join_request.decided` change in the cache.
 */
import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import type { ChatInfo, InvitePreview, JoinPending, JoinRequest, JoinRequestPage } from '../../api/types';
import { keys } from '../../state/keys';
import type { UserEventFrame } from '../realtime/frames';

/** The waiting people as the panel caches them: pages of `GET /chats/{id}/join-requests`, oldest first. */
export type JoinRequestList = InfiniteData<JoinRequestPage, string | undefined>;

/** Whether I decide on a chat's requests (and may make links that need approval): an admin or its owner who may invite. */
export function decidesJoins(chat: Pick<ChatInfo, 'kind' | 'my_role' | 'my_permissions'>): boolean {
  return chat.kind !== 'direct' && chat.my_role !== 'member' && chat.my_permissions.includes('invite');
}

/** What following a link did: joined (the chat), or asked and waiting (202). */
export type JoinOutcome = { kind: 'joined'; chat: ChatInfo } | { kind: 'requested'; pending: JoinPending };

export function joinOutcome(answer: ChatInfo | JoinPending): JoinOutcome {
  return 'requested' in answer ? { kind: 'requested', pending: answer } : { kind: 'joined', chat: answer };
}

/**
 * What the join page offers: the chat (I am in it), a join button, a request button (the link
 * needs approval), or that my request waits.
 */
export type JoinState = 'member' | 'join' | 'request' | 'requested';

export function joinState(preview: Pick<InvitePreview, 'joined' | 'needs_approval' | 'requested'>): JoinState {
  if (preview.joined) return 'member';
  if (preview.requested) return 'requested';
  return preview.needs_approval ? 'request' : 'join';
}

/** Every loaded request, oldest first. */
export function loadedRequests(list: JoinRequestList | undefined): JoinRequest[] {
  return list?.pages.flatMap((p) => p.items) ?? [];
}

/** The cached pages without `userId`'s request (decided). */
export function withoutRequest(list: JoinRequestList | undefined, userId: number): JoinRequestList | undefined {
  if (!list) return list;
  return { ...list, pages: list.pages.map((p) => ({ ...p, items: p.items.filter((r) => r.user_id !== userId) })) };
}

/** How many wait: `more` when only some are counted (more pages to load). */
export interface Pending {
  count: number;
  more: boolean;
}

/**
 * How many wait to join: what the latest `join_request.*` event said (exact), else the
 * requests loaded so far (`more` while there are pages left).
 */
export function pendingOf(live: number | undefined, list: JoinRequestList | undefined, hasMore: boolean): Pending {
  if (live !== undefined) return { count: live, more: false };
  return { count: loadedRequests(list).length, more: hasMore };
}

/** The badge's text: "3", "20+", "99+". */
export function badgeText({ count, more }: Pending): string {
  if (count > 99) return '99+';
  return more ? `${count}+` : String(count);
}

/** A declined request of mine, shown until dismissed. */
export interface DeclinedNotice {
  chatId: number;
  /** The chat's title, if this page saw it (on the join page); null when it did not. */
  title: string | null;
}

/** Titles of the chats whose links I followed in this page: a decision names the chat by id only. */
const titles = new Map<number, string>();

/** Remembers a chat's title for a later decision on my request (the join page calls it). */
export function rememberTitle(chatId: number, title: string): void {
  titles.set(chatId, title);
}

/**
 * A `join_request.*` user event. An admin's: the new count for the badge, and the list
 * reloaded (a new request) or without the decided one. Mine, as the one who asked: the join
 * page's preview reloaded (in now, or free to ask again) and, when declined, a notice. When
 * approved, `chat.added` brings the chat into the list.
 */
export function applyJoinEvent(qc: QueryClient, ev: UserEventFrame, me: number | null): void {
  if (ev.kind === 'join_request.new') {
    const { chat_id, pending } = ev.data;
    qc.setQueryData<number>(keys.joinPending(chat_id), pending);
    void qc.invalidateQueries({ queryKey: keys.joinRequests(chat_id) });
    return;
  }
  if (ev.kind !== 'join_request.decided') return;
  const { chat_id, user_id, approved, pending } = ev.data;
  if (user_id === me) {
    void qc.invalidateQueries({ queryKey: keys.invitePreviews });
    // One notice a chat, of the latest decision: an approval takes an older decline away.
    qc.setQueryData<DeclinedNotice[]>(keys.joinDeclined, (list = []) => {
      const others = list.filter((n) => n.chatId !== chat_id);
      return approved ? others : [...others, { chatId: chat_id, title: titles.get(chat_id) ?? null }];
    });
    return;
  }
  qc.setQueryData<number>(keys.joinPending(chat_id), pending);
  qc.setQueryData<JoinRequestList>(keys.joinRequests(chat_id), (list) => withoutRequest(list, user_id));
}

/** The user log was cut (or this is the first start): every count and list may be out of date. */
export function joinEventsMissed(qc: QueryClient): void {
  void qc.resetQueries({ queryKey: keys.allJoinPending });
  void qc.invalidateQueries({ queryKey: keys.allJoinRequests });
}
