/**
 * Applies event frames to the query cache, so every screen updates in place: the chat list
 * (last message, unread count, order, title and picture), the open history and the chat's
 * file list, members, pins, and the profiles of people whose name or picture changed.
 */
import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import type { ChatInfo, HistoryPage, MemberInfo, Message, Profile, ReactionCount } from '../../api/types';
import type { ChatEventFrame, UserEventFrame } from './frames';
import { keys } from '../../state/keys';
import { setPeerRead, clearTyping, peerWrote } from './state';
import { applyJoinEvent, joinEventsMissed } from '../chats/joinRequests';

/**
 * Where a page of history starts: none for the latest messages, `before` for older pages,
 * `around` for a jump to a message far back, `after` for the newer pages below such a jump.
 */
export type HistoryParam = { before?: number; after?: number; around?: number } | undefined;

/**
 * A chat's loaded history: `pages[0]` is the newest page, later pages are older. After a jump
 * the newest page is an `around` (or `after`) page that may not reach the live end yet.
 */
export type History = InfiniteData<HistoryPage, HistoryParam>;

/** The next older page, if there is one (the oldest page's `has_more`). */
export function olderParam(oldest: HistoryPage): HistoryParam {
  const first = oldest.messages[0];
  return oldest.has_more && first ? { before: first.seq } : undefined;
}

/** The next newer page below a jump, if the newest loaded page does not reach the live end. */
export function newerParam(newest: HistoryPage, param: HistoryParam): HistoryParam {
  const last = newest.messages[newest.messages.length - 1];
  if (!last) return undefined;
  if (param?.around !== undefined) return newest.has_newer ? { after: last.seq } : undefined;
  if (param?.after !== undefined) return newest.has_more ? { after: last.seq } : undefined;
  return undefined;
}

/** Whether the loaded history reaches the latest message (live messages join it). */
export function atLiveEnd(data: History | undefined): boolean {
  const page = data?.pages[0];
  return !page || newerParam(page, data.pageParams[0]) === undefined;
}

/** The history after a jump: one page around `seq`, the rest loads as the reader scrolls. */
export function aroundHistory(page: HistoryPage, seq: number): History {
  return { pages: [page], pageParams: [{ around: seq }] };
}

/**
 * How far the other member of a direct chat has read: what the chat said when loaded
 * (`peer_read_seq`) or a later `read.updated` event, whichever is further. Undefined for
 * groups and channels (no read ticks there).
 */
export function peerReadSeq(chat: Pick<ChatInfo, 'kind' | 'peer_read_seq'>, live: number | undefined): number | undefined {
  if (chat.kind !== 'direct') return undefined;
  return Math.max(chat.peer_read_seq ?? 0, live ?? 0);
}

export function sortChats(chats: ChatInfo[]): ChatInfo[] {
  return [...chats].sort((a, b) => b.last_activity_at - a.last_activity_at || b.id - a.id);
}

/** Puts a message into a history cache: replaces the one with its seq, or adds it in order. */
export function upsertMessage(data: History | undefined, msg: Message): History | undefined {
  if (!data || data.pages.length === 0) return data;
  let found = false;
  const pages = data.pages.map((p) => {
    if (!p.messages.some((m) => m.seq === msg.seq)) return p;
    found = true;
    return { ...p, messages: p.messages.map((m) => (m.seq === msg.seq ? mergeMessage(m, msg) : m)) };
  });
  if (found) return { ...data, pages };
  // Below a jump, newer pages load in order: a live message would leave a gap before it.
  if (!atLiveEnd(data)) return data;
  // pages[0] is the newest page; a new message goes there, in seq order.
  const first = pages[0] as HistoryPage;
  const oldestLoaded = Math.min(...pages.flatMap((p) => p.messages.map((m) => m.seq)));
  if (Number.isFinite(oldestLoaded) && msg.seq < oldestLoaded) return data; // not loaded yet
  const messages = [...first.messages, msg].sort((a, b) => a.seq - b.seq);
  return { ...data, pages: [{ ...first, messages }, ...pages.slice(1)] };
}

/** An event's copy of a message has no `me` on reactions: keep ours. */
function mergeMessage(old: Message, next: Message): Message {
  const mine = new Set((old.reactions ?? []).filter((r) => r.me).map((r) => r.emoji));
  const reactions = (next.reactions ?? []).map((r) => ({ ...r, me: r.me ?? mine.has(r.emoji) }));
  return { ...next, reactions };
}

export function mapMessage(data: History | undefined, seq: number, fn: (m: Message) => Message): History | undefined {
  if (!data) return data;
  return {
    ...data,
    pages: data.pages.map((p) =>
      p.messages.some((m) => m.seq === seq) ? { ...p, messages: p.messages.map((m) => (m.seq === seq ? fn(m) : m)) } : p,
    ),
  };
}

