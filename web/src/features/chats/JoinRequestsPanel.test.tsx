import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JoinRequest } from '../../api/types';
import { keys } from '../../state/keys';
import { chat } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { JoinRequests } from './JoinRequestsPanel';

const BASE = '/api/v1/chats/4/join-requests';
const request = (user_id: number, name: string): JoinRequest => ({ user_id, username: name.toLowerCase(), display_name: name, code: 'abc', requested_at: Date.UTC(2026, 4, 1) });
const admin = chat(4, { kind: 'group', title: 'Club', my_role: 'admin', my_permissions: ['invite'] });
const rows = () => screen.queryAllByTestId('join-request');

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('join requests in the chat panel', () => {
  it('lists who waits, oldest first, a page at a time, with the link they followed', async () => {
    const calls = serve({
      [`GET ${BASE}`]: (req) =>
        new URL(req.url).searchParams.get('cursor') === 'c2'
          ? jsonResponse(200, { items: [request(7, 'Carol')], next_cursor: null })
          : jsonResponse(200, { items: [request(5, 'Boris'), request(6, 'Dan')], next_cursor: 'c2' }),
      'GET /api/v1/chats/4/invites': () => jsonResponse(200, [{ code: 'abc', chat_id: 4, created_at: 1, created_by: 1, revoked: false, uses: 0, name: 'Website', needs_approval: true }]),
    });
    renderUi(<JoinRequests chat={admin} />);
    await waitFor(() => expect(rows()).toHaveLength(2));
    const section = screen.getByRole('region', { name: 'Join requests' });
    expect(within(section).getByTestId('join-requests-count').textContent).toBe('2+');
    await waitFor(() => expect(rows()[0]?.textContent).toContain('via «Website»'));
    expect(rows()[0]?.textContent).toContain('Boris@borisasked');
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(screen.getByTestId('join-requests-count').textContent).toBe('3');
    expect(screen.queryByTestId('join-requests-more')).toBeNull();
    expect(calls.filter((c) => c.startsWith(`GET ${BASE}`))).toEqual([`GET ${BASE}?limit=20`, `GET ${BASE}?cursor=c2&limit=20`]);
  });

  it('approves and declines: the row leaves, the count follows the events', async () => {
    const decided: string[] = [];
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [request(5, 'Boris'), request(6, 'Dan')], next_cursor: null }),
      'GET /api/v1/chats/4/invites': () => jsonResponse(200, []),
      [`POST ${BASE}/5/approve`]: () => {
        decided.push('approve 5');
        return new Response(null, { status: 204 });
      },
      [`POST ${BASE}/6/decline`]: () => {
        decided.push('decline 6');
        return new Response(null, { status: 204 });
      },
    });
    const { qc } = renderUi(<JoinRequests chat={admin} />, { lang: 'ru' });
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.click(screen.getByRole('button', { name: 'Одобрить: Boris' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByTestId('join-requests-count').textContent).toBe('1');
    // An event's count wins over the rows loaded.
    qc.setQueryData(keys.joinPending(4), 4);
    await waitFor(() => expect(screen.getByTestId('join-requests-count').textContent).toBe('4'));
    expect(screen.getByTestId('join-requests-count').getAttribute('aria-label')).toBe('4 заявки на вступление');
    fireEvent.click(screen.getByRole('button', { name: 'Отклонить: Dan' }));
    await waitFor(() => expect(screen.queryByTestId('join-requests')).toBeNull());
    expect(decided).toEqual(['approve 5', 'decline 6']);
  });

  it('a request decided meanwhile by another admin (404) leaves the list', async () => {
    let waiting = [request(5, 'Boris')];
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: waiting, next_cursor: null }),
      'GET /api/v1/chats/4/invites': () => jsonResponse(200, []),
      [`POST ${BASE}/5/approve`]: () => {
        waiting = [];
        return jsonResponse(404, { error: { code: 'not_found', message: 'join request not found' } });
      },
    });
    renderUi(<JoinRequests chat={admin} />);
    await waitFor(() => expect(rows()).toHaveLength(1));
    fireEvent.click(screen.getByRole('button', { name: 'Approve Boris' }));
    await waitFor(() => expect(rows()).toHaveLength(0));
  });

  it('asks nothing for a member who does not decide', async () => {
    const calls = serve({});
    renderUi(<JoinRequests chat={chat(4, { kind: 'group', my_role: 'member', my_permissions: ['invite'] })} />);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([]);
    expect(screen.queryByTestId('join-requests')).toBeNull();
  });
});
