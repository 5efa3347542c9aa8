/**
 * Outgoing webhooks in Settings against a real server running notify, delivering to a small
 * HTTP receiver started here (node:http: 200 on /ok, 500 on /fail; the server may reach it:
 * `outbound.allow_private`, and retries fast: the jobs' backoff at 5–10 ms). A bad URL said at
 * its field; a hook added in the card, its secret shown once and copied from the page; a
 * mention of bob delivered to the receiver as `notification.new`, its `x-hybrid-signature`
 * checked with that secret (HMAC-SHA256 here); the card's delivery log showing it delivered
 * with HTTP 200; a hook for one chat to /fail turned off after three deliveries in a row fail
 * (12 attempts each), shown so after a reload, and turned on again; a hook removed once
 * confirmed. Nothing of the card sticks out at 360 px. Screenshots: webhooks-*.png.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from './browser';
import { DESKTOP, PHONE, Suite, expectNoOverflow, type Person } from './helpers';
import { RESULTS } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Hook {
  id: number;
  url: string;
  chat_id?: number | null;
  failures: number;
  disabled_at?: number | null;
}

/** Records every request; answers 200 on /ok and 500 anywhere else. */
class Receiver {
  readonly requests: Received[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(req.url === '/ok' ? 200 : 500, { 'content-type': 'text/plain' });
        res.end(req.url === '/ok' ? 'ok' : 'no');
      });
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await new Promise((done) => this.server?.close(done));
  }
}

