import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatSetting } from '../../api/types';
import { chat } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { ChatNotifyMenu } from './ChatNotifyMenu';

const list = () => jsonResponse(200, { items: [], unread_count: 0 });

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('ChatNotifyMenu', () => {
  it('shows the chat’s level, mutes it for a while (the level kept) and unmutes it', async () => {
    const puts: unknown[] = [];
    serve({
      'GET /api/v1/notifications': list,
      'GET /api/v1/notifications/chats': () => jsonResponse(200, [{ chat_id: 1, level: 'mentions' }]),
      'GET /api/v1/notifications/settings': () => jsonResponse(200, { defaults: {} }),
      'PUT /api/v1/notifications/chats/1': async (req) => {
        const body = (await req.json()) as Omit<ChatSetting, 'chat_id'>;
        puts.push(body);
        return jsonResponse(200, { chat_id: 1, ...body });
      },
    });
    renderUi(<ChatNotifyMenu chat={chat(1, { kind: 'group', title: 'Team' })} onError={() => undefined} />);
    const button = await screen.findByRole('button', { name: 'Notifications for this chat' });
    await waitFor(() => expect(button.getAttribute('data-muted')).toBeNull());
    fireEvent.click(button);
    expect(screen.getByRole('menuitemradio', { checked: true }).textContent).toContain('Mentions and replies only');
    // Its own level: no "(default)" beside it.
    expect(screen.queryByText('(default)')).toBeNull();
    const before = Date.now();
    fireEvent.click(screen.getByRole('menuitem', { name: 'For 8 hours' }));
    await waitFor(() => expect(puts).toHaveLength(1));
    const mute = puts[0] as { level: string; muted_until: number };
    expect(mute.level).toBe('mentions');
    expect(mute.muted_until).toBeGreaterThanOrEqual(before + 8 * 3_600_000);
    expect(mute.muted_until).toBeLessThanOrEqual(Date.now() + 8 * 3_600_000);
    await waitFor(() => expect(button.getAttribute('data-muted')).toBe('true'));

    fireEvent.click(button);
    expect(screen.getByTestId('muted-until').textContent).toMatch(/^Muted until /);
    fireEvent.click(screen.getByRole('menuitem', { name: 'Unmute' }));
    await waitFor(() => expect(puts[1]).toEqual({ level: 'mentions', muted_until: null }));
    await waitFor(() => expect(button.getAttribute('data-muted')).toBeNull());
    expect(screen.queryByRole('menu')).toBeNull();
  });

  it('a chat without a level of its own follows the default for its kind, marked so; Esc closes', async () => {
    serve({
      'GET /api/v1/notifications': list,
      'GET /api/v1/notifications/chats': () => jsonResponse(200, []),
      'GET /api/v1/notifications/settings': () => jsonResponse(200, { defaults: { channel: 'none' } }),
    });
    renderUi(<ChatNotifyMenu chat={chat(2, { kind: 'channel', title: 'News' })} onError={() => undefined} />, { lang: 'ru' });
    const button = await screen.findByRole('button', { name: 'Уведомления этого чата' });
    await waitFor(() => expect(button.getAttribute('data-muted')).toBe('true'));
    fireEvent.click(button);
    const checked = screen.getByRole('menuitemradio', { checked: true });
    expect(checked.textContent).toContain('Ни о чём');
    expect(checked.textContent).toContain('(по умолчанию)');
    fireEvent.keyDown(document, { key: 'Escape' });
    expect(screen.queryByRole('menu')).toBeNull();
  });

  it('a refused change goes to the chat’s alert line', async () => {
    const onError = vi.fn();
    serve({
      'GET /api/v1/notifications': list,
      'GET /api/v1/notifications/chats': () => jsonResponse(200, []),
      'GET /api/v1/notifications/settings': () => jsonResponse(200, {}),
      'PUT /api/v1/notifications/chats/1': () => jsonResponse(404, { error: { code: 'not_found', message: 'not a member' } }),
    });
    renderUi(<ChatNotifyMenu chat={chat(1)} onError={onError} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Notifications for this chat' }));
    fireEvent.click(screen.getByRole('menuitemradio', { name: /Nothing/ }));
    await waitFor(() => expect(onError.mock.calls[0]?.[0]).toMatchObject({ status: 404, code: 'not_found' }));
  });

  it('is not there without the notify service', async () => {
    const calls = serve({});
    renderUi(<ChatNotifyMenu chat={chat(1)} onError={() => undefined} />);
    await waitFor(() => expect(calls).toContain('GET /api/v1/notifications?limit=30'));
    expect(screen.queryByRole('button')).toBeNull();
    // And it asked nothing else of notify.
    expect(calls).toEqual(['GET /api/v1/notifications?limit=30']);
  });
});
