import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AutomationAccount } from '../../api/types';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { AccountsSection } from './AccountsSection';

const BASE = '/api/v1/automation/accounts';
const account = (id: number, more: Partial<AutomationAccount> = {}): AutomationAccount => ({
  id,
  name: `Agent ${id}`,
  connector: 'hybrid',
  actor_id: 100 + id,
  actor_name: `agent${id}`,
  state: 'active',
  state_detail: '',
  daily_limit: 200,
  used_today: 3,
  created_at: Date.UTC(2026, 4, 1),
  ...more,
});
const rows = () => screen.queryAllByTestId('account');
const row = (id: number) => rows().find((r) => r.dataset.id === String(id)) as HTMLElement;

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Automation → Accounts', () => {
  it('lists accounts with their state in words, a page at a time', async () => {
    const calls = serve({
      [`GET ${BASE}`]: (req) =>
        new URL(req.url).searchParams.get('cursor') === 'c2'
          ? jsonResponse(200, { items: [account(3, { state: 'banned' })], next_cursor: null })
          : jsonResponse(200, {
              items: [account(1), account(2, { state: 'flood_wait', state_detail: 'wait 30 s', rest_until: Date.UTC(2026, 4, 2, 10), used_today: 7, daily_limit: 50 })],
              next_cursor: 'c2',
            }),
    });
    renderUi(<AccountsSection />);
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(within(row(1)).getByTestId('account-state').textContent).toBe('Active');
    expect(within(row(2)).getByTestId('account-state').textContent).toBe('Waiting (flood)');
    expect(within(row(2)).getByTestId('account-detail').textContent).toBe('wait 30 s');
    expect(within(row(2)).getByTestId('account-used').textContent).toBe('7 of 50 actions in the last 24 hours');
    expect(within(row(2)).getByTestId('account-rest').querySelector('time')).toBeTruthy();
    expect(within(row(1)).getByTestId('account-actor').textContent).toBe('@agent1');
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(within(row(3)).getByTestId('account-state').textContent).toBe('Banned');
    expect(calls).toEqual([`GET ${BASE}?limit=50`, `GET ${BASE}?cursor=c2&limit=50`]);
  });

  it('connects a bot with its token and Bot API address, nobody signed in; a refused token and a bad address are said at their fields', async () => {
    const connects: unknown[] = [];
    const logins: unknown[] = [];
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      'POST /api/v1/auth/login': () => {
        logins.push(1);
        return jsonResponse(500, {});
      },
      [`POST ${BASE}`]: async (req) => {
        const body = (await req.json()) as { token: string; name: string; endpoint?: string };
        connects.push(body);
        if (body.endpoint === 'telegram.example') return jsonResponse(422, { error: { code: 'validation_failed', message: "must be the Bot API's base URL, like https://api.telegram.org", field: 'endpoint' } });
        if (body.token !== '42:good') return jsonResponse(422, { error: { code: 'bad_credentials', message: 'the platform refused the token', field: 'token' } });
        return jsonResponse(201, account(5, { name: body.name, connector: 'telegram_bot', actor_name: 'invite_bot', reachable: 0, endpoint: body.endpoint }));
      },
    });
    renderUi(<AccountsSection />);
    await screen.findByTestId('accounts-none');
    fireEvent.click(screen.getByLabelText('A bot (Telegram Bot API)'));
    expect(screen.queryByLabelText('Agent’s username')).toBeNull();
    expect(screen.getByTestId('connect-session-hint').textContent).toContain('The token is kept sealed');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Invites' } });
    fireEvent.change(screen.getByLabelText('Bot token'), { target: { value: '42:bad' } });
    fireEvent.change(screen.getByLabelText('Bot API address'), { target: { value: 'telegram.example' } });
    const submit = screen.getByRole('button', { name: 'Connect' });
    fireEvent.click(submit);
    const address = screen.getByLabelText('Bot API address');
    await waitFor(() => expect(address.getAttribute('aria-invalid')).toBe('true'));
    fireEvent.change(address, { target: { value: 'https://bots.example.com' } });
    fireEvent.click(submit);
    const tokenField = screen.getByLabelText('Bot token');
    await waitFor(() => expect(tokenField.getAttribute('aria-invalid')).toBe('true'));
    fireEvent.change(tokenField, { target: { value: ' 42:good ' } });
    fireEvent.click(submit);
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(within(row(5)).getByTestId('account-reachable').textContent).toBe('May write to 0 people (who started the bot)');
    expect(connects.at(-1)).toEqual({ name: 'Invites', connector: 'telegram_bot', token: '42:good', endpoint: 'https://bots.example.com' });
    expect(logins).toEqual([]);
  });

  it('connects an agent: signs them in apart from this tab (2FA asked when needed), then hands the token over; a refused token is said at the username', async () => {
    const logins: Request[] = [];
    const loginBodies: unknown[] = [];
    const connects: unknown[] = [];
    let logouts = 0;
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      'POST /api/v1/auth/login': async (req) => {
        logins.push(req);
        const body = (await req.json()) as { username: string; totp_code?: string };
        loginBodies.push(body);
        if (body.username === 'ghost') return jsonResponse(201, { access_token: 'stale-token', expires_in: 900, session_id: 8, token_type: 'Bearer', user: { id: 9, username: 'ghost' } });
        if (!body.totp_code) return jsonResponse(401, { error: { code: 'totp_required', message: 'send the code' } });
        if (body.totp_code !== '123456') return jsonResponse(401, { error: { code: 'invalid_totp', message: 'wrong code' } });
        return jsonResponse(201, { access_token: 'agent-token', refresh_token: 'agent-refresh', expires_in: 900, session_id: 7, token_type: 'Bearer', user: { id: 101, username: 'agent1' } });
      },
      'POST /api/v1/auth/logout': () => {
        logouts += 1;
        return new Response(null, { status: 204 });
      },
      [`POST ${BASE}`]: async (req) => {
        const body = (await req.json()) as { token: string; name: string };
        connects.push({ body, auth: req.headers.get('authorization') });
        if (body.token === 'stale-token') return jsonResponse(422, { error: { code: 'bad_credentials', message: "the token's session has ended", field: 'token' } });
        return jsonResponse(201, account(1, { name: body.name }));
      },
    });
    renderUi(<AccountsSection />);
    expect((await screen.findByTestId('accounts-none')).textContent).toBe('No accounts yet.');
    expect(screen.getByTestId('connect-session-hint').textContent).toContain('Only the new session this makes is kept, sealed');
    const submit = screen.getByRole('button', { name: 'Connect' }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: ' Sales 1 ' } });
    fireEvent.change(screen.getByLabelText('Agent’s username'), { target: { value: '@agent1' } });
    fireEvent.change(screen.getByLabelText('Agent’s password'), { target: { value: 'pw-of-agent' } });
    fireEvent.change(screen.getByLabelText('Daily limit'), { target: { value: '50' } });
    expect(screen.queryByLabelText('Agent’s two-step code')).toBeNull();
    fireEvent.click(submit);

    // The password was right: the code is asked for, not an error.
    const code = await screen.findByLabelText('Agent’s two-step code');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(submit.disabled).toBe(true);
    fireEvent.change(code, { target: { value: '000000' } });
    fireEvent.click(submit);
    await waitFor(() => expect(code.getAttribute('aria-invalid')).toBe('true'));
    fireEvent.change(code, { target: { value: '123456' } });
    fireEvent.click(submit);
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(within(row(1)).getByTestId('account-name').textContent).toBe('Sales 1');

    // The agent's sign-in sent no cookie and no token of this tab, asked for no cookie, and named the device.
    expect(loginBodies.at(-1)).toEqual({ username: 'agent1', password: 'pw-of-agent', totp_code: '123456', device_name: 'Hybrid automation' });
    expect(logins.every((r) => r.credentials === 'omit' && !r.headers.get('authorization'))).toBe(true);
    expect(loginBodies.every((b) => !('refresh_in_cookie' in (b as object)))).toBe(true);
    expect(connects).toEqual([{ body: { name: 'Sales 1', connector: 'hybrid', token: 'agent-token', daily_limit: 50 }, auth: 'Bearer owner-token' }]);
    // This tab is still Anna's.
    expect(session.accessToken()).toBe('owner-token');
    expect(session.snapshot.account?.username).toBe('anna');
    // The form is empty again, the code field gone.
    expect((screen.getByLabelText('Agent’s username') as HTMLInputElement).value).toBe('');
    expect(screen.queryByLabelText('Agent’s two-step code')).toBeNull();

    // A token the service refuses: said at the username, and the session just made is signed out again.
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Ghost' } });
    fireEvent.change(screen.getByLabelText('Agent’s username'), { target: { value: 'ghost' } });
    fireEvent.change(screen.getByLabelText('Agent’s password'), { target: { value: 'pw' } });
    fireEvent.click(submit);
    const username = screen.getByLabelText('Agent’s username');
    await waitFor(() => expect(username.getAttribute('aria-invalid')).toBe('true'));
    const error = document.getElementById(username.getAttribute('aria-describedby') ?? '');
    expect(error?.textContent).toBe('The platform refused these credentials. Check them and try again.');
    expect(logouts).toBe(1);
    expect(rows()).toHaveLength(1);
  });

  it('says a wrong password at the username, in Russian', async () => {
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      'POST /api/v1/auth/login': () => jsonResponse(401, { error: { code: 'invalid_credentials', message: 'wrong username or password' } }),
    });
    renderUi(<AccountsSection />, { lang: 'ru' });
    await screen.findByTestId('accounts-none');
    fireEvent.change(screen.getByLabelText('Название'), { target: { value: 'A' } });
    fireEvent.change(screen.getByLabelText('Имя пользователя агента'), { target: { value: 'agent' } });
    fireEvent.change(screen.getByLabelText('Пароль агента'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Подключить' }));
    await waitFor(() => expect(screen.getByLabelText('Имя пользователя агента').getAttribute('aria-invalid')).toBe('true'));
  });

  it('checks, pauses, resumes, sets the daily limit and deletes (confirmed)', async () => {
    const sent: unknown[] = [];
    const calls = serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [account(1, { state: 'logged_out', state_detail: 'the session ended' }), account(2)], next_cursor: null }),
      [`POST ${BASE}/1/check`]: () => jsonResponse(200, account(1)),
      [`PATCH ${BASE}/2`]: async (req) => {
        const body = (await req.json()) as { paused?: boolean; daily_limit?: number };
        sent.push(body);
        if (body.daily_limit === 500) return jsonResponse(422, { error: { code: 'validation_failed', message: 'must be between 1 and 200', field: 'daily_limit' } });
        return jsonResponse(200, account(2, { state: body.paused ? 'paused' : 'active', daily_limit: body.daily_limit ?? 200 }));
      },
      [`DELETE ${BASE}/2`]: () => new Response(null, { status: 204 }),
    });
    renderUi(<AccountsSection />);
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(row(1).textContent).toContain('“Check” makes it active');
    fireEvent.click(screen.getByRole('button', { name: 'Check Agent 1' }));
    await waitFor(() => expect(within(row(1)).getByTestId('account-state').textContent).toBe('Active'));

    fireEvent.click(screen.getByRole('button', { name: 'Pause Agent 2' }));
    await waitFor(() => expect(within(row(2)).getByTestId('account-state').textContent).toBe('Paused'));
    fireEvent.click(screen.getByRole('button', { name: 'Resume Agent 2' }));
    await waitFor(() => expect(within(row(2)).getByTestId('account-state').textContent).toBe('Active'));

    fireEvent.click(screen.getByRole('button', { name: 'Daily limit of Agent 2' }));
    const limit = within(row(2)).getByLabelText('Daily limit');
    fireEvent.change(limit, { target: { value: '500' } });
    fireEvent.click(within(row(2)).getByRole('button', { name: 'Save' }));
    expect(await within(row(2)).findByText('Must be between 1 and 200.')).toBeTruthy();
    fireEvent.change(limit, { target: { value: '20' } });
    fireEvent.click(within(row(2)).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(within(row(2)).getByTestId('account-used').textContent).toBe('3 of 20 actions in the last 24 hours'));
    expect(sent).toEqual([{ paused: true }, { paused: false }, { daily_limit: 500 }, { daily_limit: 20 }]);

    fireEvent.click(screen.getByRole('button', { name: 'Delete the account Agent 2' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete the account?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls.some((c) => c.startsWith('DELETE'))).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Delete the account Agent 2' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(rows().map((r) => r.dataset.id)).toEqual(['1']));
  });
});