/** Whether `header` (`t=<unix seconds>,v1=<hex>`) signs `body` with `secret`. */
function signed(header: string, body: string, secret: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  if (!parts.t || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
  return expected === parts.v1 && Math.abs(Date.now() / 1000 - Number(parts.t)) < 300;
}

describe('webhooks', () => {
  const receiver = new Receiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  const suite = new Suite('webhooks', {
    env: {
      HYBRID_OUTBOUND__ALLOW_PRIVATE: 'true',
      HYBRID_JOBS__BACKOFF_BASE_MS: '5',
      HYBRID_JOBS__BACKOFF_MAX_MS: '10',
    },
  });
  let anna: Person;
  let bob: Person;
  const hooks = () => suite.seed.call<Hook[]>('GET', '/notifications/webhooks', bob.token);

  beforeAll(async () => {
    anna = await suite.seed.person('anna', 'Anna');
    bob = await suite.seed.person('bob', 'Bob');
  });

  it('adds a hook with its secret shown once; a mention reaches the receiver signed; the log, a failing hook turned off and on, removal', async () => {
    const page = await suite.page({ viewport: DESKTOP, permissions: ['clipboard-read', 'clipboard-write'] }, 'bob');
    await suite.visit(page, '/settings', '[data-testid="webhook-form"]');
    const card = page.getByRole('region', { name: 'Webhooks', exact: true });
    expect(await card.getByTestId('webhooks-none').textContent()).toBe('No webhooks yet.');
    const url = card.getByLabel('Webhook URL');
    const add = card.getByRole('button', { name: 'Add webhook' });

    // A URL the server refuses: said at the field.
    await url.fill('ftp://127.0.0.1/hook');
    await add.click();
    const fieldError = card.locator('.field-error');
    await expect.poll(() => fieldError.textContent()).toBe('Must be an address starting with http:// or https://, at most 2048 characters.');
    expect(await url.getAttribute('aria-invalid')).toBe('true');
    expect(await url.getAttribute('aria-describedby')).toBe(await fieldError.getAttribute('id'));
    expect(await hooks()).toEqual([]);

    // All my notifications, to /ok: the secret, once, copied by the button.
    await url.fill(`${receiver.url}/ok`);
    expect(await card.getByLabel('Send').inputValue()).toBe('');
    await add.click();
    const panel = card.getByTestId('webhook-secret');
    await panel.waitFor();
    expect(await panel.textContent()).toContain('Copy it now: it will not be shown again.');
    const secret = (await panel.getByLabel('Webhook secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_\S{20,}$/);
    await panel.getByRole('button', { name: 'Copy secret' }).click();
    await panel.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect(await fieldError.count()).toBe(0);
    const okRow = card.getByTestId('webhook').filter({ hasText: `${receiver.url}/ok` });
    expect(await okRow.getByTestId('webhook-target').textContent()).toBe('All my notifications');
    expect(await okRow.getAttribute('data-state')).toBe('active');
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'webhooks-secret.png') });
    const [made] = await hooks();
    expect(made).toMatchObject({ url: `${receiver.url}/ok`, failures: 0 });
    expect(made).not.toHaveProperty('secret');
    // Gone once dismissed, and not there after a reload either.
    await panel.getByRole('button', { name: 'Done' }).click();
    expect(await panel.count()).toBe(0);
    await page.reload();
    await card.getByTestId('webhook').first().waitFor();
    expect(await page.content()).not.toContain(secret);

    // Anna adds Bob to a group and mentions him: each entry POSTed to /ok, signed.
    const group = await suite.seed.group(anna, 'Hook club', [bob]);
    await suite.seed.send(anna, group, 'Hello @bob, look at this');
    await expect
      .poll(() => receiver.on('/ok').some((r) => (JSON.parse(r.body) as { notification?: { kind?: string } }).notification?.kind === 'mention'), { timeout: 15_000 })
      .toBe(true);
    const mention = receiver.on('/ok').find((r) => (JSON.parse(r.body) as { notification?: { kind?: string } }).notification?.kind === 'mention') as Received;
    const body = JSON.parse(mention.body) as { event: string; user_id: number; notification: { chat_id: number; preview: string } };
    expect(body).toMatchObject({ event: 'notification.new', user_id: bob.id, notification: { chat_id: group } });
    expect(body.notification.preview).toContain('Hello @bob');
    expect(mention.headers['content-type']).toContain('application/json');
    expect(mention.headers['x-hybrid-event']).toBe('notification.new');
    expect(mention.headers['x-hybrid-delivery']).toBeTruthy();
    const signature = String(mention.headers['x-hybrid-signature']);
    expect(signed(signature, mention.body, secret), `signature ${signature}`).toBe(true);
    expect(signed(signature, mention.body, 'whsec_other'), 'another secret does not verify').toBe(false);
    expect(signed(signature, `${mention.body} `, secret), 'another body does not verify').toBe(false);

    // The card's delivery log: the mention (newest first) delivered with HTTP 200.
    await okRow.getByRole('button', { name: 'Delivery log' }).click();
    const log = okRow.getByTestId('webhook-log');
    const deliveries = log.getByTestId('delivery');
    await expect.poll(async () => (await deliveries.count()) >= 2 && (await deliveries.first().getAttribute('data-state')) === 'delivered', { timeout: 15_000 }).toBe(true);
    const newest = deliveries.first();
    expect(await newest.getAttribute('data-status')).toBe('200');
    expect(await newest.locator('.delivery-event').textContent()).toBe('notification.new');
    expect(await newest.getByTestId('delivery-state').textContent()).toBe('Delivered');
    expect(await newest.getByTestId('delivery-attempt').textContent()).toMatch(/^Last attempt: HTTP 200 · \d+ ms$/);
    expect(await newest.textContent()).toContain('1 attempt');
    await log.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'webhooks-log.png') });

    // A hook for the group only, to /fail: three mentions, each failing 12 attempts, turn it off.
    await url.fill(`${receiver.url}/fail`);
    await card.getByLabel('Send').selectOption({ label: 'Hook club' });
    await add.click();
    await panel.waitFor();
    await panel.getByRole('button', { name: 'Done' }).click();
    const failRow = card.getByTestId('webhook').filter({ hasText: `${receiver.url}/fail` });
    expect(await failRow.getByTestId('webhook-target').textContent()).toBe('Hook club');
    for (let i = 1; i <= 3; i++) await suite.seed.send(anna, group, `Ping ${i} @bob`);
    const failing = async () => (await hooks()).find((h) => h.url.endsWith('/fail'));
    await expect.poll(async () => Boolean((await failing())?.disabled_at), { timeout: 30_000 }).toBe(true);
    expect((await failing())?.failures).toBe(3);
    expect(receiver.on('/fail').length).toBe(36);
    // The hook to /ok got all of them: it stays on.
    const ok = (await hooks()).find((h) => h.url.endsWith('/ok'));
    expect([ok?.failures, ok?.disabled_at ?? null]).toEqual([0, null]);

    await page.reload();
    await failRow.waitFor();
    expect(await failRow.getAttribute('data-state')).toBe('disabled');
    expect(await failRow.getByTestId('webhook-state').textContent()).toBe('Turned off');
    expect(await failRow.getByTestId('webhook-disabled').textContent()).toContain('after repeated failures: 3 deliveries in a row failed.');
    await failRow.getByRole('button', { name: 'Delivery log' }).click();
    const failed = failRow.getByTestId('delivery');
    await expect.poll(() => failed.count()).toBe(3);
    expect(await failed.first().getAttribute('data-state')).toBe('failed');
    expect(await failed.first().getAttribute('data-status')).toBe('500');
    expect(await failed.first().textContent()).toContain('12 attempts');
    await failRow.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'webhooks-disabled.png') });

    await failRow.getByRole('button', { name: 'Turn on again' }).click();
    await expect.poll(() => failRow.getAttribute('data-state')).toBe('active');
    expect(await failRow.getByTestId('webhook-disabled').count()).toBe(0);
    const on = await failing();
    expect([on?.failures, on?.disabled_at ?? null]).toEqual([0, null]);

    // On a phone, nothing of the card sticks out (the long URLs, the open logs, the help).
    await page.setViewportSize(PHONE);
    await card.getByText('What a webhook receives').click();
    await card.scrollIntoViewIfNeeded();
    await expectNoOverflow(page, 'webhooks card, 360 px');
    await page.screenshot({ path: join(SHOTS, 'webhooks-phone.png'), fullPage: true });
    await page.setViewportSize(DESKTOP);

    // Removed once confirmed: gone from the card and the server.
    await failRow.getByRole('button', { name: `Remove the webhook ${receiver.url}/fail` }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove the webhook?' });
    expect(await dialog.textContent()).toContain(`Nothing more is sent to ${receiver.url}/fail`);
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => failRow.count()).toBe(0);
    expect((await hooks()).map((h) => h.url)).toEqual([`${receiver.url}/ok`]);
    expect(suite.errors()).toEqual([]);
  });
});
