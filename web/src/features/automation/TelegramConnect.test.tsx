import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AutomationAccount, TelegramLogin } from '../../api/types';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { AccountsSection } from './AccountsSection';
import { qrDrawing } from './QrCode';
import { LOGIN_POLL_MS } from './queries';

const ACCOUNTS = '/api/v1/automation/accounts';
const LOGINS = '/api/v1/automation/logins';
const NOW = Date.UTC(2026, 4, 1, 12);
const QR1 = 'tg://login?token=AQIDBAUGBwgJ';
const QR2 = 'tg://login?token=CgsMDQ4PEBES';

const account = (id: number, name: string): AutomationAccount => ({
  id,
  name,
  connector: 'telegram_user',
  actor_id: 777000 + id,
  actor_name: 'sales_one',
  state: 'active',
  state_detail: '',
  daily_limit: 50,
  used_today: 0,
  created_at: NOW,
});
const login = (id: number, state: string, more: Partial<TelegramLogin> = {}): TelegramLogin => ({
  id,
  name: 'Sales 1',
  state,
  expires_at: NOW + 600_000,
  ...(state === 'waiting' ? { qr_url: QR1, qr_expires_at: NOW + 30_000 } : {}),
  ...more,
});

/** The server's answers to `GET /automation/logins/{id}`, one a poll (the last one stays). */
function answers(list: TelegramLogin[]) {
  let i = 0;
  return () => jsonResponse(200, list[Math.min(i++, list.length - 1)]);
}

/** A list of accounts that has `connected` once the sign-in is done. */
function accountsServer() {
  const state = { items: [] as AutomationAccount[] };
  return { state, route: () => jsonResponse(200, { items: state.items, next_cursor: null }) };
}

const tick = () => act(() => vi.advanceTimersByTimeAsync(LOGIN_POLL_MS));
const polls = (calls: string[], id: number) => calls.filter((c) => c === `GET ${LOGINS}/${id}`).length;
const accountReads = (calls: string[]) => calls.filter((c) => c.startsWith(`GET ${ACCOUNTS}`)).length;

