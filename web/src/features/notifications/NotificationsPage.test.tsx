import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Route, Routes, useLocation } from 'react-router';
import type { Notification } from '../../api/types';
import { note } from '../../test/fixtures';
import { browser, forgetBrowser } from '../../test/fakePush';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { NotificationsBell } from './Bell';
import { NotificationsPage } from './NotificationsPage';
import { promptWanted } from './prompt';
import { PushPrompt } from './PushPrompt';

const boris = () => jsonResponse(200, { id: 5, username: 'boris', display_name: 'Boris', bio: '', created_at: 1 });
const page = (items: Notification[], unread: number, next: string | null = null) => () => jsonResponse(200, { items, unread_count: unread, next_cursor: next });

/** Where the app went. */
function Where() {
  const loc = useLocation();
  return <p data-testid="where">{loc.pathname + loc.search}</p>;
}

function renderPage(lang: 'en' | 'ru' = 'en') {
  return renderUi(
    <Routes>
      <Route path="/notifications" element={<NotificationsPage />} />
      <Route path="/chat/:id" element={<Where />} />
    </Routes>,
    { path: '/notifications', lang },
  );
}

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
  forgetBrowser();
  promptWanted.set(false);
});

describe('NotificationsPage', () => {
  it('lists who did what where, unread marked; an entry opens the chat at the message and reads up to it', async () => {
    const reads: unknown[] = [];
    serve({
      'GET /api/v1/notifications': page([note(3, { kind: 'direct_message', chat_title: '', preview: 'are you there?' }), note(2), note(1, { kind: 'added_to_chat', seq: null, read_at: 9 })], 2),
      'GET /api/v1/users/5': boris,
      'POST /api/v1/notifications/read': async (req) => {
        reads.push(await req.json());
        return jsonResponse(200, { unread_count: 1 });
      },
    });
    renderPage();
    const rows = await screen.findAllByTestId('notification');
    expect(rows.map((r) => r.getAttribute('data-kind'))).toEqual(['direct_message', 'mention', 'added_to_chat']);
    await waitFor(() => expect(rows[1]?.textContent).toContain('Boris'));
    expect(rows[0]?.textContent).toContain('are you there?');
    expect(rows[0]?.querySelector('.notify-chat')).toBeNull();
    expect(within(rows[1] as HTMLElement).getByText('Book club')).toBeTruthy();
    expect(rows[1]?.textContent).toContain('Mentioned you: text 2');
    expect(rows[2]?.textContent).toContain('Added you to the chat');
    expect(rows.map((r) => r.hasAttribute('data-unread'))).toEqual([true, true, false]);
    expect(screen.getAllByRole('img', { name: 'Unread' })).toHaveLength(2);

    fireEvent.click(rows[1] as HTMLElement);
    expect((await screen.findByTestId('where')).textContent).toBe('/chat/7?seq=20');
    await waitFor(() => expect(reads).toEqual([{ up_to: 2 }]));
  });

  it('"Load more" asks for the next page; "Mark all read" reads all', async () => {
    const reads: unknown[] = [];
    const calls = serve({
      'GET /api/v1/notifications': (req) =>
        new URL(req.url).searchParams.get('cursor') === 'c1' ? page([note(1)], 2)() : page([note(3), note(2)], 2, 'c1')(),
      'GET /api/v1/users/5': boris,
      'POST /api/v1/notifications/read': async (req) => {
        reads.push(await req.json());
        return jsonResponse(200, { unread_count: 0 });
      },
    });
    renderPage();
    await screen.findAllByTestId('notification');
    fireEvent.click(screen.getByTestId('notifications-more'));
    await waitFor(() => expect(screen.getAllByTestId('notification')).toHaveLength(3));
    expect(calls).toContain('GET /api/v1/notifications?cursor=c1&limit=30');
    expect(screen.queryByTestId('notifications-more')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Mark all read' }));
    await waitFor(() => expect(reads).toEqual([{}]));
    await waitFor(() => expect(document.querySelectorAll('[data-unread]')).toHaveLength(0));
    expect(screen.queryByRole('button', { name: 'Mark all read' })).toBeNull();
  });

  it('says when there is nothing, in Russian', async () => {
    serve({ 'GET /api/v1/notifications': page([], 0) });
    renderPage('ru');
    expect((await screen.findByText(/^Пока ничего нет/)).textContent).toContain('упоминания, ответы');
  });
});

describe('NotificationsBell', () => {
  it('shows the unread count, said in words', async () => {
    serve({ 'GET /api/v1/notifications': page([note(1)], 3) });
    renderUi(<NotificationsBell />, { lang: 'ru' });
    expect((await screen.findByTestId('notifications-badge')).textContent).toBe('3');
    expect(screen.getByTestId('notifications-bell').getAttribute('aria-label')).toBe('Уведомления: 3 непрочитанных');
  });

  it('is not there when the server runs no notify service', async () => {
    const calls = serve({});
    renderUi(<NotificationsBell />);
    await waitFor(() => expect(calls).toEqual(['GET /api/v1/notifications?limit=30']));
    expect(screen.queryByTestId('notifications-bell')).toBeNull();
  });
});

describe('PushPrompt', () => {
  it('shows only once wanted, where the browser never asked; "Not now" is remembered', async () => {
    browser('default');
    renderUi(<PushPrompt enabled />);
    expect(screen.queryByTestId('push-prompt')).toBeNull();
    act(() => promptWanted.set(true));
    expect((await screen.findByTestId('push-prompt')).textContent).toContain('Get notified when the tab is closed?');
    fireEvent.click(screen.getByRole('button', { name: 'Not now' }));
    expect(screen.queryByTestId('push-prompt')).toBeNull();
    act(() => promptWanted.set(true));
    expect(screen.queryByTestId('push-prompt')).toBeNull();
  });

  it('not where notifications are allowed already, nor without notify', () => {
    promptWanted.set(true);
    browser('granted');
    renderUi(<PushPrompt enabled />);
    expect(screen.queryByTestId('push-prompt')).toBeNull();
    cleanup();
    browser('default');
    renderUi(<PushPrompt enabled={false} />);
    expect(screen.queryByTestId('push-prompt')).toBeNull();
  });

  it('"Turn on" asks the browser; a refusal is explained', async () => {
    promptWanted.set(true);
    const b = browser('default', 'denied');
    renderUi(<PushPrompt enabled />);
    fireEvent.click(await screen.findByRole('button', { name: 'Turn on' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Notifications are blocked for this site/);
    expect(b.requestPermission).toHaveBeenCalled();
  });
});
