import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Bot } from '../../api/types';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { BotsCard } from './BotsCard';

const BASE = '/api/v1/bots';
const bot = (id: number, more: Partial<Bot> = {}): Bot => ({ id, username: `b${id}_bot`, name: `Bot ${id}`, privacy: true, created_at: Date.UTC(2026, 4, 1), ...more });
const rows = () => screen.queryAllByTestId('bot');
const row = (id: number) => rows().find((r) => r.dataset.id === String(id)) as HTMLElement;

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Settings → Bots', () => {
  it('lists my bots a page at a time, and says how to point a library at this server', async () => {
    const calls = serve({
      [`GET ${BASE}`]: (req) =>
        new URL(req.url).searchParams.get('cursor') === 'c2'
          ? jsonResponse(200, { items: [bot(3)], next_cursor: null })
          : jsonResponse(200, { items: [bot(1), bot(2, { privacy: false, name: 'Погода' })], next_cursor: 'c2' }),
    });
    renderUi(<BotsCard />);
    const card = await screen.findByRole('region', { name: 'Bots' });
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(within(card).getByRole('list', { name: 'Your bots' })).toBeTruthy();
    expect(within(row(2)).getByTestId('bot-name').textContent).toBe('Погода');
    expect(within(row(2)).getByTestId('bot-username').textContent).toBe('@b2_bot');
    expect((within(row(1)).getByRole('switch', { name: /Privacy mode/ }) as HTMLInputElement).checked).toBe(true);
    expect((within(row(2)).getByRole('switch', { name: /Privacy mode/ }) as HTMLInputElement).checked).toBe(false);
    expect(row(1).textContent).toContain('In groups the bot sees only commands, replies to its messages and mentions of it.');
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(screen.queryByTestId('bots-more')).toBeNull();
    expect(calls).toEqual([`GET ${BASE}?limit=50`, `GET ${BASE}?cursor=c2&limit=50`]);
    const help = screen.getByTestId('bots-help');
    expect(screen.getByTestId('bots-base').textContent).toBe(window.location.origin);
    expect(help.textContent).toContain(`TelegramAPIServer.from_base("${window.location.origin}")`);
    expect(help.textContent).toContain(`${window.location.origin}/bot<token>/getMe`);
  });

  it('makes a bot and shows its token once, with a copy button and the call that checks it; a bad username is said at its field', async () => {
    const posts: unknown[] = [];
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      [`POST ${BASE}`]: async (req) => {
        const body = (await req.json()) as { username: string; name: string };
        posts.push(body);
        if (!body.username.toLowerCase().endsWith('bot')) return jsonResponse(422, { error: { code: 'validation_failed', message: 'a bot\'s username is 5 to 32 characters and ends in "bot"', field: 'username' } });
        if (posts.length > 2) return jsonResponse(409, { error: { code: 'too_many_bots', message: 'you own 20 bots, as many as one may' } });
        return jsonResponse(201, { ...bot(7, { username: body.username.toLowerCase(), name: body.name }), token: '7:s3cr3t-token' });
      },
    });
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    renderUi(<BotsCard />);
    expect((await screen.findByTestId('bots-none')).textContent).toBe('No bots yet.');
    const name = screen.getByLabelText('Name');
    const username = screen.getByLabelText('Username');
    const create = screen.getByRole('button', { name: 'Create bot' }) as HTMLButtonElement;
    expect(create.disabled).toBe(true);
    fireEvent.change(name, { target: { value: ' Weather ' } });
    fireEvent.change(username, { target: { value: 'weather' } });
    fireEvent.click(create);
    const error = await screen.findByText('A bot’s username is 5 to 32 characters and ends in “bot”.');
    expect(username.getAttribute('aria-invalid')).toBe('true');
    expect(username.getAttribute('aria-describedby')).toBe(error.id);

    fireEvent.change(username, { target: { value: '@Weather_Bot' } });
    fireEvent.click(create);
    await waitFor(() => expect(posts[1]).toEqual({ username: 'Weather_Bot', name: 'Weather' }));
    const panel = await screen.findByTestId('bot-token-panel');
    expect(panel.textContent).toContain('Bot @weather_bot created.');
    expect(panel.textContent).toContain('it will not be shown again');
    expect(within(panel).getByLabelText('Bot token').textContent).toBe('7:s3cr3t-token');
    expect(within(panel).getByTestId('bot-getme').textContent).toBe(`${window.location.origin}/bot7:s3cr3t-token/getMe`);
    fireEvent.click(within(panel).getByRole('button', { name: 'Copy token' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith('7:s3cr3t-token'));
    expect(await within(panel).findByText('Copied')).toBeTruthy();
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(within(row(7)).getByTestId('bot-username').textContent).toBe('@weather_bot');
    expect((name as HTMLInputElement).value).toBe('');
    expect(username.getAttribute('aria-invalid')).toBe('false');
    // Dismissed: gone for good; the list never had it.
    fireEvent.click(within(panel).getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('bot-token-panel')).toBeNull();
    expect(screen.queryByText(/s3cr3t/)).toBeNull();

    fireEvent.change(name, { target: { value: 'More' } });
    fireEvent.change(username, { target: { value: 'more_bot' } });
    fireEvent.click(create);
    expect(await screen.findByText(/You own as many bots as one may: delete one first\./)).toBeTruthy();
  });

  it('renames a bot and turns its privacy mode off', async () => {
    const patches: unknown[] = [];
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [bot(1)], next_cursor: null }),
      [`PATCH ${BASE}/1`]: async (req) => {
        const body = (await req.json()) as { name?: string; privacy?: boolean };
        patches.push(body);
        if (body.name === '') return jsonResponse(422, { error: { code: 'validation_failed', message: 'must contain visible characters', field: 'name' } });
        return jsonResponse(200, bot(1, body));
      },
    });
    renderUi(<BotsCard />, { lang: 'ru' });
    await waitFor(() => expect(rows()).toHaveLength(1));
    fireEvent.click(within(row(1)).getByRole('button', { name: 'Переименовать @b1_bot' }));
    const input = within(row(1)).getByLabelText('Имя');
    expect((input as HTMLInputElement).value).toBe('Bot 1');
    fireEvent.change(input, { target: { value: '  Новое имя ' } });
    fireEvent.click(within(row(1)).getByRole('button', { name: 'Сохранить' }));
    await waitFor(() => expect(within(row(1)).getByTestId('bot-name').textContent).toBe('Новое имя'));
    expect(within(row(1)).queryByTestId('bot-rename-form')).toBeNull();

    const privacy = within(row(1)).getByRole('switch', { name: /Режим приватности/ }) as HTMLInputElement;
    fireEvent.click(privacy);
    await waitFor(() => expect(patches).toEqual([{ name: 'Новое имя' }, { privacy: false }]));
    await waitFor(() => expect(privacy.checked).toBe(false));
    expect(privacy.disabled).toBe(false);
  });

  it('makes a new token only once confirmed, and shows it once', async () => {
    const calls = serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [bot(1)], next_cursor: null }),
      [`POST ${BASE}/1/token`]: () => jsonResponse(200, { ...bot(1), token: '1:fresh' }),
    });
    renderUi(<BotsCard />);
    await waitFor(() => expect(rows()).toHaveLength(1));
    fireEvent.click(screen.getByRole('button', { name: 'New token for @b1_bot' }));
    let dialog = screen.getByRole('dialog', { name: 'Make a new token?' });
    expect(dialog.textContent).toContain('The token @b1_bot has now stops working at once');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls.some((c) => c.startsWith('POST'))).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'New token for @b1_bot' }));
    dialog = screen.getByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Make a new token' }));
    const panel = await screen.findByTestId('bot-token-panel');
    expect(panel.textContent).toContain('New token for @b1_bot.');
    expect(within(panel).getByLabelText('Bot token').textContent).toBe('1:fresh');
    expect(calls).toContain(`POST ${BASE}/1/token`);
  });

  it('deletes a bot only once confirmed', async () => {
    const calls = serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [bot(1), bot(2)], next_cursor: null }),
      [`DELETE ${BASE}/2`]: () => new Response(null, { status: 204 }),
    });
    renderUi(<BotsCard />);
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.click(screen.getByRole('button', { name: 'Delete the bot @b2_bot' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete the bot?' });
    expect(dialog.textContent).toContain('its token stops working, it leaves its groups and channels');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls.some((c) => c.startsWith('DELETE'))).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Delete the bot @b2_bot' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(rows().map((r) => r.dataset.id)).toEqual(['1']));
    expect(calls).toContain(`DELETE ${BASE}/2`);
  });

  it('is not there when the server has no bots service', async () => {
    const calls = serve({});
    renderUi(<BotsCard />);
    await waitFor(() => expect(calls).toContain(`GET ${BASE}?limit=50`));
    await waitFor(() => expect(screen.queryByTestId('bots')).toBeNull());
  });
});