async function startLogin(name = 'Sales 1', limit = '') {
  await screen.findByTestId('accounts-none');
  fireEvent.click(screen.getByLabelText('Telegram account (QR code)'));
  fireEvent.change(screen.getByLabelText('Name'), { target: { value: name } });
  if (limit) fireEvent.change(screen.getByLabelText('Daily limit'), { target: { value: limit } });
  fireEvent.click(screen.getByRole('button', { name: 'Start' }));
}

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true, now: NOW });
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('Automation → connecting a Telegram account by QR code', () => {
  it('draws the QR code of qr_url, draws it again when it changes, and stops asking once done', async () => {
    const list = accountsServer();
    const bodies: unknown[] = [];
    const calls = serve({
      [`GET ${ACCOUNTS}`]: list.route,
      [`POST ${LOGINS}`]: async (req) => {
        bodies.push(await req.json());
        return jsonResponse(201, login(12, 'waiting'));
      },
      [`GET ${LOGINS}/12`]: answers([login(12, 'waiting'), login(12, 'waiting', { qr_url: QR2 }), login(12, 'done', { account: account(5, 'Sales 1') })]),
    });
    renderUi(<AccountsSection />);
    await startLogin(' Sales 1 ', '50');
    const qr = await screen.findByTestId('tg-qr');
    expect(bodies).toEqual([{ name: 'Sales 1', daily_limit: 50 }]);
    expect(qr.getAttribute('data-qr-url')).toBe(QR1);
    expect(qr.getAttribute('role')).toBe('img');
    expect(qr.getAttribute('aria-label')).toBe('QR code to sign the Telegram account in');
    expect(qr.querySelector('path')?.getAttribute('d')).toBe(qrDrawing(QR1).path);
    expect(screen.getByTestId('tg-instructions').textContent).toBe('On your phone open Telegram → Settings → Devices → Link Desktop Device, and scan this code.');
    // The kinds of account wait while the sign-in runs.
    expect(screen.getByLabelText('A bot (Telegram Bot API)').matches(':disabled')).toBe(true);

    // Asked again every 2 s: the same code first, then a new one, drawn anew.
    await tick();
    await waitFor(() => expect(polls(calls, 12)).toBe(1));
    expect(screen.getByTestId('tg-qr').getAttribute('data-qr-url')).toBe(QR1);
    await tick();
    await waitFor(() => expect(screen.getByTestId('tg-qr').getAttribute('data-qr-url')).toBe(QR2));
    const redrawn = screen.getByTestId('tg-qr').querySelector('path')?.getAttribute('d');
    expect(redrawn).toBe(qrDrawing(QR2).path);
    expect(redrawn).not.toBe(qrDrawing(QR1).path);

    // Scanned: done. The list is read again and has the account; the form is empty again.
    list.state.items = [account(5, 'Sales 1')];
    await tick();
    await waitFor(() => expect(screen.queryByTestId('tg-login')).toBeNull());
    expect(screen.getByTestId('tg-connected').textContent).toBe(' “Sales 1” is connected.');
    await waitFor(() => expect(screen.getAllByTestId('account')).toHaveLength(1));
    expect(within(screen.getByTestId('account')).getByTestId('account-name').textContent).toBe('Sales 1');
    expect(accountReads(calls)).toBe(2);
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('');
    expect(screen.getByLabelText('A bot (Telegram Bot API)').matches(':disabled')).toBe(false);

    // Nobody asks about it any more.
    const asked = polls(calls, 12);
    expect(asked).toBe(3);
    await tick();
    await tick();
    await tick();
    expect(polls(calls, 12)).toBe(asked);
  });

  it('asks for the two-step password: a wrong one is said under the field, the right one connects the account', async () => {
    const list = accountsServer();
    const passwords: unknown[] = [];
    const calls = serve({
      [`GET ${ACCOUNTS}`]: list.route,
      [`POST ${LOGINS}`]: () => jsonResponse(201, login(12, 'waiting')),
      [`GET ${LOGINS}/12`]: () => jsonResponse(200, login(12, 'password_needed', { password_hint: 'my cat' })),
      [`POST ${LOGINS}/12/password`]: async (req) => {
        const body = (await req.json()) as { password: string };
        passwords.push(body);
        if (body.password !== 'Tom the cat') {
          return jsonResponse(422, { error: { code: 'bad_credentials', message: 'the password is wrong', field: 'password' } });
        }
        list.state.items = [account(5, 'Sales 1')];
        return jsonResponse(200, login(12, 'done', { account: account(5, 'Sales 1') }));
      },
    });
    renderUi(<AccountsSection />);
    await startLogin();
    await screen.findByTestId('tg-qr');
    await tick();
    const password = await screen.findByLabelText('Telegram password');
    expect(password.getAttribute('type')).toBe('password');
    expect(password.getAttribute('autocomplete')).toBe('off');
    expect(screen.getByTestId('tg-password-hint').textContent).toBe('Hint: my cat');
    expect(screen.queryByTestId('tg-qr')).toBeNull();
    // No more polling while the password is asked for.
    await tick();
    await tick();
    expect(polls(calls, 12)).toBe(1);

    const signIn = screen.getByRole('button', { name: 'Sign in' }) as HTMLButtonElement;
    expect(signIn.disabled).toBe(true);
    fireEvent.change(password, { target: { value: 'Tom' } });
    fireEvent.click(signIn);
    await waitFor(() => expect(password.getAttribute('aria-invalid')).toBe('true'));
    const said = document.getElementById(password.getAttribute('aria-describedby') ?? '');
    expect(said?.textContent).toBe('Wrong password. Try again.');
    expect(screen.getByTestId('tg-login').getAttribute('data-state')).toBe('password_needed');

    fireEvent.change(password, { target: { value: 'Tom the cat' } });
    fireEvent.click(signIn);
    await waitFor(() => expect(screen.queryByTestId('tg-login')).toBeNull());
    await waitFor(() => expect(screen.getAllByTestId('account')).toHaveLength(1));
    expect(accountReads(calls)).toBe(2);
    expect(passwords).toEqual([{ password: 'Tom' }, { password: 'Tom the cat' }]);
    expect(screen.getByTestId('tg-connected').textContent).toContain('“Sales 1” is connected.');
  });

  it('says an expired sign-in and a failed one, starts again, and cancels with DELETE', async () => {
    let started = 0;
    const calls = serve({
      [`GET ${ACCOUNTS}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      [`POST ${LOGINS}`]: () => jsonResponse(201, login(12 + started++, 'waiting')),
      [`GET ${LOGINS}/12`]: () => jsonResponse(200, login(12, 'expired')),
      [`GET ${LOGINS}/13`]: () => jsonResponse(200, login(13, 'failed', { error: 'AUTH_TOKEN_INVALID' })),
      [`GET ${LOGINS}/14`]: () => jsonResponse(200, login(14, 'waiting')),
      [`DELETE ${LOGINS}/14`]: () => new Response(null, { status: 204 }),
    });
    renderUi(<AccountsSection />);
    await startLogin();
    await screen.findByTestId('tg-qr');
    await tick();
    const ended = await screen.findByTestId('tg-ended');
    expect(ended.textContent).toContain('The sign-in has expired: the code was not scanned in time.');
    expect(screen.queryByTestId('tg-qr')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Start again' }));
    await waitFor(() => expect(screen.getByTestId('tg-login').getAttribute('data-state')).toBe('waiting'));
    expect(calls.filter((c) => c === `POST ${LOGINS}`)).toHaveLength(2);
    await tick();
    await waitFor(() => expect(screen.getByTestId('tg-error').textContent).toBe('AUTH_TOKEN_INVALID'));
    expect(screen.getByTestId('tg-ended').textContent).toContain('The sign-in failed.');

    fireEvent.click(screen.getByRole('button', { name: 'Start again' }));
    await screen.findByTestId('tg-qr');
    expect(polls(calls, 12)).toBe(1);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByTestId('tg-login')).toBeNull());
    expect(calls).toContain(`DELETE ${LOGINS}/14`);
    // Back at the form, its name kept; nothing asked any more.
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('Sales 1');
    const asked = polls(calls, 14);
    await tick();
    await tick();
    expect(polls(calls, 14)).toBe(asked);
  });

  it('says the code is being prepared, that Telegram is not answering while it keeps asking, and stops at a 503', async () => {
    const preparing = login(12, 'waiting', { qr_url: undefined, qr_expires_at: undefined });
    const calls = serve({
      [`GET ${ACCOUNTS}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      [`POST ${LOGINS}`]: () => jsonResponse(201, preparing),
      [`GET ${LOGINS}/12`]: answers([
        { ...preparing, unreachable: 'connection timed out' },
        login(12, 'waiting'),
        // The next answer is a 503, below.
      ]),
    });
    renderUi(<AccountsSection />);
    await startLogin();
    expect((await screen.findByTestId('tg-preparing')).textContent).toContain('Preparing the code…');
    expect(screen.queryByTestId('tg-qr')).toBeNull();
    await tick();
    await waitFor(() => expect(screen.getByTestId('tg-unreachable').textContent).toBe(' Telegram is not answering: connection timed out. Trying again…'));
    expect(screen.getByTestId('tg-preparing')).toBeTruthy();
    await tick();
    expect((await screen.findByTestId('tg-qr')).getAttribute('data-qr-url')).toBe(QR1);
    expect(screen.queryByTestId('tg-unreachable')).toBeNull();
    expect(polls(calls, 12)).toBe(2);

    // The server can no longer sign Telegram accounts in: its words, and no more asking.
    serve({
      [`GET ${LOGINS}/12`]: () => jsonResponse(503, { error: { code: 'unavailable', message: 'Telegram logins are not configured' } }),
    });
    await tick();
    expect((await screen.findByTestId('tg-unavailable')).textContent).toBe('Telegram accounts cannot be signed in on this server: Telegram logins are not configured');
    expect(screen.queryByTestId('tg-qr')).toBeNull();
    expect(screen.getByRole('button', { name: 'Start again' })).toBeTruthy();
    const after = vi.mocked(fetch).mock.calls.length;
    await tick();
    await tick();
    expect(vi.mocked(fetch).mock.calls.length).toBe(after);
  });

  it('reads the sign-in again when the password is no longer asked for (409)', async () => {
    const calls = serve({
      [`GET ${ACCOUNTS}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      [`POST ${LOGINS}`]: () => jsonResponse(201, login(12, 'password_needed', { password_hint: '' })),
      [`GET ${LOGINS}/12`]: () => jsonResponse(200, login(12, 'expired')),
      [`POST ${LOGINS}/12/password`]: () => jsonResponse(409, { error: { code: 'wrong_state', message: 'the login is not waiting for a password' } }),
    });
    renderUi(<AccountsSection />);
    await startLogin();
    fireEvent.change(await screen.findByLabelText('Telegram password'), { target: { value: 'late' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByTestId('tg-ended')).textContent).toContain('The sign-in has expired');
    expect(polls(calls, 12)).toBe(1);
    expect(screen.queryByLabelText('Telegram password')).toBeNull();
  });

  it('shows the server’s own words when it cannot sign Telegram accounts in', async () => {
    serve({
      [`GET ${ACCOUNTS}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      [`POST ${LOGINS}`]: () =>
        jsonResponse(503, { error: { code: 'unavailable', message: 'no Telegram API credentials: set automation.telegram_api_id and automation.telegram_api_hash' } }),
    });
    renderUi(<AccountsSection />);
    await startLogin();
    const note = await screen.findByTestId('tg-unavailable');
    expect(note.getAttribute('role')).toBe('alert');
    expect(note.textContent).toBe(
      'Telegram accounts cannot be signed in on this server: no Telegram API credentials: set automation.telegram_api_id and automation.telegram_api_hash',
    );
    expect(screen.queryByTestId('tg-login')).toBeNull();
  });

  it('speaks Russian', async () => {
    let tries = 0;
    serve({
      [`GET ${ACCOUNTS}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      [`POST ${LOGINS}`]: () =>
        tries++ === 0 ? jsonResponse(503, { error: { code: 'unavailable', message: 'Telegram is unreachable' } }) : jsonResponse(201, login(12, 'waiting')),
      [`GET ${LOGINS}/12`]: () => jsonResponse(200, login(12, 'password_needed', { password_hint: '' })),
      [`POST ${LOGINS}/12/password`]: () => jsonResponse(422, { error: { code: 'bad_credentials', message: 'the password is wrong', field: 'password' } }),
    });
    renderUi(<AccountsSection />, { lang: 'ru' });
    await screen.findByTestId('accounts-none');
    fireEvent.click(screen.getByLabelText('Аккаунт Telegram (QR-код)'));
    fireEvent.change(screen.getByLabelText('Название'), { target: { value: 'Продажи 1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Начать' }));
    expect((await screen.findByTestId('tg-unavailable')).textContent).toBe('На этом сервере нельзя войти в аккаунт Telegram: Telegram is unreachable');
    fireEvent.click(screen.getByRole('button', { name: 'Начать' }));
    const qr = await screen.findByRole('img', { name: 'QR-код для входа в аккаунт Telegram' });
    expect(qr.getAttribute('data-qr-url')).toBe(QR1);
    expect(screen.getByTestId('tg-instructions').textContent).toBe('На телефоне откройте Telegram → Настройки → Устройства → Подключить устройство и отсканируйте код.');
    await tick();
    const password = await screen.findByLabelText('Пароль Telegram');
    // An empty hint is not shown.
    expect(screen.queryByTestId('tg-password-hint')).toBeNull();
    fireEvent.change(password, { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Войти' }));
    await waitFor(() => expect(password.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(password.getAttribute('aria-describedby') ?? '')?.textContent).toBe('Неверный пароль. Попробуйте ещё раз.');
    expect(screen.getByRole('button', { name: 'Отмена' })).toBeTruthy();
  });
});
