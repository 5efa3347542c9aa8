/**
 * Opening a chat with many unread messages lands on the first unread one under a
 * "New messages" line (the page around it is loaded, not the latest), and a round button
 * with the unread count leads to the bottom.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDir, launch } from './browser';
import { HybridServer, RESULTS } from './server';
import { api, apiLogin, apiRegister, ConsoleErrors, failShot, msg, newContext, registerUi, sendApi, shot, type ApiUser } from './chatHelpers';

let server: HybridServer;
let browser: Browser;
let alice: Page;
let bob: ApiUser;
let chatId = 0;
const errors = new ConsoleErrors();

/** Whether the message with this seq is inside the visible part of the history. */
function inView(page: Page, seq: number) {
  return page.locator(`[data-testid="message"][data-seq="${seq}"]`).evaluate((el) => {
    const box = document.querySelector('[data-testid="messages"]')?.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return Boolean(box && r.bottom > box.top && r.top < box.bottom);
  });
}

describe('unread messages', () => {
  beforeAll(async () => {
    ensureDir(RESULTS);
    server = new HybridServer();
    await server.start();
    browser = await launch();
    alice = errors.watch(await (await newContext(browser)).newPage(), 'alice');
    await registerUi(alice, server.url, 'alice');
    bob = await apiRegister(server, 'bob', 'Bob');
    const aliceId = (await apiLogin(server, 'alice')).id;
    const chat = await api<{ id: number }>(server, bob.token, 'POST', '/chats', { kind: 'direct', user_id: aliceId });
    chatId = chat.id;
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await failShot([alice], ctx.task.name);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('opens a chat with 120 unread at the first unread message, under a "New messages" line', async () => {
    for (let i = 1; i <= 5; i++) await sendApi(server, bob, chatId, `Old ${i}`);
    await alice.goto(`${server.url}/chat/${chatId}`);
    await msg(alice, 'Old 5').waitFor();
    // Read: the list's badge goes.
    await expect.poll(() => alice.getByTestId('unread-badge').count()).toBe(0);
    await alice.goto(`${server.url}/settings`);
    for (let i = 1; i <= 120; i++) await sendApi(server, bob, chatId, `Unread ${i}`);
    await alice.reload();
    const row = alice.getByTestId('chat-row').first();
    await expect.poll(() => row.getByTestId('unread-badge').textContent()).toBe('120');
    await row.click();
    const divider = alice.locator('.unread-divider');
    await divider.waitFor();
    expect(await divider.textContent()).toBe('New messages');
    // The line sits between the last read message and the first unread one.
    const around = await alice.evaluate(() => {
      const d = document.querySelector('.unread-divider');
      const seqOf = (el: Element | null | undefined) => el?.closest('[data-seq]')?.querySelector('.message-text')?.textContent ?? el?.querySelector?.('.message-text')?.textContent;
      let prev = d?.previousElementSibling;
      while (prev && !prev.matches('[data-testid="message"]')) prev = prev.previousElementSibling;
      let next = d?.nextElementSibling;
      while (next && !next.matches('[data-testid="message"]')) next = next.nextElementSibling;
      return [seqOf(prev), seqOf(next)];
    });
    expect(around).toEqual(['Old 5', 'Unread 1']);
    expect(await inView(alice, 6)).toBe(true); // Unread 1
    expect(await alice.locator('.unread-divider').evaluate((el) => {
      const box = document.querySelector('[data-testid="messages"]')?.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return Boolean(box && r.top >= box.top - 1 && r.bottom <= box.bottom);
    })).toBe(true);
    // The latest messages are not on screen; the round button shows how many are unread.
    expect(await msg(alice, 'Unread 120').count()).toBe(0);
    const jump = alice.getByRole('button', { name: 'Jump to the latest messages' });
    await jump.waitFor();
    await expect.poll(() => jump.getByTestId('jump-unread').textContent()).toBe('120');
    expect(await jump.getAttribute('aria-label')).toBe('Jump to the latest messages, 120 unread messages');
    await shot(alice, 'unread-divider-desktop');
  });

  it('the round button leads to the latest message and everything is read', async () => {
    await alice.getByRole('button', { name: 'Jump to the latest messages' }).click();
    await msg(alice, 'Unread 120').waitFor();
    const list = alice.getByTestId('messages');
    await expect.poll(() => list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(5);
    await alice.getByRole('button', { name: 'Jump to the latest messages' }).waitFor({ state: 'detached' });
    await expect.poll(() => alice.getByTestId('unread-badge').count()).toBe(0);
    // Scrolled up, new messages show on the button's counter.
    await list.evaluate((el) => {
      el.scrollTop = 0;
    });
    const jump = alice.getByRole('button', { name: 'Jump to the latest messages' });
    // the list has seen the scroll (its button is back) before the message arrives
    await jump.waitFor();
    await sendApi(server, bob, chatId, 'One more');
    await expect.poll(() => jump.getByTestId('jump-unread').textContent()).toBe('1');
  });

  it('logged no errors in the browser', () => {
    expect(errors.list).toEqual([]);
  });
});
