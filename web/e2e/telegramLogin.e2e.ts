/**
 * Connecting a Telegram user account by QR code (Automation → Accounts, "Telegram account (QR
 * code)"). The harness's server has no Telegram API credentials (`automation.telegram_api_id`
 * and `automation.telegram_api_hash` unset), so starting a sign-in there answers 503
 * `unavailable` with the server's reason, and the form must show those words. Telegram itself
 * cannot be reached from the tests, so a sign-in that gets further cannot come from the server:
 * the other tests script the answers of `/api/v1/automation/logins*` with `page.route` (a
 * waiting sign-in whose QR code changes, then the two-step password, a wrong one refused, then
 * done). What they check is the page: the QR code drawn for the URL it was given and redrawn
 * when it changes, the password step, the error at its field, and the form closing once done
 * with the accounts list asked for again. Everything else (the list, the session) is the real
 * server's. Nothing sticks out at 360 px, in Russian.
 */
import type { Page, Request, Route } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerUi } from './authHelpers';
import { DESKTOP, PASSWORD, PHONE, Suite, expectNoOverflow } from './helpers';

const LOGINS = /\/api\/v1\/automation\/logins(?:[/?]|$)/;
const QR = ['tg://login?token=AQIDBAUGBwgJCgsMDQ4PEA', 'tg://login?token=ERITFBUWFxgZGhscHR4fIA'];
const PASSWORD_TG = 'Tom the cat';

/**
 * The server's side of one sign-in (id 12), scripted: it starts waiting without a code (Telegram
 * has not given one yet), has `QR[0]` from the first poll and `QR[1]` from the third, until
 * `scan()`; then it wants the password (hint "my cat"), refuses any
 * but `PASSWORD_TG` as the server does (422 `bad_credentials` at `password`) and is done with
 * the right one. DELETE cancels it.
 */
async function scriptLogin(page: Page) {
  const now = Date.now();
  const script = {
    state: 'waiting' as 'waiting' | 'password_needed' | 'done',
    polls: 0,
    passwords: [] as string[],
    started: [] as unknown[],
    cancelled: 0,
    scan() {
      script.state = 'password_needed';
    },
  };
  const account = {
    id: 501,
    name: 'Sales 1',
    connector: 'telegram_user',
    actor_id: 777001,
    actor_name: 'sales_one',
    state: 'active',
    state_detail: '',
    daily_limit: 50,
    used_today: 0,
    created_at: now,
  };
  const login = () => ({
    id: 12,
    name: 'Sales 1',
    state: script.state,
    expires_at: now + 600_000,
    ...(script.state === 'waiting' && script.polls > 0 ? { qr_url: QR[script.polls >= 3 ? 1 : 0], qr_expires_at: Date.now() + 30_000 } : {}),
    ...(script.state === 'password_needed' ? { password_hint: 'my cat' } : {}),
    ...(script.state === 'done' ? { account } : {}),
  });
  await page.route(LOGINS, async (route: Route) => {
    const req = route.request();
    const path = new URL(req.url()).pathname;
    const method = req.method();
    if (method === 'POST' && path === '/api/v1/automation/logins') {
      script.started.push(req.postDataJSON());
      return route.fulfill({ status: 201, json: login() });
    }
    if (method === 'GET' && path === '/api/v1/automation/logins/12') {
      script.polls += 1;
      return route.fulfill({ status: 200, json: login() });
    }
    if (method === 'POST' && path === '/api/v1/automation/logins/12/password') {
      const { password } = req.postDataJSON() as { password: string };
      script.passwords.push(password);
      if (password !== PASSWORD_TG) {
        return route.fulfill({ status: 422, json: { error: { code: 'bad_credentials', message: 'the password is wrong', field: 'password' } } });
      }
      script.state = 'done';
      return route.fulfill({ status: 200, json: login() });
    }
    if (method === 'DELETE' && path === '/api/v1/automation/logins/12') {
      script.cancelled += 1;
      return route.fulfill({ status: 204, body: '' });
    }
    return route.fulfill({ status: 404, json: { error: { code: 'not_found', message: 'not scripted' } } });
  });
  return script;
}

