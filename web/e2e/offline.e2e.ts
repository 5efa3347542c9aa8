/**
 * The offline outbox: messages written while the server is down (the process is stopped)
 * wait with a clock and go out in order, once each, when it is back; a lost answer is not a
 * second message (nonce); the outbox survives a reload, a cancelled message is never sent,
 * and signing out clears it. The connection problem shows as a bar that leaves the messages'
 * buttons free and goes when the connection is back, and nobody shows as online meanwhile.
 */
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDir, launch } from './browser';
import { HybridServer, RESULTS } from './server';
import {
  api,
  apiLogin,
  ConsoleErrors,
  DESKTOP,
  failShot,
  historyTexts,
  msg,
  newContext,
  PASSWORD,
  pendingMsg,
  registerUi,
  sendApi,
  shot,
  type ApiUser,
} from './chatHelpers';

let server: HybridServer;
let browser: Browser;
let aliceCtx: BrowserContext;
let alice: Page;
let bob: Page;
let aliceApi: ApiUser;
let chatId = 0;
let chatUrl = '';
let restart: (() => Promise<void>) | null = null;
const errors = new ConsoleErrors();
const SENDS = '**/api/v1/chats/*/messages';

async function write(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

/** Every POST of a message fails as if the network were down (the socket stays up). */
async function cutSends(page: Page): Promise<void> {
  await page.route(SENDS, (route: Route) => (route.request().method() === 'POST' ? route.abort('connectionrefused') : route.fallback()));
}

/** The texts the page's outbox holds in IndexedDB. */
function storedTexts(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const req = indexedDB.open('hybrid-outbox');
        req.onsuccess = () => {
          const db = req.result;
          if (!db.objectStoreNames.contains('outbox')) return resolve([]);
          const all = db.transaction('outbox', 'readonly').objectStore('outbox').getAll();
          all.onsuccess = () => resolve((all.result as { text: string; created_at: number }[]).sort((a, b) => a.created_at - b.created_at).map((i) => i.text));
        };
        req.onerror = () => resolve(['(no database)']);
      }),
  );
}

async function count(texts: string[], text: string): Promise<number> {
  return texts.filter((t) => t === text).length;
}

