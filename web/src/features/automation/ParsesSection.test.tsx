import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AutomationAccount, Parse } from '../../api/types';
import { chat } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { applyAutomationFrame } from './frames';
import { ParsesSection } from './ParsesSection';

const BASE = '/api/v1/automation/parses';
const parse = (id: number, more: Partial<Parse> = {}): Parse => ({
  id,
  account_id: 1,
  audience_id: 30 + id,
  source_chat_id: 42,
  source: 'members',
  state: 'running',
  scanned: 0,
  found: 0,
  max_people: 500,
  detail: '',
  created_at: Date.UTC(2026, 4, 1),
  ...more,
});
const agent: AutomationAccount = { id: 1, name: 'Sales', connector: 'hybrid', actor_id: 101, actor_name: 'agent', state: 'active', state_detail: '', daily_limit: 200, used_today: 0, created_at: 0 };
const row = (id: number) => screen.getAllByTestId('parse').find((r) => r.dataset.id === String(id)) as HTMLElement;

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Automation → Parser', () => {
  it('starts a parse, shows its progress move with the socket frames, links its audience, and cancels it', async () => {
    const posts: unknown[] = [];
    const calls = serve({
      'GET /api/v1/chats': () => jsonResponse(200, { items: [chat(42, { kind: 'group', title: 'Book club' }), chat(5)], next_cursor: null }),
      'GET /api/v1/automation/accounts': () => jsonResponse(200, { items: [agent], next_cursor: null }),
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [parse(1, { state: 'finished', scanned: 40, found: 38 })], next_cursor: null }),
      [`POST ${BASE}`]: async (req) => {
        posts.push(await req.json());
        return jsonResponse(201, parse(2, { source: 'authors' }));
      },
      [`POST ${BASE}/2/cancel`]: () => jsonResponse(200, parse(2, { source: 'authors', state: 'cancelled', scanned: 400, found: 120 })),
    });
    const { qc } = renderUi(<ParsesSection />);
    await waitFor(() => expect(screen.getAllByTestId('parse')).toHaveLength(1));
    expect(within(row(1)).getByTestId('parse-state').textContent).toBe('Finished');
    expect(within(row(1)).getByTestId('parse-progress').textContent).toBe('40 members read · 38 people found (at most 500)');

    const chatSelect = await screen.findByLabelText('Chat to read');
    await waitFor(() => expect(within(chatSelect).getAllByRole('option').map((o) => o.textContent)).toEqual(['Choose a chat…', 'Book club']));
    expect((screen.getByLabelText('Account') as HTMLSelectElement).value).toBe('1');
    fireEvent.change(chatSelect, { target: { value: '42' } });
    fireEvent.click(screen.getByRole('radio', { name: /Authors/ }));
    fireEvent.change(screen.getByLabelText('At most this many people'), { target: { value: '500' } });
    fireEvent.change(screen.getByLabelText('Audience name'), { target: { value: 'Writers' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(screen.getAllByTestId('parse')).toHaveLength(2));
    expect(posts).toEqual([{ account_id: 1, source_chat_id: 42, source: 'authors', audience_name: 'Writers', max_people: 500 }]);
    expect(screen.getAllByTestId('parse').map((r) => r.dataset.id)).toEqual(['2', '1']);
    expect(within(row(2)).getByTestId('parse-state').textContent).toBe('Running');

    // A page read: the frame moves the row without a request.
    const before = calls.length;
    act(() => applyAutomationFrame(qc, { type: 'automation.parse_updated', parse: parse(2, { source: 'authors', scanned: 200, found: 61 }) }));
    await waitFor(() => expect(within(row(2)).getByTestId('parse-progress').textContent).toBe('200 messages read · 61 people found (at most 500)'));
    expect((within(row(2)).getByRole('progressbar', { name: 'People found' }) as HTMLProgressElement).value).toBe(61);
    expect(calls.slice(before).filter((c) => c.startsWith(`GET ${BASE}`))).toEqual([]);
    expect(within(row(2)).getByRole('link', { name: 'Open the audience' }).getAttribute('href')).toBe('/automation/audiences/32');

    fireEvent.click(within(row(2)).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(within(row(2)).getByTestId('parse-state').textContent).toBe('Cancelled'));
    expect(within(row(2)).queryByRole('button', { name: 'Cancel' })).toBeNull();
  });

  it('says why a parse failed, and that an account is needed first', async () => {
    serve({
      'GET /api/v1/automation/accounts': () => jsonResponse(200, { items: [], next_cursor: null }),
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [parse(1, { state: 'failed', detail: 'the account’s session signed out', audience_id: null })], next_cursor: null }),
    });
    renderUi(<ParsesSection />, { lang: 'ru' });
    await waitFor(() => expect(screen.getAllByTestId('parse')).toHaveLength(1));
    expect(within(row(1)).getByTestId('parse-state').textContent).toBe('Ошибка');
    expect(within(row(1)).getByTestId('parse-detail').textContent).toBe('the account’s session signed out');
    expect(within(row(1)).queryByTestId('parse-audience')).toBeNull();
    expect((await screen.findByTestId('parse-no-accounts')).textContent).toBe('Сначала подключите аккаунт (раздел «Аккаунты»).');
  });
});