describe('telegram QR login', () => {
  const suite = new Suite('telegram-login');
  let page: Page;
  let token = '';

  beforeAll(async () => {
    page = await suite.page({ viewport: DESKTOP });
    await registerUi(page, suite.server.url, 'tanya');
    token = (await suite.seed.call<{ access_token: string }>('POST', '/auth/login', null, { username: 'tanya', password: PASSWORD })).access_token;
  });

  it('says why when the server has no Telegram credentials, in its own words', async () => {
    // What the real server answers, asked directly: the form must show the same words.
    const res = await fetch(`${suite.server.url}/api/v1/automation/logins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'Sales 1' }),
    });
    expect(res.status).toBe(503);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('unavailable');
    expect(error.message).not.toBe('');

    await suite.visit(page, '/automation/accounts', '[data-testid="accounts-none"]');
    const form = page.getByTestId('connect-form');
    await form.getByLabel('Telegram account (QR code)').check();
    await form.getByLabel('Name', { exact: true }).fill('Sales 1');
    await form.getByRole('button', { name: 'Start', exact: true }).click();
    const note = form.getByTestId('tg-unavailable');
    await note.waitFor();
    expect(await note.textContent()).toContain(error.message);
    expect(await form.getByTestId('tg-login').count()).toBe(0);
    expect(await page.getByTestId('account').count()).toBe(0);
  });

  it('draws the QR code, asks for the password, refuses a wrong one and connects with the right one (answers scripted)', async () => {
    // Telegram is out of reach here: /automation/logins* is answered by the script, not the server.
    const script = await scriptLogin(page);
    await suite.visit(page, '/automation/accounts', '[data-testid="accounts-none"]');
    const form = page.getByTestId('connect-form');
    await form.getByLabel('Telegram account (QR code)').check();
    await form.getByLabel('Name', { exact: true }).fill('Sales 1');
    await form.getByLabel('Daily limit').fill('50');
    await form.getByRole('button', { name: 'Start', exact: true }).click();

    // The first code comes with the first poll, 2 s after the start.
    const qr = form.getByTestId('tg-qr');
    await qr.waitFor({ timeout: 15_000 });
    expect(script.started).toEqual([{ name: 'Sales 1', daily_limit: 50 }]);
    expect(await qr.getAttribute('data-qr-url')).toBe(QR[0]);
    expect(await qr.getAttribute('role')).toBe('img');
    expect(await page.getByRole('img', { name: 'QR code to sign the Telegram account in' }).count()).toBe(1);
    const first = await qr.locator('path').getAttribute('d');
    expect(first).toBeTruthy();
    const box = await qr.boundingBox();
    expect(box?.width).toBeGreaterThan(150);
    expect(await form.getByTestId('tg-instructions').textContent()).toBe('On your phone open Telegram → Settings → Devices → Link Desktop Device, and scan this code.');

    // Asked every 2 s: the new code is drawn.
    await expect.poll(() => qr.getAttribute('data-qr-url'), { timeout: 15_000 }).toBe(QR[1]);
    expect(await qr.locator('path').getAttribute('d')).not.toBe(first);

    // Scanned: the account has a two-step password.
    script.scan();
    const password = form.getByLabel('Telegram password');
    await password.waitFor({ timeout: 15_000 });
    expect(await password.getAttribute('type')).toBe('password');
    expect(await form.getByTestId('tg-password-hint').textContent()).toBe('Hint: my cat');
    expect(await form.getByTestId('tg-qr').count()).toBe(0);
    const polled = script.polls;

    await password.fill('Tom');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => password.getAttribute('aria-invalid')).toBe('true');
    const said = await password.getAttribute('aria-describedby');
    expect(await page.locator(`[id="${said}"]`).textContent()).toBe('Wrong password. Try again.');
    expect(await form.getByTestId('tg-login').getAttribute('data-state')).toBe('password_needed');

    // The right one: done, the form closes and the accounts list is asked for again.
    const reread = page.waitForRequest((r: Request) => r.method() === 'GET' && new URL(r.url()).pathname === '/api/v1/automation/accounts');
    await password.fill(PASSWORD_TG);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await form.getByTestId('tg-connected').waitFor();
    await reread;
    expect(await form.getByTestId('tg-connected').textContent()).toContain('“Sales 1” is connected.');
    expect(await form.getByTestId('tg-login').count()).toBe(0);
    expect(script.passwords).toEqual(['Tom', PASSWORD_TG]);
    // No poll while the password was asked for, nor after.
    expect(script.polls).toBe(polled);
    expect(script.cancelled).toBe(0);
    await page.unroute(LOGINS);
  });

  it('fits a 360 px screen in Russian, and Cancel ends the sign-in (answers scripted)', async () => {
    const phone = await suite.page({ viewport: PHONE, locale: 'ru-RU' }, 'tanya');
    // Telegram is out of reach here: /automation/logins* is answered by the script, not the server.
    const script = await scriptLogin(phone);
    await suite.visit(phone, '/automation/accounts', '[data-testid="accounts-none"]');
    const form = phone.getByTestId('connect-form');
    await form.getByLabel('Аккаунт Telegram (QR-код)').check();
    await form.getByLabel('Название', { exact: true }).fill('Продажи 1');
    await form.getByRole('button', { name: 'Начать', exact: true }).click();
    await form.getByTestId('tg-qr').waitFor({ timeout: 15_000 });
    expect(await form.getByTestId('tg-instructions').textContent()).toBe(
      'На телефоне откройте Telegram → Настройки → Устройства → Подключить устройство и отсканируйте код.',
    );
    await expectNoOverflow(phone, 'the QR code');
    script.scan();
    await form.getByLabel('Пароль Telegram').waitFor({ timeout: 15_000 });
    await expectNoOverflow(phone, 'the password step');
    await form.getByRole('button', { name: 'Отмена' }).click();
    await form.getByTestId('tg-login').waitFor({ state: 'detached' });
    expect(script.cancelled).toBe(1);
    expect(suite.errors()).toEqual([]);
  });
});