describe('offline outbox', () => {
  beforeAll(async () => {
    ensureDir(RESULTS);
    server = new HybridServer();
    await server.start();
    browser = await launch();
    aliceCtx = await newContext(browser);
    alice = errors.watch(await aliceCtx.newPage(), 'alice');
    bob = errors.watch(await (await newContext(browser)).newPage(), 'bob');
    await registerUi(alice, server.url, 'alice');
    await registerUi(bob, server.url, 'bob');
    aliceApi = await apiLogin(server, 'alice');
    const bobApi = await apiLogin(server, 'bob');
    chatId = (await api<{ id: number }>(server, aliceApi.token, 'POST', '/chats', { kind: 'direct', user_id: bobApi.id })).id;
    // Both have written: the server shares their presence.
    await sendApi(server, aliceApi, chatId, 'Hi Bob');
    await sendApi(server, bobApi, chatId, 'Hi Alice');
    chatUrl = `${server.url}/chat/${chatId}`;
    await alice.goto(chatUrl);
    await bob.goto(chatUrl);
    await msg(alice, 'Hi Alice').waitFor();
    await msg(bob, 'Hi Alice').waitFor();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await failShot([alice, bob], ctx.task.name);
    // A failed step must not leave the server down for the next one.
    const r = restart;
    restart = null;
    await r?.();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('keeps messages written while the server is down and sends them in order, once each, when it is back', async () => {
    const header = alice.locator('.chat-header');
    await header.getByText('online', { exact: true }).waitFor();
    const port = server.port;
    await server.stop();
    restart = () => server.start(port);
    await write(alice, 'Offline one');
    await write(alice, 'Offline two');
    // Both wait with a clock (not "Not sent").
    await pendingMsg(alice, 'Offline one').getByLabel('Waiting for the network', { exact: true }).waitFor();
    await pendingMsg(alice, 'Offline two').getByLabel('Waiting for the network', { exact: true }).waitFor();
    // Disconnected: nobody is shown online, the header says so, a bar explains.
    await alice.getByTestId('connecting').waitFor();
    expect(await header.getByText('online', { exact: true }).count()).toBe(0);
    expect(await alice.locator('.avatar-online').count()).toBe(0);
    const alert = alice.getByTestId('chat-alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('sent when it is back');
    // No toast over the history: the pending message's own button is free to click.
    expect(await alice.locator('.toast').count()).toBe(0);
    await pendingMsg(alice, 'Offline two').getByRole('button', { name: 'Cancel sending' }).click({ trial: true });
    await shot(alice, 'offline-outbox-desktop');
    await alice.setViewportSize({ width: 360, height: 740 });
    await shot(alice, 'offline-outbox-mobile');
    await alice.setViewportSize(DESKTOP);

    restart = null;
    await server.start(port);
    await msg(bob, 'Offline two').waitFor({ timeout: 60_000 });
    await msg(alice, 'Offline two').waitFor({ timeout: 60_000 });
    await expect.poll(() => alice.getByTestId('message-pending').count(), { timeout: 30_000 }).toBe(0);
    await alert.waitFor({ state: 'detached', timeout: 60_000 });
    await header.getByText('online', { exact: true }).waitFor({ timeout: 60_000 });
    const texts = await historyTexts(server, aliceApi, chatId);
    expect(await count(texts, 'Offline one')).toBe(1);
    expect(await count(texts, 'Offline two')).toBe(1);
    expect(texts.indexOf('Offline one')).toBeLessThan(texts.indexOf('Offline two'));
    const onBob = await bob.locator('[data-testid="message"] .bubble > .message-text').allTextContents();
    expect(onBob.filter((t) => t.startsWith('Offline'))).toEqual(['Offline one', 'Offline two']);
  });

  it('a send whose answer was lost goes again with its nonce and is not doubled', async () => {
    let posts = 0;
    await alice.route(SENDS, async (route: Route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      posts += 1;
      if (posts === 1) {
        await route.fetch(); // the server stores it…
        return route.abort('connectionreset'); // …but the answer never arrives
      }
      return route.fallback();
    });
    await write(alice, 'Answer lost');
    await msg(bob, 'Answer lost').waitFor();
    await expect.poll(() => posts, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => alice.getByTestId('message-pending').count(), { timeout: 30_000 }).toBe(0);
    await alice.unroute(SENDS);
    expect(await count(await historyTexts(server, aliceApi, chatId), 'Answer lost')).toBe(1);
    expect(await msg(alice, 'Answer lost').count()).toBe(1);
    expect(await msg(bob, 'Answer lost').count()).toBe(1);
  });

  it('survives a reload; a cancelled message is never sent', async () => {
    await cutSends(alice);
    await write(alice, 'Kept across reload');
    await write(alice, 'Cancelled before sending');
    await pendingMsg(alice, 'Cancelled before sending').waitFor();
    await pendingMsg(alice, 'Cancelled before sending').getByRole('button', { name: 'Cancel sending' }).click();
    await pendingMsg(alice, 'Cancelled before sending').waitFor({ state: 'detached' });
    await expect.poll(() => storedTexts(alice)).toEqual(['Kept across reload']);
    await alice.reload();
    await pendingMsg(alice, 'Kept across reload').getByLabel('Sending', { exact: true }).waitFor();
    expect(await pendingMsg(alice, 'Cancelled before sending').count()).toBe(0);
    await alice.unroute(SENDS);
    await write(alice, 'Written after the reload');
    // Sends go in order: once the last one is there, anything queued before it went first.
    await msg(bob, 'Written after the reload').waitFor({ timeout: 60_000 });
    const texts = await historyTexts(server, aliceApi, chatId);
    expect(await count(texts, 'Kept across reload')).toBe(1);
    expect(texts.indexOf('Kept across reload')).toBeLessThan(texts.indexOf('Written after the reload'));
    expect(await count(texts, 'Cancelled before sending')).toBe(0);
    await expect.poll(() => alice.getByTestId('message-pending').count()).toBe(0);
  });

  it('signing out clears the outbox', async () => {
    await cutSends(alice);
    await write(alice, 'Left behind at sign-out');
    await pendingMsg(alice, 'Left behind at sign-out').waitFor();
    await expect.poll(() => storedTexts(alice)).toEqual(['Left behind at sign-out']);
    await alice.goto(`${server.url}/settings`);
    await alice.getByTestId('logout').click();
    await alice.waitForURL(/\/login/);
    await alice.unroute(SENDS);
    await alice.getByLabel('Username').fill('alice');
    await alice.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await alice.getByRole('button', { name: 'Sign in' }).click();
    await alice.getByRole('heading', { name: 'Chats' }).waitFor();
    await alice.goto(chatUrl);
    await msg(alice, 'Kept across reload').waitFor();
    expect(await alice.getByTestId('message-pending').count()).toBe(0);
    await write(alice, 'Fresh after signing in');
    await msg(bob, 'Fresh after signing in').waitFor();
    expect(await count(await historyTexts(server, aliceApi, chatId), 'Left behind at sign-out')).toBe(0);
    expect(await storedTexts(alice)).toEqual([]);
  });

  it('a refused message says why; Try again (only where it may help) and Delete are not covered by anything', async () => {
    // A 500: the server failed, so sending again may work.
    let refusal: { status: number; code: string } | null = { status: 500, code: 'internal' };
    await alice.route(SENDS, (route: Route) => {
      if (route.request().method() !== 'POST' || !refusal) return route.fallback();
      return route.fulfill({
        status: refusal.status,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: refusal.code, message: 'no' } }),
      });
    });
    await write(alice, 'Refused first');
    const failed = pendingMsg(alice, 'Refused first');
    await failed.getByTestId('failed-note').waitFor();
    expect(await failed.getByTestId('failed-note').textContent()).toBe('Not sent: Something went wrong on the server. Please try again in a moment.');
    expect(await alice.locator('.toast').count()).toBe(0);
    await shot(alice, 'outbox-refused-desktop');
    refusal = null;
    await failed.getByRole('button', { name: 'Try again' }).click(); // a real click: nothing may lie over it
    await msg(bob, 'Refused first').waitFor();
    await failed.waitFor({ state: 'detached' });
    // A 403: sending the same message again cannot help, so only Delete is offered.
    refusal = { status: 403, code: 'forbidden' };
    await write(alice, 'Refused and deleted');
    const second = pendingMsg(alice, 'Refused and deleted');
    await second.getByTestId('failed-note').waitFor();
    expect(await second.getByTestId('failed-note').textContent()).toBe('Not sent: You are not allowed to do that.');
    expect(await second.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    await second.getByRole('button', { name: 'Delete' }).click();
    await second.waitFor({ state: 'detached' });
    await expect.poll(() => storedTexts(alice)).toEqual([]);
    await alice.unroute(SENDS);
    expect(await count(await historyTexts(server, aliceApi, chatId), 'Refused and deleted')).toBe(0);
  });

  it('logged no errors in the browsers', () => {
    expect(errors.list).toEqual([]);
  });
});
