import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryLog, Webhook } from '../../api/types';
import { chat } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { WebhooksCard } from './WebhooksCard';

const BASE = '/api/v1/notifications/webhooks';
const chats = { items: [chat(5, { kind: 'group', title: 'Book club', last_activity_at: 20 }), chat(6, { peer_id: 7, last_activity_at: 10 })], next_cursor: null };
const boris = { id: 7, username: 'boris', display_name: 'Boris Petrov' };
const hook = (id: number, more: Partial<Webhook> = {}): Webhook => ({ id, url: `https://example.com/hook/${id}`, created_at: Date.UTC(2026, 4, 1), failures: 0, ...more });
const delivery = (id: number, more: Partial<DeliveryLog> = {}): DeliveryLog => ({
  id,
  event: 'notification.new',
  url: 'https://example.com/hook/1',
  state: 'delivered',
  created_at: Date.UTC(2026, 4, 2),
  attempts: [{ attempt: 1, at: Date.UTC(2026, 4, 2), status: 200, duration_ms: 12 }],
  ...more,
});
const rows = () => screen.queryAllByTestId('webhook');
const row = (id: number) => rows().find((r) => r.dataset.id === String(id)) as HTMLElement;

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Settings → Webhooks', () => {
  it('lists hooks: all my notifications or a chat by its name; a turned-off one with its failures turns on again', async () => {
    const calls = serve({
      [`GET ${BASE}`]: () =>
        jsonResponse(200, [hook(1), hook(2, { chat_id: 5, failures: 1 }), hook(3, { chat_id: 6, failures: 3, disabled_at: Date.UTC(2026, 4, 3) }), hook(4, { chat_id: 99 })]),
      'GET /api/v1/chats': () => jsonResponse(200, chats),
      'GET /api/v1/users/7': () => jsonResponse(200, boris),
      [`POST ${BASE}/3/enable`]: () => jsonResponse(200, hook(3, { chat_id: 6, failures: 0, disabled_at: null })),
    });
    renderUi(<WebhooksCard />);
    const card = await screen.findByRole('region', { name: 'Webhooks' });
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(within(card).getByRole('list', { name: 'Your webhooks' })).toBeTruthy();
    expect(within(row(1)).getByTestId('webhook-target').textContent).toBe('All my notifications');
    await waitFor(() => expect(within(row(2)).getByTestId('webhook-target').textContent).toBe('Book club'));
    await waitFor(() => expect(within(row(3)).getByTestId('webhook-target').textContent).toBe('Boris Petrov'));
    expect(within(row(4)).getByTestId('webhook-target').textContent).toBe('A chat you are no longer in');
    expect(within(row(1)).getByTestId('webhook-state').textContent).toBe('Active');
    expect(within(row(1)).queryByTestId('webhook-failures')).toBeNull();
    expect(within(row(2)).getByTestId('webhook-failures').textContent).toBe('1 failed delivery in a row');

    expect(row(3).dataset.state).toBe('disabled');
    expect(within(row(3)).getByTestId('webhook-state').textContent).toBe('Turned off');
    expect(within(row(3)).getByTestId('webhook-disabled').textContent).toContain('after repeated failures: 3 deliveries in a row failed');
    fireEvent.click(within(row(3)).getByRole('button', { name: 'Turn on again' }));
    await waitFor(() => expect(row(3).dataset.state).toBe('active'));
    expect(within(row(3)).queryByTestId('webhook-disabled')).toBeNull();
    expect(calls).toContain(`POST ${BASE}/3/enable`);
  });

  it('adds a hook for one chat and shows its secret once, copied by a button; a bad URL is said at its field; too many is said', async () => {
    const posts: unknown[] = [];
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, []),
      'GET /api/v1/chats': () => jsonResponse(200, chats),
      'GET /api/v1/users/7': () => jsonResponse(200, boris),
      [`POST ${BASE}`]: async (req) => {
        const body = (await req.json()) as { url: string; chat_id?: number };
        posts.push(body);
        if (!body.url.startsWith('http')) return jsonResponse(422, { error: { code: 'validation_failed', message: 'must be an http(s) URL of at most 2048 characters', field: 'url' } });
        if (posts.length > 2) return jsonResponse(409, { error: { code: 'too_many_webhooks', message: 'you have 10 webhooks' } });
        return jsonResponse(201, { ...hook(8, { url: body.url, chat_id: body.chat_id }), secret: 'whsec_s3cr3t' });
      },
    });
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    renderUi(<WebhooksCard />, { lang: 'en' });
    expect((await screen.findByTestId('webhooks-none')).textContent).toBe('No webhooks yet.');
    const url = screen.getByLabelText('Webhook URL');
    const add = screen.getByRole('button', { name: 'Add webhook' }) as HTMLButtonElement;
    expect(add.disabled).toBe(true);

    fireEvent.change(url, { target: { value: 'ftp://example.com' } });
    fireEvent.click(add);
    const error = await screen.findByText('Must be an address starting with http:// or https://, at most 2048 characters.');
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(url.getAttribute('aria-describedby')).toBe(error.id);

    const which = screen.getByLabelText('Send') as HTMLSelectElement;
    await waitFor(() => expect(Array.from(which.options).map((o) => o.textContent)).toEqual(['All my notifications', 'Book club', 'Boris Petrov']));
    fireEvent.change(url, { target: { value: ' https://example.com/in ' } });
    fireEvent.change(which, { target: { value: '5' } });
    fireEvent.click(add);
    await waitFor(() => expect(posts[1]).toEqual({ url: 'https://example.com/in', chat_id: 5 }));
    const panel = await screen.findByTestId('webhook-secret');
    expect(panel.textContent).toContain('it will not be shown again');
    expect(within(panel).getByLabelText('Webhook secret').textContent).toBe('whsec_s3cr3t');
    fireEvent.click(within(panel).getByRole('button', { name: 'Copy secret' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith('whsec_s3cr3t'));
    expect(await within(panel).findByText('Copied')).toBeTruthy();
    // In the list, the form empty again, and no field error.
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(within(row(8)).getByTestId('webhook-target').textContent).toBe('Book club');
    expect((url as HTMLInputElement).value).toBe('');
    expect(url.getAttribute('aria-invalid')).toBe('false');
    // Dismissed: gone for good.
    fireEvent.click(within(panel).getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
    expect(screen.queryByText('whsec_s3cr3t')).toBeNull();

    fireEvent.change(url, { target: { value: 'https://example.com/more' } });
    fireEvent.click(add);
    expect((await screen.findByTestId('webhook-add-error')).textContent).toContain('You have as many webhooks as one may: remove one first.');
  });

  it('opens a hook’s delivery log: state, time, last attempt; "Load more" follows the cursor', async () => {
    const calls = serve({
      [`GET ${BASE}`]: () => jsonResponse(200, [hook(1)]),
      'GET /api/v1/chats': () => jsonResponse(200, chats),
      [`GET ${BASE}/1/deliveries`]: (req) =>
        new URL(req.url).searchParams.get('cursor') === 'c2'
          ? jsonResponse(200, { items: [delivery(1, { event: 'notification.removed' })], next_cursor: null })
          : jsonResponse(200, {
              items: [
                delivery(3, { state: 'failed', attempts: [{ attempt: 1, at: 1, status: 500, duration_ms: 3 }, { attempt: 12, at: 2, error: 'answered 500', status: 500, duration_ms: 4 }] }),
                delivery(2),
              ],
              next_cursor: 'c2',
            }),
    });
    renderUi(<WebhooksCard />, { lang: 'ru' });
    const toggle = await screen.findByRole('button', { name: 'Журнал доставок' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    await waitFor(() => expect(screen.getAllByTestId('delivery')).toHaveLength(2));
    const [failed, ok] = screen.getAllByTestId('delivery') as [HTMLElement, HTMLElement];
    expect(failed.dataset.state).toBe('failed');
    expect(within(failed).getByTestId('delivery-state').textContent).toBe('Не доставлено');
    expect(failed.textContent).toContain('2 попытки');
    expect(within(failed).getByTestId('delivery-attempt').textContent).toBe('Последняя попытка: HTTP 500: answered 500 · 4 мс');
    expect(within(ok).getByTestId('delivery-state').textContent).toBe('Доставлено');
    expect(ok.dataset.status).toBe('200');
    fireEvent.click(screen.getByRole('button', { name: 'Показать ещё' }));
    await waitFor(() => expect(screen.getAllByTestId('delivery')).toHaveLength(3));
    expect(screen.getAllByTestId('delivery')[2]?.textContent).toContain('notification.removed');
    expect(screen.queryByTestId('webhook-log-more')).toBeNull();
    expect(calls.filter((c) => c.includes('/deliveries'))).toEqual([`GET ${BASE}/1/deliveries?limit=20`, `GET ${BASE}/1/deliveries?cursor=c2&limit=20`]);
  });

  it('removes a hook only once confirmed', async () => {
    const calls = serve({
      [`GET ${BASE}`]: () => jsonResponse(200, [hook(1), hook(2)]),
      'GET /api/v1/chats': () => jsonResponse(200, chats),
      [`DELETE ${BASE}/2`]: () => new Response(null, { status: 204 }),
    });
    renderUi(<WebhooksCard />);
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.click(screen.getByRole('button', { name: 'Remove the webhook https://example.com/hook/2' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove the webhook?' });
    expect(dialog.textContent).toContain('Nothing more is sent to https://example.com/hook/2');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls.some((c) => c.startsWith('DELETE'))).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Remove the webhook https://example.com/hook/2' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(rows().map((r) => r.dataset.id)).toEqual(['1']));
    expect(calls).toContain(`DELETE ${BASE}/2`);
  });

  it('is not there when the notify service has no webhooks', async () => {
    const calls = serve({});
    renderUi(<WebhooksCard />);
    await waitFor(() => expect(calls).toContain(`GET ${BASE}`));
    await waitFor(() => expect(screen.queryByTestId('webhooks')).toBeNull());
  });
});