export function applyReactions(
  m: Message,
  reactions: ReactionCount[],
  change?: { userId: number | undefined; me: number; emoji: string; added: boolean },
): Message {
  const mine = new Set((m.reactions ?? []).filter((r) => r.me).map((r) => r.emoji));
  if (change && change.userId === change.me) {
    if (change.added) mine.add(change.emoji);
    else mine.delete(change.emoji);
  }
  return { ...m, reactions: reactions.map((r) => ({ emoji: r.emoji, count: r.count, me: mine.has(r.emoji) })) };
}

function tombstone(m: Message): Message {
  return { ...m, text: '', entities: [], deleted: true, reactions: [] };
}

/**
 * Puts a profile as it is now (a `user.updated` frame, or the answer to my own change) wherever
 * the cache keeps it: the profile itself (what the chat list, the history, profiles and
 * avatars read), mine if it is me, and the person's name in every member list (the members
 * panel, mention suggestions).
 */
export function storeProfile(qc: QueryClient, user: Profile, me: number | null): void {
  qc.setQueryData(keys.user(user.id), user);
  if (user.id === me) qc.setQueryData(keys.me, user);
  qc.setQueriesData<MemberInfo[]>({ queryKey: keys.allMembers }, (list) =>
    list?.some((m) => m.user_id === user.id)
      ? list.map((m) => (m.user_id === user.id ? { ...m, username: user.username, display_name: user.display_name } : m))
      : list,
  );
}

