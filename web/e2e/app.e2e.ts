/**
 * End to end: a real `hybrid serve` on a temporary data dir, two people in two browser
 * contexts. Screenshots of the main screens at 1280 px and 360 px go to
 * test-results/screenshots/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDir, launch } from './browser';
import { HybridServer, RESULTS, WEB_DIR } from './server';
import { totp } from './totp';

const SHOTS = join(RESULTS, 'screenshots');
const DESKTOP = { width: 1280, height: 800 };
const MOBILE = { width: 360, height: 740 };
const PASSWORD = 'correct horse battery';

let server: HybridServer;
let browser: Browser;
let aliceCtx: BrowserContext;
let bobCtx: BrowserContext;
let alice: Page;
let bob: Page;
let directUrl = '';
let groupUrl = '';
const consoleErrors: string[] = [];

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(150); // let animations settle
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function newPage(ctx: BrowserContext, who: string): Promise<Page> {
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text())) consoleErrors.push(`${who}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${who}: ${e.message}`));
  return page;
}

async function register(page: Page, username: string): Promise<void> {
  await page.goto(`${server.url}/`);
  await page.waitForURL(/\/login/);
  await page.getByRole('link', { name: 'Create one' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Chats' }).waitFor();
}

function messages(page: Page) {
  return page.getByTestId('message');
}

/** The message whose own text (not a quoted reply) contains `text`. */
function msg(page: Page, text: string) {
  return page.getByTestId('message').filter({ has: page.locator('.bubble > .message-text', { hasText: text }) });
}

/** Alice picks Carol in the open members panel's picker, sees her row, and removes her again. */
async function addThenRemoveCarol(panel: Locator): Promise<void> {
  await panel.getByTestId('user-picker').fill('car');
  await panel.getByRole('button', { name: /carol/ }).click();
  const carolRow = alice.getByTestId('member-row').filter({ hasText: '@carol' });
  await carolRow.waitFor();
  await carolRow.getByRole('button', { name: /Actions for/ }).click();
  await alice.getByRole('menuitem', { name: 'Remove from chat' }).click();
  await carolRow.waitFor({ state: 'detached' });
}

