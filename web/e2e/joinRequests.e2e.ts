/**
 * Invite links that need an admin's approval, against a real server. Anna (the owner) makes a
 * named link with approval in the chat panel (the usage limit goes off with it). Bob opens
 * /join/<code>, asks to join and sees that his request waits (still after a reload). Anna,
 * whose chat is open all along, sees the count on the panel button and Bob in "Join
 * requests"; Carol asks too (over the API): the count goes up live. Anna approves Bob: his
 * join page offers the chat at once, which he opens; he is in the members list and the count
 * goes down. Anna declines Carol: Carol's page says so and lets her ask again; no request is
 * left, the count and the section go away. Anna edits the link (name, approval off, a limit)
 * and pins a message, which shows as "Anna pinned a message". Screenshots: join-requests-*.png.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { shot } from './chatHelpers';
import { DESKTOP, PHONE, Suite, expectNoOverflow, message, type Person } from './helpers';

describe('join requests', () => {
  const suite = new Suite('join-requests');
  let anna: Person;
  let bob: Person;
  let carol: Person;
  let chatId = 0;
  let annaPage: Page;
  let bobPage: Page;
  let link = '';

  beforeAll(async () => {
    anna = await suite.seed.person('anna', 'Anna');
    bob = await suite.seed.person('bob', 'Bob');
    carol = await suite.seed.person('carol', 'Carol');
    chatId = await suite.seed.group(anna, 'Book club', []);
    await suite.seed.send(anna, chatId, 'Welcome to the club');
    annaPage = await suite.page({ viewport: DESKTOP, permissions: ['clipboard-read', 'clipboard-write'] }, 'anna');
  });

  const badge = () => annaPage.getByTestId('members-button').getByTestId('join-requests-badge');
  const requests = () => annaPage.getByTestId('join-request');
  const isMember = async (who: Person) => {
    const members = await suite.seed.call<{ user_id: number }[]>('GET', `/chats/${chatId}/members`, anna.token);
    return members.some((m) => m.user_id === who.id);
  };

  it('the owner makes a named link that needs approval', async () => {
    await suite.openChat(annaPage, chatId);
    await annaPage.getByTestId('members-button').click();
    await annaPage.getByTestId('create-invite').click();
    const form = annaPage.getByRole('form', { name: 'New invite link' });
    await form.getByLabel('Name (optional)').fill('Website');
    await form.getByLabel('Usage limit (optional)').fill('5');
    await form.getByRole('switch', { name: /Requires admin approval/ }).check();
    expect(await form.getByLabel('Usage limit (optional)').isDisabled()).toBe(true);
    await shot(annaPage, 'join-requests-form-desktop');
    await form.getByRole('button', { name: 'Create link' }).click();
    const row = annaPage.getByTestId('invite-row').first();
    await row.getByTestId('invite-approval').waitFor();
    expect(await row.getByTestId('invite-name').textContent()).toBe('Website');
    link = await row.getByTestId('invite-url').inputValue();
    expect(link).toMatch(/\/join\/.+/);
    const links = await suite.seed.call<{ code: string; name: string; needs_approval: boolean; usage_limit?: number | null }[]>('GET', `/chats/${chatId}/invites`, anna.token);
    expect(links.map((l) => [l.name, l.needs_approval, l.usage_limit ?? null])).toEqual([['Website', true, null]]);
    // Nobody waits yet: no count, no section.
    expect(await badge().count()).toBe(0);
    expect(await annaPage.getByTestId('join-requests').count()).toBe(0);
  });

  it('Bob asks to join and waits; Anna sees him (and Carol) live', async () => {
    const page = (bobPage = await suite.page({ viewport: DESKTOP }, 'bob'));
    await page.goto(link);
    await page.getByTestId('join-title').filter({ hasText: 'Book club' }).waitFor();
    const ask = page.getByTestId('join-button');
    expect(await ask.textContent()).toBe('Request to join');
    await ask.click();
    const waiting = page.getByTestId('join-requested');
    await waiting.waitFor();
    expect(await waiting.textContent()).toContain('Request sent — an admin will review it');
    expect(await isMember(bob)).toBe(false);
    // Asked already: the page says so straight away.
    await page.reload();
    await waiting.waitFor();
    expect(await page.getByTestId('join-button').count()).toBe(0);

    // Anna's chat has been open all along.
    await expect.poll(() => badge().textContent(), { timeout: 10_000 }).toBe('1');
    expect(await annaPage.getByTestId('members-button').getAttribute('aria-label')).toBe('Members: 1 request to join');
    await requests().filter({ hasText: '@bob' }).waitFor();
    expect(await requests().first().textContent()).toContain('via «Website»');

    const code = decodeURIComponent(link.split('/join/')[1] ?? '');
    const res = await fetch(`${suite.server.url}/api/v1/invites/${encodeURIComponent(code)}/join`, { method: 'POST', headers: { authorization: `Bearer ${carol.token}` } });
    expect(res.status).toBe(202);
    await expect.poll(() => badge().textContent(), { timeout: 10_000 }).toBe('2');
    await expect.poll(() => requests().count()).toBe(2);
    // Oldest first.
    expect(await requests().nth(0).textContent()).toContain('@bob');
    expect(await requests().nth(1).textContent()).toContain('@carol');
    expect(await annaPage.getByTestId('join-requests-count').textContent()).toBe('2');
    await shot(annaPage, 'join-requests-panel-desktop');
    await shot(page, 'join-requests-waiting-desktop');

    // On a phone the panel, its requests and the link form fit the width.
    const phone = await suite.page({ viewport: PHONE }, 'anna');
    await suite.openChat(phone, chatId);
    await phone.getByTestId('members-button').getByTestId('join-requests-badge').waitFor();
    await phone.getByTestId('members-button').click();
    await phone.getByTestId('join-request').nth(1).waitFor();
    await phone.getByTestId('invite-edit').click();
    await expectNoOverflow(phone, 'the chat panel with join requests at 360 px');
    await shot(phone, 'join-requests-panel-phone');
  });

  it('Anna approves Bob: his page offers the chat, he is in', async () => {
    const page = bobPage;
    await annaPage.getByRole('button', { name: 'Approve Bob' }).click();
    await expect.poll(() => requests().count()).toBe(1);
    await expect.poll(() => badge().textContent(), { timeout: 10_000 }).toBe('1');
    await annaPage.getByTestId('member-row').filter({ hasText: '@bob' }).waitFor();
    expect(await isMember(bob)).toBe(true);

    // Bob's join page, open all along, now leads into the chat.
    const open = page.getByRole('link', { name: 'Open chat' });
    await open.waitFor({ timeout: 10_000 });
    await open.click();
    await page.waitForURL(/\/chat\/\d+$/);
    await message(page, 'Welcome to the club').waitFor();
    await page.getByTestId('chat-row').filter({ hasText: 'Book club' }).waitFor();
    await page.getByTestId('service-message').filter({ hasText: 'Bob joined the group via invite link' }).waitFor();
  });

  it('Anna declines Carol: Carol is told and may ask again; nothing is left waiting', async () => {
    const page = await suite.page({ viewport: DESKTOP }, 'carol');
    await page.goto(link);
    // She asked over the API: the page knows.
    await page.getByTestId('join-requested').waitFor();

    await annaPage.getByRole('button', { name: 'Decline Carol' }).click();
    await annaPage.getByTestId('join-requests').waitFor({ state: 'detached' });
    await expect.poll(() => badge().count(), { timeout: 10_000 }).toBe(0);
    expect(await annaPage.getByTestId('members-button').getAttribute('aria-label')).toBe('Members');
    expect(await isMember(carol)).toBe(false);
    expect(await suite.seed.call<{ items: unknown[] }>('GET', `/chats/${chatId}/join-requests`, anna.token)).toMatchObject({ items: [] });

    const notice = page.getByTestId('join-declined');
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.textContent()).toBe('Your request to join «Book club» was declined.');
    await page.getByTestId('join-button').filter({ hasText: 'Request to join' }).waitFor();
    await shot(page, 'join-requests-declined-desktop');
    await notice.getByRole('button', { name: 'Close' }).click();
    await notice.waitFor({ state: 'detached' });
  });

  it('Anna edits the link (name, approval off, a limit) and pins a message', async () => {
    const row = annaPage.getByTestId('invite-row').first();
    await row.getByTestId('invite-edit').click();
    const form = annaPage.getByRole('form', { name: 'Edit link' });
    expect(await form.getByLabel('Name (optional)').inputValue()).toBe('Website');
    await form.getByLabel('Name (optional)').fill('Friends');
    await form.getByRole('switch', { name: /Requires admin approval/ }).uncheck();
    await form.getByLabel('Usage limit (optional)').fill('10');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    expect(await row.getByTestId('invite-name').textContent()).toBe('Friends');
    expect(await row.getByTestId('invite-approval').count()).toBe(0);
    expect(await row.getByTestId('invite-uses').textContent()).toMatch(/up to 10 people/);
    const links = await suite.seed.call<{ name: string; needs_approval: boolean; usage_limit?: number | null }[]>('GET', `/chats/${chatId}/invites`, anna.token);
    expect(links.map((l) => [l.name, l.needs_approval, l.usage_limit ?? null])).toEqual([['Friends', false, 10]]);

    const welcome = message(annaPage, 'Welcome to the club');
    await welcome.hover();
    await welcome.getByRole('button', { name: 'Message actions' }).click();
    await annaPage.getByRole('menuitem', { name: 'Pin' }).click();
    await annaPage.getByTestId('service-message').filter({ hasText: 'Anna pinned a message' }).waitFor();
    expect(suite.errors()).toEqual([]);
  });
});
