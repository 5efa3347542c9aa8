import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import type { AvatarInfo, ChatInfo, MemberInfo, Message, Profile } from '../../api/types';
import type { ChatEventFrame, UserEventFrame } from './frames';
import { keys } from '../../state/keys';
import { peerRead } from './state';
import { chat, msg } from '../../test/fixtures';
import {
  CacheApplier,
  applyReactions,
  aroundHistory,
  atLiveEnd,
  newerParam,
  olderParam,
  peerReadSeq,
  upsertMessage,
  type History,
} from './apply';

const history = (...pages: Message[][]): History => ({
  pages: pages.map((messages) => ({ messages, has_more: false })),
  pageParams: pages.map(() => undefined),
});

describe('cache updates', () => {
  it('member.joined reloads the invite links (their use counts) and the members', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.invites(1), [{ code: 'abc', uses: 0 }]);
    qc.setQueryData(keys.members(1), []);
    const a = new CacheApplier(qc, () => 9);
    a.chatEvent({ type: 'event', chat_id: 1, pts: 2, kind: 'member.joined', data: { user_id: 5, role: 'member' } } as ChatEventFrame);
    expect(qc.getQueryState(keys.invites(1))?.isInvalidated).toBe(true);
    expect(qc.getQueryState(keys.members(1))?.isInvalidated).toBe(true);
  });

  it('join_request events set how many wait; a cut user log forgets the counts', () => {
    const qc = new QueryClient();
    const a = new CacheApplier(qc, () => 9);
    a.userEvent({ type: 'user_event', pts: 4, kind: 'join_request.new', data: { chat_id: 1, user_id: 5, code: 'c', link_created_by: 9, requested_at: 1, pending: 2 } } as UserEventFrame);
    expect(qc.getQueryData(keys.joinPending(1))).toBe(2);
    a.userEvent({ type: 'user_event', pts: 5, kind: 'join_request.decided', data: { chat_id: 1, user_id: 5, approved: true, by: 9, pending: 1 } } as UserEventFrame);
    expect(qc.getQueryData(keys.joinPending(1))).toBe(1);
    a.userLogMissed();
    expect(qc.getQueryData(keys.joinPending(1))).toBeUndefined();
  });

  it('adds a new message at the end of the newest page, once', () => {
    const h = history([msg(3), msg(4)], [msg(1), msg(2)]);
    const once = upsertMessage(h, msg(5));
    const twice = upsertMessage(once, msg(5));
    expect(twice?.pages[0]?.messages.map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(twice?.pages[1]?.messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('replaces an edited message in place and keeps my reaction flags', () => {
    const h = history([msg(1, { reactions: [{ emoji: '👍', count: 1, me: true }] })]);
    const edited = upsertMessage(h, msg(1, { text: 'new', edited_at: 5, reactions: [{ emoji: '👍', count: 2 }] }));
    expect(edited?.pages[0]?.messages[0]).toMatchObject({ text: 'new', reactions: [{ emoji: '👍', count: 2, me: true }] });
  });

  it('reaction events set "me" only for my own change', () => {
    const m = msg(1, { reactions: [{ emoji: '👍', count: 1, me: true }] });
    const other = applyReactions(m, [{ emoji: '👍', count: 2 }, { emoji: '🎉', count: 1 }], { userId: 5, me: 2, emoji: '🎉', added: true });
    expect(other.reactions).toEqual([
      { emoji: '👍', count: 2, me: true },
      { emoji: '🎉', count: 1, me: false },
    ]);
    const mine = applyReactions(other, [{ emoji: '👍', count: 1 }, { emoji: '🎉', count: 1 }], { userId: 2, me: 2, emoji: '👍', added: false });
    expect(mine.reactions?.find((r) => r.emoji === '👍')?.me).toBe(false);
  });

  it('message.new moves the chat up, sets the preview and counts it unread', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.chats, [chat(2, { last_activity_at: 50 }), chat(1, { last_activity_at: 10 })]);
    qc.setQueryData(keys.history(1), history([msg(1)]));
    const a = new CacheApplier(qc, () => 9);
    a.chatEvent({ type: 'event', chat_id: 1, pts: 2, kind: 'message.new', data: { ...msg(2, { created_at: 100 }) } });
    const list = qc.getQueryData<ChatInfo[]>(keys.chats);
    expect(list?.map((c) => c.id)).toEqual([1, 2]);
    expect(list?.[0]).toMatchObject({ unread_count: 1, last_seq: 2 });
    expect(list?.[0]?.last_message?.text).toBe('m2');
    expect(qc.getQueryData<History>(keys.history(1))?.pages[0]?.messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('message.deleted leaves a tombstone', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.history(1), history([msg(1), msg(2)]));
    new CacheApplier(qc, () => 9).chatEvent({ type: 'event', chat_id: 1, pts: 3, kind: 'message.deleted', data: { seq: 2, by: 2 } });
    expect(qc.getQueryData<History>(keys.history(1))?.pages[0]?.messages[1]).toMatchObject({ deleted: true, text: '' });
  });

  it('chat.removed drops the chat', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.chats, [chat(1), chat(2)]);
    new CacheApplier(qc, () => 9).userEvent({ type: 'user_event', pts: 1, kind: 'chat.removed', data: { chat_id: 1, by: 3 } });
    expect(qc.getQueryData<ChatInfo[]>(keys.chats)?.map((c) => c.id)).toEqual([2]);
  });

  it('ignores unknown kinds', () => {
    const qc = new QueryClient();
    const future = { type: 'event', chat_id: 1, pts: 3, kind: 'future.thing', data: {} } as unknown as ChatEventFrame;
    expect(() => new CacheApplier(qc, () => 9).chatEvent(future)).not.toThrow();
  });

  it('message.attachment swaps the card in place; message.changed refetches the history', async () => {
    const qc = new QueryClient();
    const card = { type: 'file', service: 'files', object_id: 'f1', version: 2, preview: {} };
    qc.setQueryData(keys.history(1), history([msg(1), msg(2, { attachment: { ...card, version: 1 } })]));
    const applier = new CacheApplier(qc, () => 9);
    applier.chatEvent({ type: 'event', chat_id: 1, pts: 4, kind: 'message.attachment', data: { seq: 2, attachment: card } });
    expect(qc.getQueryData<History>(keys.history(1))?.pages[0]?.messages[1]?.attachment).toEqual(card);
    expect(qc.getQueryState(keys.history(1))?.isInvalidated).toBe(false);
    applier.chatEvent({ type: 'event', chat_id: 1, pts: 5, kind: 'message.changed', data: { seq: 2 } });
    expect(qc.getQueryState(keys.history(1))?.isInvalidated).toBe(true);
  });

  it('read ticks: peer_read_seq from the server, then live read.updated from the peer only', () => {
    expect(peerReadSeq(chat(1, { peer_read_seq: 7 }), undefined)).toBe(7);
    expect(peerReadSeq(chat(1, { peer_read_seq: 7 }), 9)).toBe(9);
    expect(peerReadSeq(chat(1, { peer_read_seq: 7 }), 3)).toBe(7);
    expect(peerReadSeq(chat(1), undefined)).toBe(0);
    expect(peerReadSeq(chat(1, { kind: 'group', peer_read_seq: 7 }), 9)).toBeUndefined();

    const qc = new QueryClient();
    qc.setQueryData(keys.chats, [chat(5, { peer_read_seq: 2 })]);
    qc.setQueryData(keys.chat(5), chat(5, { peer_read_seq: 2 }));
    const a = new CacheApplier(qc, () => 9);
    // My own read elsewhere is not the peer's.
    a.chatEvent({ type: 'event', chat_id: 5, pts: 2, kind: 'read.updated', data: { user_id: 9, seq: 6 } });
    expect(qc.getQueryData<ChatInfo>(keys.chat(5))?.peer_read_seq).toBe(2);
    a.chatEvent({ type: 'event', chat_id: 5, pts: 3, kind: 'read.updated', data: { user_id: 2, seq: 4 } });
    expect(qc.getQueryData<ChatInfo>(keys.chat(5))?.peer_read_seq).toBe(4);
    expect(qc.getQueryData<ChatInfo[]>(keys.chats)?.[0]?.peer_read_seq).toBe(4);
    expect(peerRead.get().get(5)).toBe(4);
    // Never backwards.
    a.chatEvent({ type: 'event', chat_id: 5, pts: 4, kind: 'read.updated', data: { user_id: 2, seq: 3 } });
    expect(qc.getQueryData<ChatInfo>(keys.chat(5))?.peer_read_seq).toBe(4);
  });

  it('a jump loads the page around a message; older and newer pages follow it, then live messages join', () => {
    const seqs = (h: History | undefined) => (h?.pages ?? []).slice().reverse().flatMap((p) => p.messages.map((m) => m.seq));
    // around=50: 45..55, older and newer exist.
    const around = { messages: [45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55].map((n) => msg(n)), has_more: true, has_newer: true };
    let h: History = aroundHistory(around, 50);
    expect(h.pageParams).toEqual([{ around: 50 }]);
    expect(olderParam(around)).toEqual({ before: 45 });
    expect(newerParam(around, { around: 50 })).toEqual({ after: 55 });
    expect(atLiveEnd(h)).toBe(false);

    // A live message does not land after a gap.
    expect(upsertMessage(h, msg(200))).toBe(h);
    // But an edit of a loaded one applies.
    expect(upsertMessage(h, msg(50, { text: 'edited' }))?.pages[0]?.messages[5]?.text).toBe('edited');

    // Newer pages go first (as fetchPreviousPage adds them), older ones last.
    const newer = { messages: [56, 57, 58].map((n) => msg(n)), has_more: true };
    h = { pages: [newer, ...h.pages], pageParams: [{ after: 55 }, ...h.pageParams] };
    expect(newerParam(newer, { after: 55 })).toEqual({ after: 58 });
    const older = { messages: [43, 44].map((n) => msg(n)), has_more: false };
    h = { pages: [...h.pages, older], pageParams: [...h.pageParams, { before: 45 }] };
    expect(olderParam(older)).toBeUndefined();
    expect(seqs(h)).toEqual([43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58]);
    expect(atLiveEnd(h)).toBe(false);

    // The last newer page reaches the live end: now live messages join.
    const end = { messages: [59, 60].map((n) => msg(n)), has_more: false };
    h = { pages: [end, ...h.pages], pageParams: [{ after: 58 }, ...h.pageParams] };
    expect(newerParam(end, { after: 58 })).toBeUndefined();
    expect(atLiveEnd(h)).toBe(true);
    expect(seqs(upsertMessage(h, msg(61))).slice(-3)).toEqual([59, 60, 61]);
  });

  it('the latest page is the live end; an around page that reaches it is too', () => {
    expect(atLiveEnd(history([msg(1)]))).toBe(true);
    expect(atLiveEnd(undefined)).toBe(true);
    const page = { messages: [msg(8), msg(9)], has_more: true, has_newer: false };
    expect(atLiveEnd(aroundHistory(page, 9))).toBe(true);
    expect(newerParam(page, undefined)).toBeUndefined();
  });

  describe('profiles, pictures and the file list', () => {
    const avatar: AvatarInfo = { file_id: 42, blurhash: 'LzFN}$p1N{%4KnXBjvXBA_Wto2SP', sides: [128, 512] };
    const profile = (over: Partial<Profile> = {}): Profile => ({ id: 5, username: 'anna', display_name: 'Anna', bio: '', created_at: 1, ...over });
    const member = (user_id: number, display_name: string): MemberInfo => ({
      user_id,
      username: `u${user_id}`,
      display_name,
      role: 'member',
      permissions: [],
      allow: [],
      deny: [],
      joined_at: 1,
    });
    const card = { type: 'file', service: 'files', object_id: '7', version: 1, preview: {} };

    it('user.updated replaces the profile, mine too, and renames the person in every member list', () => {
      const qc = new QueryClient();
      qc.setQueryData(keys.user(5), profile());
      qc.setQueryData(keys.me, profile({ id: 9, username: 'me' }));
      qc.setQueryData(keys.members(1), [member(5, 'Anna'), member(9, 'Me')]);
      qc.setQueryData(keys.members(2), [member(6, 'Boris')]);
      const members2 = qc.getQueryData(keys.members(2));
      const a = new CacheApplier(qc, () => 9);

      a.userUpdated(profile({ display_name: 'Anna K', avatar }));
      expect(qc.getQueryData<Profile>(keys.user(5))).toMatchObject({ display_name: 'Anna K', avatar });
      expect(qc.getQueryData<Profile>(keys.me)?.id).toBe(9);
      expect(qc.getQueryData<MemberInfo[]>(keys.members(1))?.map((m) => m.display_name)).toEqual(['Anna K', 'Me']);
      // A list without her is left as it was.
      expect(qc.getQueryData(keys.members(2))).toBe(members2);

      // My own profile from another tab: the account button's picture, then none.
      a.userUpdated(profile({ id: 9, username: 'me', display_name: 'Me', avatar }));
      expect(qc.getQueryData<Profile>(keys.me)?.avatar).toEqual(avatar);
      a.userUpdated(profile({ id: 9, username: 'me', display_name: 'Me' }));
      expect(qc.getQueryData<Profile>(keys.me)?.avatar).toBeUndefined();
      expect(qc.getQueryData<Profile>(keys.user(9))?.avatar).toBeUndefined();
    });

    it('after a reconnect every profile is stale (missed frames are not replayed), none fetched at once', () => {
      const qc = new QueryClient();
      qc.setQueryData(keys.user(5), profile());
      qc.setQueryData(keys.me, profile({ id: 9 }));
      qc.setQueryData(keys.chats, [chat(1)]);
      new CacheApplier(qc, () => 9).profilesMissed();
      expect(qc.getQueryState(keys.user(5))?.isInvalidated).toBe(true);
      expect(qc.getQueryState(keys.me)?.isInvalidated).toBe(true);
      expect(qc.getQueryState(keys.chats)?.isInvalidated).toBe(false);
    });

    it('chat.updated sets the chat’s picture in the list and the open chat, and takes it away when absent', () => {
      const qc = new QueryClient();
      qc.setQueryData(keys.chats, [chat(1, { kind: 'group', title: 'Team' }), chat(2)]);
      qc.setQueryData(keys.chat(1), chat(1, { kind: 'group', title: 'Team' }));
      const a = new CacheApplier(qc, () => 9);
      const update = (data: Record<string, unknown>) =>
        a.chatEvent({ type: 'event', chat_id: 1, pts: 2, kind: 'chat.updated', data: { title: 'Team', description: '', history_visibility: 'all', by: 5, ...data } } as ChatEventFrame);

      update({ avatar });
      expect(qc.getQueryData<ChatInfo[]>(keys.chats)?.find((c) => c.id === 1)?.avatar).toEqual(avatar);
      expect(qc.getQueryData<ChatInfo>(keys.chat(1))?.avatar).toEqual(avatar);
      update({ title: 'Team 2' });
      expect(qc.getQueryData<ChatInfo>(keys.chat(1))).toMatchObject({ title: 'Team 2', avatar: null });
      expect(qc.getQueryData<ChatInfo[]>(keys.chats)?.find((c) => c.id === 1)?.avatar).toBeNull();
    });

    it('the file list takes new messages with a file (not plain ones), new cards and deletions', () => {
      const qc = new QueryClient();
      qc.setQueryData(keys.chatFiles(1), history([msg(2, { attachment: card })]));
      qc.setQueryData(keys.history(1), history([msg(2, { attachment: card })]));
      const a = new CacheApplier(qc, () => 9);
      const files = () => qc.getQueryData<History>(keys.chatFiles(1))?.pages[0]?.messages ?? [];

      a.chatEvent({ type: 'event', chat_id: 1, pts: 3, kind: 'message.new', data: msg(3, { text: 'plain' }) });
      a.chatEvent({ type: 'event', chat_id: 1, pts: 4, kind: 'message.new', data: msg(4, { attachment: card }) });
      expect(files().map((m) => m.seq)).toEqual([2, 4]);
      expect(qc.getQueryData<History>(keys.history(1))?.pages[0]?.messages.map((m) => m.seq)).toEqual([2, 3, 4]);

      const newer = { ...card, version: 2 };
      a.chatEvent({ type: 'event', chat_id: 1, pts: 5, kind: 'message.attachment', data: { seq: 4, attachment: newer } });
      expect(files()[1]?.attachment).toEqual(newer);
      a.chatEvent({ type: 'event', chat_id: 1, pts: 6, kind: 'message.deleted', data: { seq: 2, by: 2 } });
      expect(files()[0]).toMatchObject({ seq: 2, deleted: true });

      // Not loaded: nothing is made up.
      a.chatEvent({ type: 'event', chat_id: 8, pts: 2, kind: 'message.new', data: msg(1, { chat_id: 8, attachment: card }) });
      expect(qc.getQueryData(keys.chatFiles(8))).toBeUndefined();
    });
  });
});
