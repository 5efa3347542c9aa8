import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import type { InvitePreview, JoinRequest } from '../../api/types';
import { keys } from '../../state/keys';
import { chat } from '../../test/fixtures';
import type { UserEventFrame } from '../realtime/frames';
import {
  applyJoinEvent,
  badgeText,
  decidesJoins,
  joinEventsMissed,
  joinOutcome,
  joinState,
  loadedRequests,
  pendingOf,
  rememberTitle,
  withoutRequest,
  type DeclinedNotice,
  type JoinRequestList,
} from './joinRequests';

const request = (user_id: number): JoinRequest => ({ user_id, username: `u${user_id}`, display_name: '', code: 'abc', requested_at: user_id });
/** Pages oldest first; `more` when the last loaded page has a next one. */
const pages = (more: boolean, ...lists: number[][]): JoinRequestList => ({
  pages: lists.map((ids, i) => ({ items: ids.map(request), next_cursor: i < lists.length - 1 || more ? `c${i + 1}` : null })),
  pageParams: lists.map((_, i) => (i === 0 ? undefined : `c${i}`)),
});
const ids = (l: JoinRequestList | undefined) => loadedRequests(l).map((r) => r.user_id);
const newEvent = (chat_id: number, user_id: number, pending: number): UserEventFrame => ({
  type: 'user_event',
  pts: 1,
  kind: 'join_request.new',
  data: { chat_id, user_id, code: 'abc', link_created_by: 1, link_name: 'Site', requested_at: 5, pending },
});
const decided = (chat_id: number, user_id: number, approved: boolean, pending: number): UserEventFrame => ({
  type: 'user_event',
  pts: 2,
  kind: 'join_request.decided',
  data: { chat_id, user_id, approved, by: 1, pending },
});

describe('join requests', () => {
  it('are decided by admins and the owner who may invite, in groups and channels', () => {
    expect(decidesJoins(chat(1, { kind: 'group', my_role: 'owner', my_permissions: ['invite'] }))).toBe(true);
    expect(decidesJoins(chat(1, { kind: 'channel', my_role: 'admin', my_permissions: ['invite', 'pin'] }))).toBe(true);
    expect(decidesJoins(chat(1, { kind: 'group', my_role: 'admin', my_permissions: ['pin'] }))).toBe(false);
    expect(decidesJoins(chat(1, { kind: 'group', my_role: 'member', my_permissions: ['invite'] }))).toBe(false);
    expect(decidesJoins(chat(1, { kind: 'direct', my_role: 'owner', my_permissions: ['invite'] }))).toBe(false);
  });

  it('tell a join (200, the chat) from a request (202)', () => {
    const c = chat(4, { kind: 'group' });
    expect(joinOutcome(c)).toEqual({ kind: 'joined', chat: c });
    const waiting = { chat_id: 4, title: 'Club', requested: true };
    expect(joinOutcome(waiting)).toEqual({ kind: 'requested', pending: waiting });
  });

  it('give the join page its button: join, request, waiting, or open', () => {
    const p = (more: Partial<InvitePreview>) => ({ joined: false, ...more });
    expect(joinState(p({}))).toBe('join');
    expect(joinState(p({ needs_approval: false }))).toBe('join');
    expect(joinState(p({ needs_approval: true }))).toBe('request');
    expect(joinState(p({ needs_approval: true, requested: true }))).toBe('requested');
    expect(joinState(p({ joined: true, needs_approval: true }))).toBe('member');
  });

  it('count who waits: the latest event’s number, else those loaded (and “+” while more pages are left)', () => {
    expect(pendingOf(undefined, pages(false, [1, 2], [3]), false)).toEqual({ count: 3, more: false });
    expect(pendingOf(undefined, pages(true, [1, 2]), true)).toEqual({ count: 2, more: true });
    expect(pendingOf(7, pages(true, [1, 2]), true)).toEqual({ count: 7, more: false });
    expect(pendingOf(undefined, undefined, false)).toEqual({ count: 0, more: false });
    expect(badgeText({ count: 3, more: false })).toBe('3');
    expect(badgeText({ count: 20, more: true })).toBe('20+');
    expect(badgeText({ count: 150, more: false })).toBe('99+');
  });

  it('drop a decided request from whichever page holds it', () => {
    expect(ids(withoutRequest(pages(false, [1, 2], [3]), 2))).toEqual([1, 3]);
    expect(withoutRequest(undefined, 2)).toBeUndefined();
  });

  it('an admin’s events: the count, a new request reloads the list, a decided one leaves it', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.joinRequests(4), pages(false, [5, 6]));
    applyJoinEvent(qc, newEvent(4, 7, 3), 1);
    expect(qc.getQueryData(keys.joinPending(4))).toBe(3);
    expect(qc.getQueryState(keys.joinRequests(4))?.isInvalidated).toBe(true);
    applyJoinEvent(qc, decided(4, 5, true, 2), 1);
    expect(qc.getQueryData(keys.joinPending(4))).toBe(2);
    expect(ids(qc.getQueryData(keys.joinRequests(4)))).toEqual([6]);
    expect(qc.getQueryData(keys.joinDeclined)).toBeUndefined();
  });

  it('my own request decided: the join page reloads, and a decline says so, naming the chat if seen', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.invitePreview('abc'), { chat_id: 4, title: 'Book club', joined: false, requested: true });
    applyJoinEvent(qc, decided(4, 9, true, 0), 9);
    expect(qc.getQueryState(keys.invitePreview('abc'))?.isInvalidated).toBe(true);
    expect(qc.getQueryData(keys.joinDeclined)).toEqual([]);
    expect(qc.getQueryData(keys.joinPending(4))).toBeUndefined();

    rememberTitle(4, 'Book club');
    applyJoinEvent(qc, decided(4, 9, false, 0), 9);
    applyJoinEvent(qc, decided(8, 9, false, 0), 9);
    // Declined twice in the same chat: one notice.
    applyJoinEvent(qc, decided(4, 9, false, 0), 9);
    expect(qc.getQueryData<DeclinedNotice[]>(keys.joinDeclined)).toEqual([
      { chatId: 8, title: null },
      { chatId: 4, title: 'Book club' },
    ]);
    // Asked again and approved: the old decline goes.
    applyJoinEvent(qc, decided(4, 9, true, 0), 9);
    expect(qc.getQueryData<DeclinedNotice[]>(keys.joinDeclined)).toEqual([{ chatId: 8, title: null }]);
  });

  it('after missed user events, forget the counts and reload the lists', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.joinPending(4), 3);
    qc.setQueryData(keys.joinRequests(4), pages(false, [5]));
    joinEventsMissed(qc);
    expect(qc.getQueryData(keys.joinPending(4))).toBeUndefined();
    expect(qc.getQueryState(keys.joinRequests(4))?.isInvalidated).toBe(true);
  });
});
