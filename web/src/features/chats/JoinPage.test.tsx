import { fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InvitePreview } from '../../api/types';
import type { UserEventFrame } from '../realtime/frames';
import { keys } from '../../state/keys';
import { chat } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { applyJoinEvent } from './joinRequests';
import { JoinPage } from './JoinPage';

const preview = (more: Partial<InvitePreview> = {}): InvitePreview => ({
  chat_id: 4,
  kind: 'group',
  title: 'Book club',
  description: '',
  member_count: 3,
  joined: false,
  ...more,
});

function Where() {
  return <p data-testid="where">{useLocation().pathname}</p>;
}

function open(lang: 'en' | 'ru' = 'en') {
  return renderUi(
    <Routes>
      <Route path="/join/:code" element={<JoinPage />} />
      <Route path="/chat/:id" element={<Where />} />
    </Routes>,
    { path: '/join/abc', lang },
  );
}

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 9, username: 'bob' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('the join page', () => {
  it('joins by a link without approval and opens the chat', async () => {
    serve({
      'GET /api/v1/invites/abc': () => jsonResponse(200, preview()),
      'POST /api/v1/invites/abc/join': () => jsonResponse(200, chat(4, { kind: 'group', title: 'Book club' })),
    });
    open();
    fireEvent.click(await screen.findByRole('button', { name: 'Join group' }));
    await waitFor(() => expect(screen.getByTestId('where').textContent).toBe('/chat/4'));
  });

  it('asks to join by a link that needs approval, then says the request waits; a decline lets one ask again, with a notice', async () => {
    let requested = false;
    const calls = serve({
      'GET /api/v1/invites/abc': () => jsonResponse(200, preview({ needs_approval: true, requested })),
      'POST /api/v1/invites/abc/join': () => {
        requested = true;
        return jsonResponse(202, { chat_id: 4, title: 'Book club', requested: true });
      },
    });
    const { qc } = open();
    expect((await screen.findByText('An admin reviews each request to join.')).textContent).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Request to join' }));
    const waiting = await screen.findByTestId('join-requested');
    expect(waiting.textContent).toContain('Request sent — an admin will review it');
    expect(screen.queryByTestId('join-button')).toBeNull();
    expect(calls.filter((c) => c.startsWith('POST'))).toEqual(['POST /api/v1/invites/abc/join']);

    // An admin declines: the page asks again (free to request again) and says so.
    requested = false;
    const ev = { type: 'user_event', pts: 3, kind: 'join_request.decided', data: { chat_id: 4, user_id: 9, approved: false, by: 1, pending: 0 } } as UserEventFrame;
    applyJoinEvent(qc, ev, 9);
    const notice = await screen.findByTestId('join-declined');
    expect(notice.textContent).toBe('Your request to join «Book club» was declined.');
    await waitFor(() => expect((screen.getByTestId('join-button') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(screen.queryByTestId('join-declined')).toBeNull());
    expect(qc.getQueryData(keys.joinDeclined)).toEqual([]);
  });

  it('shows a request already made as waiting, in Russian', async () => {
    serve({ 'GET /api/v1/invites/abc': () => jsonResponse(200, preview({ needs_approval: true, requested: true })) });
    open('ru');
    expect((await screen.findByTestId('join-requested')).textContent).toContain('Заявка отправлена — её рассмотрит администратор');
    expect(screen.queryByTestId('join-button')).toBeNull();
  });

  it('says so when one is banned from the chat', async () => {
    serve({
      'GET /api/v1/invites/abc': () => jsonResponse(200, preview({ needs_approval: true })),
      'POST /api/v1/invites/abc/join': () => jsonResponse(403, { error: { code: 'forbidden', message: 'you are banned from this chat' } }),
    });
    open();
    fireEvent.click(await screen.findByRole('button', { name: 'Request to join' }));
    expect((await screen.findByTestId('join-banned')).textContent).toContain('You cannot join: you are banned from this chat.');
    expect(screen.queryByTestId('join-requested')).toBeNull();
  });
});