export class CacheApplier {
  private invalidateTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly qc: QueryClient,
    private readonly me: () => number | null,
  ) {}

  private patchChat(chatId: number, fn: (c: ChatInfo) => ChatInfo): boolean {
    let found = false;
    this.qc.setQueryData<ChatInfo[]>(keys.chats, (list) => {
      if (!list) return list;
      const next = list.map((c) => {
        if (c.id !== chatId) return c;
        found = true;
        return fn(c);
      });
      return found ? sortChats(next) : list;
    });
    this.qc.setQueryData<ChatInfo>(keys.chat(chatId), (c) => (c ? fn(c) : c));
    return found;
  }

  /** Applies `fn` to the chat's loaded history and to its file list (the same shape). */
  private patchHistories(chatId: number, fn: (h: History | undefined) => History | undefined): void {
    this.qc.setQueryData<History>(keys.history(chatId), fn);
    this.qc.setQueryData<History>(keys.chatFiles(chatId), fn);
  }

  /** Someone's profile changed (a `user.updated` frame): their name and picture everywhere. */
  userUpdated(user: Profile): void {
    storeProfile(this.qc, user, this.me());
  }

  /**
   * The socket was down: `user.updated` frames are not replayed, so every profile (mine too)
   * is marked stale and fetched again where it is next shown, rather than all at once.
   */
  profilesMissed(): void {
    void this.qc.invalidateQueries({ queryKey: keys.allUsers, refetchType: 'none' });
    void this.qc.invalidateQueries({ queryKey: keys.me, refetchType: 'none' });
  }

  /**
   * The user log is new to this page or was cut (`user_too_long`): the chat list is loaded
   * again, and what only user events keep current (how many wait to join) is asked again.
   */
  userLogMissed(): void {
    this.refreshChatsSoon();
    joinEventsMissed(this.qc);
  }

  /** Refetch the chat list soon (several events in a row cause one request). */
  refreshChatsSoon(): void {
    if (this.invalidateTimer) return;
    this.invalidateTimer = setTimeout(() => {
      this.invalidateTimer = null;
      void this.qc.invalidateQueries({ queryKey: keys.chats });
    }, 300);
  }

  chatEvent(ev: ChatEventFrame): void {
    const id = ev.chat_id;
    const me = this.me();
    switch (ev.kind) {
      case 'message.new': {
        const msg = ev.data;
        this.qc.setQueryData<History>(keys.history(id), (h) => upsertMessage(h, msg));
        if (msg.attachment) this.qc.setQueryData<History>(keys.chatFiles(id), (h) => upsertMessage(h, msg));
        clearTyping(id, msg.sender_id);
        if (msg.sender_id !== me) peerWrote(msg.sender_id);
        const found = this.patchChat(id, (c) => ({
          ...c,
          pts: Math.max(c.pts, ev.pts),
          last_message: msg,
          last_seq: Math.max(c.last_seq, msg.seq),
          last_activity_at: Math.max(c.last_activity_at, msg.created_at),
          unread_count: msg.sender_id !== me && msg.seq > c.read_seq ? c.unread_count + 1 : c.unread_count,
          read_seq: msg.sender_id === me ? Math.max(c.read_seq, msg.seq) : c.read_seq,
        }));
        if (!found) this.refreshChatsSoon();
        return;
      }
      case 'message.edited': {
        const msg = ev.data;
        this.patchHistories(id, (h) => mapMessage(h, msg.seq, (m) => mergeMessage(m, msg)));
        this.patchChat(id, (c) => (c.last_message?.seq === msg.seq ? { ...c, last_message: msg } : c));
        this.qc.setQueryData<Message[]>(keys.pins(id), (p) => p?.map((m) => (m.seq === msg.seq ? msg : m)));
        return;
      }
      case 'message.attachment': {
        const { seq, attachment } = ev.data;
        const withCard = (m: Message): Message => ({ ...m, attachment });
        this.patchHistories(id, (h) => mapMessage(h, seq, withCard));
        this.patchChat(id, (c) => (c.last_message?.seq === seq ? { ...c, last_message: withCard(c.last_message) } : c));
        return;
      }
      case 'message.changed':
        // The event cannot carry the message (not every member may see it): refetch.
        void this.qc.invalidateQueries({ queryKey: keys.history(id) });
        void this.qc.invalidateQueries({ queryKey: keys.chatFiles(id) });
        return;
      case 'message.deleted': {
        const { seq } = ev.data;
        this.patchHistories(id, (h) => mapMessage(h, seq, tombstone));
        this.patchChat(id, (c) => (c.last_message?.seq === seq ? { ...c, last_message: tombstone(c.last_message) } : c));
        this.qc.setQueryData<Message[]>(keys.pins(id), (p) => p?.filter((m) => m.seq !== seq));
        return;
      }
      case 'reaction.changed': {
        const { seq, reactions, emoji, added } = ev.data;
        const change = { userId: ev.data.user_id ?? undefined, me: me ?? -1, emoji, added };
        this.qc.setQueryData<History>(keys.history(id), (h) =>
          mapMessage(h, seq, (m) => applyReactions(m, reactions, change)),
        );
        return;
      }
      case 'pin.changed':
        void this.qc.invalidateQueries({ queryKey: keys.pins(id) });
        return;
      case 'member.joined':
      case 'member.left':
      case 'member.removed':
      case 'member.updated':
        void this.qc.invalidateQueries({ queryKey: keys.members(id) });
        void this.qc.invalidateQueries({ queryKey: keys.chat(id) });
        // Someone joined by a link ("used N times" goes up), or a link's maker left or lost
        // the right to invite (their links stop working): the links panel reloads if open.
        void this.qc.invalidateQueries({ queryKey: keys.invites(id) });
        this.refreshChatsSoon();
        return;
      case 'chat.updated': {
        // `avatar` is the picture after the change: absent when it was removed.
        const { title, description, history_visibility, avatar } = ev.data;
        this.patchChat(id, (c) => ({ ...c, title, description, history_visibility, avatar: avatar ?? null }));
        return;
      }
      case 'read.updated': {
        const { user_id, seq } = ev.data;
        if (user_id === me) return;
        setPeerRead(id, seq);
        this.patchChat(id, (c) => (c.kind === 'direct' && seq > (c.peer_read_seq ?? 0) ? { ...c, peer_read_seq: seq } : c));
        return;
      }
      default:
      // Unknown kinds are ignored (docs/protocol.md).
    }
  }

  userEvent(ev: UserEventFrame): void {
    switch (ev.kind) {
      case 'chat.added':
        this.refreshChatsSoon();
        return;
      case 'chat.removed':
        this.dropChat(ev.data.chat_id);
        return;
      case 'read.updated': {
        const { chat_id, seq } = ev.data;
        this.patchChat(chat_id, (c) =>
          seq > c.read_seq ? { ...c, read_seq: seq, unread_count: Math.max(0, Math.min(c.unread_count, c.last_seq - seq)) } : c,
        );
        return;
      }
      case 'join_request.new':
      case 'join_request.decided':
        applyJoinEvent(this.qc, ev, this.me());
        return;
      default:
    }
  }


  dropChat(id: number): void {
    this.qc.setQueryData<ChatInfo[]>(keys.chats, (list) => list?.filter((c) => c.id !== id));
    this.qc.removeQueries({ queryKey: keys.history(id) });
    this.qc.removeQueries({ queryKey: keys.chatFiles(id) });
    this.qc.removeQueries({ queryKey: keys.chat(id) });
  }

  reloadChat(id: number): void {
    void this.qc.invalidateQueries({ queryKey: keys.chat(id) });
    void this.qc.resetQueries({ queryKey: keys.history(id) });
    void this.qc.resetQueries({ queryKey: keys.chatFiles(id) });
    void this.qc.invalidateQueries({ queryKey: keys.pins(id) });
    void this.qc.invalidateQueries({ queryKey: keys.members(id) });
    void this.qc.invalidateQueries({ queryKey: keys.invites(id) });
    void this.qc.invalidateQueries({ queryKey: keys.joinRequests(id) });
    this.refreshChatsSoon();
  }
}