describe('Hybrid web client', () => {
  beforeAll(async () => {
    ensureDir(SHOTS);
    server = new HybridServer();
    await server.start();
    browser = await launch();
    const opts = { viewport: DESKTOP, locale: 'en-US', colorScheme: 'light' as const };
    aliceCtx = await browser.newContext(opts);
    bobCtx = await browser.newContext(opts);
    alice = await newPage(aliceCtx, 'alice');
    bob = await newPage(bobCtx, 'bob');
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await alice?.screenshot({ path: join(RESULTS, `failed-${name}-alice.png`) }).catch(() => undefined);
    await bob?.screenshot({ path: join(RESULTS, `failed-${name}-bob.png`) }).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('serves the client with long-lived caching for hashed assets and SPA fallback', async () => {
    const index = await fetch(`${server.url}/join/anything`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /\/assets\/[^"]+\.js/.exec(html)?.[0];
    expect(asset).toBeTruthy();
    const js = await fetch(`${server.url}${asset}`);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z]/i); // nothing from a CDN
  });

  it('has the OpenAPI snapshot the server serves (regenerate with npm run api:update)', async () => {
    const served = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as unknown;
    const committed = JSON.parse(readFileSync(join(WEB_DIR, 'src/api/openapi.json'), 'utf8')) as unknown;
    expect(committed).toEqual(served);
  });

  it('shows the login screen', async () => {
    const page = await newPage(await browser.newContext({ viewport: DESKTOP, locale: 'en-US' }), 'guest');
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(page, 'login-desktop');
    await page.setViewportSize(MOBILE);
    await shot(page, 'login-mobile');
    await page.context().close();
    // A Russian browser gets the Russian UI; dark by the system's preference.
    const ru = await newPage(await browser.newContext({ viewport: MOBILE, locale: 'ru-RU', colorScheme: 'dark' }), 'guest-ru');
    await ru.goto(`${server.url}/login`);
    await ru.getByRole('heading', { name: 'Вход' }).waitFor();
    await shot(ru, 'login-ru-dark-mobile');
    await ru.context().close();
  });

  it('two people register', async () => {
    await register(alice, 'alice');
    await register(bob, 'bob');
    const cookies = await aliceCtx.cookies();
    const refresh = cookies.find((c) => c.name === 'hybrid_refresh');
    expect(refresh?.httpOnly).toBe(true);
    expect(refresh?.sameSite).toBe('Strict');
    // The refresh token never reaches scripts or storage.
    expect(await alice.evaluate(() => document.cookie)).toBe('');
    expect(await alice.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).not.toContain(refresh?.value ?? '-');
  });

  it('Alice opens a direct chat with Bob and messages arrive live', async () => {
    await alice.getByRole('button', { name: 'New chat' }).click();
    await alice.getByTestId('user-picker').fill('bo');
    await alice.getByRole('dialog').getByRole('button', { name: /bob/ }).first().click();
    await alice.waitForURL(/\/chat\/\d+/);
    directUrl = alice.url();
    const box = alice.getByTestId('composer');
    await box.fill('Hi Bob!');
    await box.press('Enter');
    await expect.poll(() => messages(alice).last().textContent()).toContain('Hi Bob!');

    // Bob sees the new chat with an unread badge and the preview, without reloading.
    const row = bob.getByTestId('chat-row').first();
    await row.getByTestId('unread-badge').waitFor();
    expect(await row.textContent()).toContain('Hi Bob!');
    await shot(bob, 'chat-list-desktop');
    await row.click();
    await messages(bob).filter({ hasText: 'Hi Bob!' }).waitFor();
  });

  it('typing shows on the other side; Shift+Enter makes a new line', async () => {
    const box = bob.getByTestId('composer');
    await box.click();
    await box.pressSequentially('Hello Alice!', { delay: 10 });
    await alice.getByTestId('typing').waitFor();
    await box.press('Shift+Enter');
    await box.pressSequentially('Second line');
    expect(await box.inputValue()).toBe('Hello Alice!\nSecond line');
    await box.press('Enter');
    const got = msg(alice, 'Second line');
    await got.waitFor();
    expect(await got.locator('.message-text').innerText()).toBe('Hello Alice!\nSecond line');
    await alice.getByTestId('typing').waitFor({ state: 'detached' });
    // Both have written now: Alice's header asks for Bob's presence (an empty chat tells nothing).
    await alice.locator('.chat-header').getByText('online', { exact: true }).waitFor();
  });

  it('reactions, replies, edits and deletes show up live', async () => {
    // Alice reacts to Bob's message.
    const bobsMessage = msg(alice, 'Second line');
    await bobsMessage.hover();
    await bobsMessage.getByRole('button', { name: 'Message actions' }).click();
    await alice.getByRole('menuitem', { name: 'React with 👍' }).click();
    await msg(bob, 'Second line').getByTestId('reaction').filter({ hasText: '👍' }).waitFor();

    // Alice replies to it.
    await bobsMessage.hover();
    await bobsMessage.getByRole('button', { name: 'Reply' }).click();
    await alice.getByTestId('replying').waitFor();
    await alice.getByTestId('composer').fill('Nice to hear from you');
    await alice.getByTestId('composer').press('Enter');
    const reply = msg(bob, 'Nice to hear from you');
    await reply.waitFor();
    expect(await reply.locator('.reply-quote').textContent()).toContain('Second line');

    // Alice edits her first message.
    const first = msg(alice, 'Hi Bob!');
    await first.hover();
    await first.getByRole('button', { name: 'Message actions' }).click();
    await alice.getByRole('menuitem', { name: 'Edit' }).click();
    await alice.getByTestId('editing').waitFor();
    await alice.getByTestId('composer').fill('Hi Bob! How are you?');
    await alice.getByTestId('composer').press('Enter');
    const edited = msg(bob, 'How are you?');
    await edited.waitFor();
    expect(await edited.textContent()).toContain('edited');

    // Alice deletes it.
    const mine = msg(alice, 'How are you?');
    await mine.hover();
    await mine.getByRole('button', { name: 'Message actions' }).click();
    await alice.getByRole('menuitem', { name: 'Delete' }).click();
    await alice.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await msg(bob, 'Message deleted').waitFor();
    expect(await msg(bob, 'How are you?').count()).toBe(0);

    // Pin Bob's message: both see the pinned bar.
    await bobsMessage.hover();
    await bobsMessage.getByRole('button', { name: 'Message actions' }).click();
    await alice.getByRole('menuitem', { name: 'Pin' }).click();
    await bob.getByTestId('pinned-bar').waitFor();
    await shot(alice, 'chat-view-desktop');
  });

  it('a group with an invite link that Bob joins; members panel with roles', async () => {
    await alice.getByRole('button', { name: 'New chat' }).click();
    await alice.getByRole('tab', { name: 'Group' }).click();
    await alice.getByTestId('chat-name').fill('Team');
    await alice.getByTestId('create-chat').click();
    await alice.waitForURL((u) => /^\/chat\/\d+$/.test(u.pathname) && u.href !== directUrl);
    groupUrl = alice.url();
    await alice.getByTestId('chat-title').filter({ hasText: 'Team' }).waitFor();
    await alice.getByTestId('composer').fill('Welcome to the team');
    await alice.getByTestId('composer').press('Enter');
    await alice.getByTestId('members-button').click();
    await alice.getByTestId('create-invite').click();
    await alice.getByTestId('invite-save').click();
    const link = await alice.getByTestId('invite-url').first().inputValue();
    expect(link).toMatch(/\/join\/.+/);

    await bob.goto(link);
    await bob.getByTestId('join-title').filter({ hasText: 'Team' }).waitFor();
    await bob.getByTestId('join-button').click();
    await bob.waitForURL(/\/chat\/\d+/);
    await msg(bob, 'Welcome to the team').waitFor();

    // Alice sees Bob join in the open members panel, and makes him an admin.
    const bobRow = alice.getByTestId('member-row').filter({ hasText: '@bob' });
    await bobRow.waitFor();
    await bobRow.getByRole('button', { name: /Actions for/ }).click();
    await alice.getByRole('menuitem', { name: 'Make admin' }).click();
    await bobRow.getByText('admin', { exact: true }).waitFor();
    await shot(alice, 'members-desktop');

    // Add a third person from the panel, then remove her.
    const carol = await fetch(`${server.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'carol', password: PASSWORD }),
    });
    expect(carol.status).toBe(201);
    const panel = alice.getByTestId('members-panel');
    await panel.getByRole('button', { name: 'Add' }).click();
    await addThenRemoveCarol(panel);
    await panel.getByRole('button', { name: 'Add' }).click();

    // @mention autocomplete in the group.
    const box = alice.getByTestId('composer');
    await box.fill('');
    await box.pressSequentially('thanks @bo');
    await alice.getByRole('option', { name: /@bob/ }).waitFor();
    await box.press('Enter');
    expect(await box.inputValue()).toBe('thanks @bob ');
    await box.press('Enter');
    await msg(bob, 'thanks @bob').locator('.mention').waitFor();
  });

  it('Carol says in Settings → Privacy who may add her, and the members panel obeys', async () => {
    // Carol (registered above) signs in on a browser of her own.
    const carolCtx = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', colorScheme: 'light' });
    const carol = await newPage(carolCtx, 'carol');
    await carol.goto(`${server.url}/login`);
    await carol.locator('input[name="username"]').fill('carol');
    await carol.locator('input[name="password"]').fill(PASSWORD);
    await carol.locator('button[type="submit"]').click();
    await carol.getByRole('heading', { name: 'Chats' }).waitFor();
    await carol.goto(`${server.url}/settings`);
    /** Picks a choice and waits for the server to take it. */
    const choose = async (select: ReturnType<Page['getByLabel']>, value: string) => {
      const saved = carol.waitForResponse((r) => r.url().endsWith('/api/v1/users/me/privacy') && r.request().method() === 'PUT');
      await select.selectOption(value);
      expect((await saved).status()).toBe(200);
    };
    const choice = carol.getByLabel('Who may add me to groups and channels');
    await expect.poll(() => choice.inputValue()).toBe('everyone');
    await choose(choice, 'nobody');
    await carol.reload();
    await expect.poll(() => carol.getByLabel('Who may add me to groups and channels').inputValue()).toBe('nobody');
    await shot(carol, 'settings-privacy');

    // Alice tries to add her to Team: refused, with the reason and what to do instead.
    await alice.goto(groupUrl);
    await alice.getByTestId('members-button').click();
    const panel = alice.getByTestId('members-panel');
    await panel.getByRole('button', { name: 'Add' }).click();
    await panel.getByTestId('user-picker').fill('car');
    await panel.getByRole('button', { name: /carol/ }).click();
    await panel.getByText('Their privacy settings do not let you add them. Send them an invite link instead.').waitFor();
    expect(await alice.getByTestId('member-row').filter({ hasText: '@carol' }).count()).toBe(0);

    // "Everyone" lets her in (and she leaves Team again, as the later steps expect).
    const again = carol.getByLabel('Who may add me to groups and channels');
    await choose(again, 'everyone');
    await addThenRemoveCarol(panel);
    await carolCtx.close();
  });

  it('history survives a reload (the session comes back from the cookie)', async () => {
    await bob.goto(directUrl);
    await msg(bob, 'Second line').waitFor();
    expect(await msg(bob, 'Message deleted').count()).toBe(1);
    await bob.reload();
    await msg(bob, 'Nice to hear from you').waitFor();
    await expect.poll(() => bob.getByTestId('chat-title').textContent()).toBe('alice');
  });

  it('read ticks are right after a reload and follow the peer live', async () => {
    // Bob has the direct chat open at the bottom: Alice's messages are read.
    await alice.goto(directUrl);
    const tick = (text: string, name: 'Read' | 'Sent') => msg(alice, text).getByRole('img', { name, exact: true });
    await tick('Nice to hear from you', 'Read').waitFor();
    await alice.reload();
    await tick('Nice to hear from you', 'Read').waitFor();

    // Bob looks elsewhere; Alice's next message stays unread until he opens the chat.
    await bob.goto(`${server.url}/`);
    await bob.getByTestId('chat-row').first().waitFor();
    await alice.getByTestId('composer').fill('Read me later');
    await alice.getByTestId('composer').press('Enter');
    await tick('Read me later', 'Sent').waitFor();
    await alice.reload();
    await tick('Read me later', 'Sent').waitFor();
    expect(await tick('Nice to hear from you', 'Read').count()).toBe(1);
    await bob.goto(directUrl);
    await msg(bob, 'Read me later').waitFor();
    await tick('Read me later', 'Read').waitFor();
    await alice.reload();
    await tick('Read me later', 'Read').waitFor();
  });

  it('shows a banner while reconnecting and catches up on what was missed', async () => {
    await alice.goto(directUrl);
    await msg(alice, 'Second line').waitFor();
    await alice.waitForTimeout(300);
    const port = server.port;
    await server.stop();
    await alice.getByTestId('reconnect-banner').waitFor();
    await server.start(port);
    // Bob writes while Alice's socket is still waiting to reconnect.
    await bob.getByTestId('composer').fill('Written while you were away');
    await bob.getByTestId('composer').press('Enter');
    await msg(alice, 'Written while you were away').waitFor({ timeout: 60_000 });
    await alice.getByTestId('reconnect-banner').waitFor({ state: 'detached', timeout: 60_000 });
  });

  it('finds people and messages, and lists sessions', async () => {
    const search = alice.getByRole('searchbox', { name: /Search chats/ });
    await search.fill('Second');
    await alice.locator('.message-hit').filter({ hasText: 'Second line' }).waitFor();
    await search.fill('bo');
    await alice.getByRole('button', { name: 'Message bob' }).waitFor();
    await search.fill('');
    await alice.goto(`${server.url}/settings`);
    await alice.getByTestId('session-row').first().waitFor();
    expect(await alice.getByTestId('session-row').first().textContent()).toContain('this device');
    await alice.getByTestId('display-name').fill('Alice Liddell');
    await alice.getByRole('button', { name: 'Save', exact: true }).click();
    await alice.getByText('Saved').waitFor();
    // Switch to Russian and back.
    await alice.getByLabel('Language').first().selectOption('ru');
    await alice.getByRole('heading', { name: 'Настройки' }).waitFor();
    await alice.getByLabel('Язык').first().selectOption('en');
    await alice.getByRole('heading', { name: 'Settings' }).waitFor();
  });

  it('loads older history when scrolling up, without moving what is on screen', async () => {
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bob', password: PASSWORD, device_name: 'e2e script' }),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    const chatId = Number(new URL(directUrl).pathname.split('/').pop());
    for (let i = 1; i <= 120; i++) {
      const res = await fetch(`${server.url}/api/v1/chats/${chatId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}` },
        body: JSON.stringify({ text: i === 1 ? 'The treasure map is under the old oak' : `Filler ${i}`, nonce: `filler-${i}` }),
      });
      expect(res.status).toBe(201);
    }
    // Alice reads them first: a chat with this many unread opens at the first unread one.
    await alice.goto(directUrl);
    await alice.getByRole('button', { name: 'Jump to the latest messages' }).click();
    await msg(alice, 'Filler 120').waitFor();
    await expect.poll(() => alice.locator(`a[href="${new URL(directUrl).pathname}"]`).getByTestId('unread-badge').count()).toBe(0);
    await alice.setViewportSize(DESKTOP);
    await alice.goto(directUrl);
    await msg(alice, 'Filler 120').waitFor();
    const count = () => alice.getByTestId('message').count();
    expect(await count()).toBeLessThanOrEqual(50);
    const list = alice.getByTestId('messages');
    const anchor = await alice.getByTestId('message').first().getAttribute('data-seq');
    const topOf = () =>
      alice.evaluate((seq) => {
        const el = document.querySelector(`[data-seq="${seq}"]`);
        const box = document.querySelector('[data-testid="messages"]');
        return el && box ? el.getBoundingClientRect().top - box.getBoundingClientRect().top : NaN;
      }, anchor);
    await list.evaluate((el) => {
      el.scrollTop = 0;
    });
    const before = await topOf();
    await expect.poll(count).toBeGreaterThan(50);
    await alice.waitForTimeout(200);
    expect(Math.abs((await topOf()) - before)).toBeLessThan(4);
    // Scrolled up, a new message does not pull the view down; a button offers to jump.
    await bob.getByTestId('composer').fill('Are you there?');
    await bob.getByTestId('composer').press('Enter');
    await alice.getByRole('button', { name: 'Jump to the latest messages' }).waitFor();
    expect(Math.abs((await topOf()) - before)).toBeLessThan(4);
    await alice.getByRole('button', { name: 'Jump to the latest messages' }).click();
    await expect.poll(() => list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(5);
  });

  it('jumps to an old search hit with one page around it, then loads newer pages down to the live end', async () => {
    await alice.goto(directUrl);
    await msg(alice, 'Are you there?').waitFor();
    const requests: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (/\/api\/v1\/chats\/\d+\/messages\?/.test(r.url())) requests.push(new URL(r.url()).search);
    };
    alice.on('request', onRequest);
    const search = alice.getByRole('searchbox', { name: /Search chats/ });
    await search.fill('treasure');
    await alice.locator('.message-hit').filter({ hasText: 'treasure map' }).click();
    const hit = msg(alice, 'treasure map');
    await hit.waitFor();
    // One request around the hit, no paging up through everything newer.
    expect(requests.filter((q) => q.includes('around='))).toHaveLength(1);
    expect(requests.filter((q) => q.includes('before='))).toEqual([]);
    expect(await messages(alice).count()).toBeLessThanOrEqual(50);
    await expect.poll(() => hit.evaluate((el) => {
      const box = document.querySelector('[data-testid="messages"]')?.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return Boolean(box && r.top >= box.top && r.bottom <= box.bottom);
    })).toBe(true);
    expect(await msg(alice, 'Are you there?').count()).toBe(0);
    await shot(alice, 'chat-jump-desktop');

    // Scrolling down loads newer pages until the latest message.
    const list = alice.getByTestId('messages');
    await expect
      .poll(async () => {
        await list.evaluate((el) => {
          el.scrollTop = el.scrollHeight;
        });
        return msg(alice, 'Are you there?').count();
      }, { timeout: 20_000 })
      .toBe(1);
    expect(requests.filter((q) => q.includes('after=')).length).toBeGreaterThan(0);
    alice.off('request', onRequest);
    // At the live end again, new messages arrive live.
    await bob.getByTestId('composer').fill('Found it?');
    await bob.getByTestId('composer').press('Enter');
    await msg(alice, 'Found it?').waitFor();
    await search.fill('');
  });

  it('devices can be signed out, and two-step verification guards the sign-in', async () => {
    // Bob signed in from a script earlier: he sees that device and signs it out.
    await bob.goto(`${server.url}/settings`);
    const rows = bob.getByTestId('session-row');
    await expect.poll(() => rows.count()).toBe(2);
    await rows.filter({ hasText: 'e2e script' }).getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => rows.count()).toBe(1);

    // Bob turns on two-step verification: only "Turn on" is offered while it is off.
    const twoStep = bob.getByRole('region', { name: 'Two-step verification' });
    await twoStep.getByText('Two-step verification is off.').waitFor();
    expect(await twoStep.getByRole('button', { name: 'Turn off' }).count()).toBe(0);
    await twoStep.getByRole('button', { name: 'Turn on' }).click();
    await twoStep.getByLabel('Current password').fill(PASSWORD);
    await twoStep.getByRole('button', { name: 'Continue' }).click();
    const secret = (await twoStep.getByLabel('Secret key').textContent()) ?? '';
    await twoStep.getByLabel('Code').fill(totp(secret));
    await twoStep.getByRole('button', { name: 'Turn on' }).click();
    await twoStep.getByText('Two-step verification is on.').waitFor();
    await twoStep.getByRole('button', { name: 'Turn off' }).waitFor();
    expect(await twoStep.getByRole('button', { name: 'Turn on' }).count()).toBe(0);

    // Signing in again now takes a code (the next one: each code works once).
    await bob.getByTestId('logout').click();
    await bob.getByRole('heading', { name: 'Sign in' }).waitFor();
    await bob.getByLabel('Username').fill('bob');
    await bob.getByLabel('Password').fill(PASSWORD);
    await bob.getByRole('button', { name: 'Sign in' }).click();
    await bob.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await bob.getByLabel('Code').fill('000000');
    await bob.getByRole('button', { name: 'Verify' }).click();
    await bob.getByRole('alert').filter({ hasText: 'code is not right' }).waitFor();
    await bob.getByLabel('Code').fill(totp(secret, Date.now(), 1));
    await bob.getByRole('button', { name: 'Verify' }).click();
    await bob.getByRole('heading', { name: 'Chats' }).waitFor();

    // A fresh settings page knows it is on: only "Turn off" is offered.
    await bob.goto(`${server.url}/settings`);
    await twoStep.getByText('Two-step verification is on.').waitFor();
    expect(await twoStep.getByRole('button', { name: 'Turn on' }).count()).toBe(0);
    expect(await twoStep.getByRole('button', { name: 'Turn off' }).count()).toBe(1);
  });

  it('a channel: only admins post, the list filters by kind', async () => {
    await alice.getByRole('button', { name: 'New chat' }).click();
    await alice.getByRole('tab', { name: 'Channel' }).click();
    await alice.getByTestId('chat-name').fill('News');
    await alice.getByTestId('user-picker').fill('bo');
    await alice.getByRole('dialog').getByRole('button', { name: /bob/ }).first().click();
    await alice.getByTestId('create-chat').click();
    await alice.getByTestId('chat-title').filter({ hasText: 'News' }).waitFor();
    await alice.getByTestId('composer').fill('First post');
    await alice.getByTestId('composer').press('Enter');
    await bob.getByTestId('chat-row').filter({ hasText: 'News' }).click();
    await msg(bob, 'First post').waitFor();
    await bob.getByText('Only admins post in this channel.').waitFor();
    await bob.getByRole('button', { name: 'Channels', exact: true }).click();
    await expect.poll(() => bob.getByTestId('chat-row').count()).toBe(1);
    await bob.getByRole('button', { name: 'All', exact: true }).click();
    await expect.poll(() => bob.getByTestId('chat-row').count()).toBe(3);
  });

  it('works at 360 px wide', async () => {
    await alice.setViewportSize(MOBILE);
    await alice.goto(`${server.url}/`);
    await alice.getByTestId('chat-row').first().waitFor();
    await shot(alice, 'chat-list-mobile');
    await alice.goto(directUrl);
    await alice.getByTestId('message').first().waitFor();
    expect(await alice.locator('.sidebar').isVisible()).toBe(false);
    await shot(alice, 'chat-view-mobile');
    await alice.emulateMedia({ colorScheme: 'dark' });
    await shot(alice, 'chat-view-dark-mobile');
    await alice.emulateMedia({ colorScheme: 'light' });
    await alice.goto(groupUrl);
    await alice.getByTestId('members-button').click();
    await alice.getByTestId('member-row').first().waitFor();
    await shot(alice, 'members-mobile');
    // No horizontal scrolling on a phone.
    expect(await alice.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await alice.getByRole('button', { name: 'Close' }).click();
    await alice.getByRole('button', { name: 'Back' }).click();
    await alice.getByTestId('chat-row').first().waitFor();
  });

  it('logged no errors in the browsers', () => {
    expect(consoleErrors).toEqual([]);
  });
});
