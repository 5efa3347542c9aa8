/**
 * Notifications against a real server running the notify service (part of `--services all`):
 * the bell and its count, live; the list newest first, an entry opening its chat at the
 * message and reading the list up to it, "Mark all read"; entries that go when their message
 * is deleted and are read from another device; paging; the badge after a missed frame (notify's
 * part of /sync); a chat's level and mute from its header, shown in the chat list and kept
 * across a reload; the defaults and quiet hours in Settings. Then a server without notify: no
 * bell, no menu, no settings. Screenshots: notifications-*.png, chat-notify-menu.png,
 * settings-notifications-*.png.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from './browser';
import { DESKTOP, PHONE, Suite, expectNoOverflow, message, signIn, type Person } from './helpers';
import { RESULTS } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));

interface Entry {
  id: number;
  kind: string;
  chat_id: number;
  seq?: number | null;
  preview: string;
  read_at?: number | null;
}
interface List {
  items: Entry[];
  unread_count: number;
  next_cursor?: string | null;
}

const badge = (page: Page) => page.getByTestId('notifications-badge');
const rows = (page: Page) => page.getByTestId('notification');
/** The chat list's row whose title is exactly `title`. */
const chatRow = (page: Page, title: string) => page.getByTestId('chat-row').filter({ has: page.locator('.chat-row-name', { hasText: new RegExp(`^${title}$`) }) });

/** Waits until the bell shows `n` (no count at 0). */
async function badgeIs(page: Page, n: number): Promise<void> {
  // allTextContents does not wait for the badge, which goes at 0.
  await expect.poll(async () => Number((await badge(page).allTextContents())[0] ?? 0), { timeout: 15_000 }).toBe(n);
}

describe('notifications', () => {
  const suite = new Suite('notifications');
  let anna: Person;
  let boris: Person;
  let group = 0;
  let direct = 0;
  const list = (who: Person, query = 'limit=100') => suite.seed.call<List>('GET', `/notifications?${query}`, who.token);

  beforeAll(async () => {
    anna = await suite.seed.person('anna', 'Anna');
    boris = await suite.seed.person('boris', 'Boris');
    // Boris adds Anna to his group: her first entry (added_to_chat).
    group = await suite.seed.group(boris, 'Book club', [anna]);
    direct = await suite.seed.direct(boris, anna);
  });

  it('the bell counts live; the list is newest first; an entry opens its chat at the message and reads up to it', async () => {
    const mention = await suite.seed.send(boris, group, 'Welcome @anna to the club');
    // Sixty more: the mention is no longer on the chat's latest page.
    for (let i = 1; i <= 60; i++) await suite.seed.send(boris, group, `chatter ${i}`);
    const page = await suite.page({ viewport: DESKTOP }, 'anna');
    await badgeIs(page, 2);
    // A direct message arrives while the page is open: the count goes up live.
    await suite.seed.send(boris, direct, 'Are you coming on Friday?');
    await badgeIs(page, 3);
    expect(await page.title()).toContain('🔔3');

    await page.getByTestId('notifications-bell').click();
    await page.waitForURL(/\/notifications$/);
    await expect.poll(() => rows(page).count()).toBe(3);
    const kinds = await rows(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(['direct_message', 'mention', 'added_to_chat']);
    expect(await rows(page).nth(0).textContent()).toContain('Are you coming on Friday?');
    expect(await rows(page).nth(1).textContent()).toContain('Mentioned you: Welcome @anna to the club');
    expect(await rows(page).nth(1).locator('.notify-chat').textContent()).toBe('Book club');
    expect(await rows(page).nth(2).textContent()).toContain('Added you to the chat');
    expect(await page.locator('[data-testid="notification"][data-unread]').count()).toBe(3);
    await page.screenshot({ path: join(SHOTS, 'notifications-desktop.png') });

    // The mention: its chat, at the message (far back), and read up to it (the older entry too).
    await rows(page).nth(1).click();
    await page.waitForURL(new RegExp(`/chat/${group}$`));
    const target = message(page, 'Welcome @anna to the club');
    await target.waitFor();
    await expect.poll(() => target.evaluate((el) => el.classList.contains('flash'))).toBe(true);
    await badgeIs(page, 1);
    const after = await list(anna);
    expect(after.unread_count).toBe(1);
    expect(after.items.filter((n) => !n.read_at).map((n) => n.kind)).toEqual(['direct_message']);
    expect(after.items.find((n) => n.kind === 'mention')?.seq).toBe(mention);

    await page.getByTestId('notifications-bell').click();
    await expect.poll(() => page.locator('[data-testid="notification"][data-unread]').count()).toBe(1);
    await page.getByTestId('mark-all-read').click();
    await badgeIs(page, 0);
    await expect.poll(() => page.locator('[data-testid="notification"][data-unread]').count()).toBe(0);
    expect((await list(anna)).unread_count).toBe(0);
    expect(await page.title()).not.toContain('🔔');
    expect(suite.errors()).toEqual([]);
  });

  it('live: a deleted message takes its entry away, a reaction comes in, and a read on another device reads it here', async () => {
    const page = await suite.page({ viewport: DESKTOP }, 'anna');
    await suite.visit(page, '/notifications', '[data-testid="notification"]');
    const before = await rows(page).count();
    const seq = await suite.seed.send(boris, group, 'Quick question @anna');
    await expect.poll(() => rows(page).count()).toBe(before + 1);
    expect(await rows(page).first().textContent()).toContain('Quick question @anna');
    await badgeIs(page, 1);
    await suite.seed.call('DELETE', `/chats/${group}/messages/${seq}`, boris.token);
    await expect.poll(() => rows(page).count()).toBe(before);
    await badgeIs(page, 0);

    const mine = await suite.seed.send(anna, group, 'I will bring the tea');
    await suite.seed.call('PUT', `/chats/${group}/messages/${mine}/reactions/${encodeURIComponent('👍')}`, boris.token);
    await expect.poll(() => rows(page).first().getAttribute('data-kind')).toBe('reaction');
    expect(await rows(page).first().textContent()).toContain('Reacted 👍 to your message');
    await badgeIs(page, 1);
    // Anna's phone (the seed's session) reads everything.
    await suite.seed.call('POST', '/notifications/read', anna.token, {});
    await badgeIs(page, 0);
    await expect.poll(() => page.locator('[data-testid="notification"][data-unread]').count()).toBe(0);
    expect(suite.errors()).toEqual([]);
  });

  it('pages: "Load more" brings the older entries, newest first throughout', async () => {
    const before = (await list(anna)).items.length;
    for (let i = 1; i <= 32; i++) await suite.seed.send(boris, direct, `note ${i}`);
    // notify follows the chats' events on its own: wait until it has them all.
    await expect.poll(async () => (await list(anna)).items.length).toBe(before + 32);
    const all = await list(anna);
    const page = await suite.page({ viewport: DESKTOP }, 'anna');
    await suite.visit(page, '/notifications', '[data-testid="notification"]');
    await expect.poll(() => rows(page).count()).toBe(30);
    await page.getByTestId('notifications-more').click();
    await expect.poll(() => rows(page).count()).toBe(all.items.length);
    expect(await page.getByTestId('notifications-more').count()).toBe(0);
    const ids = await rows(page).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
    expect(ids).toEqual(all.items.map((n) => n.id));
    await suite.seed.call('POST', '/notifications/read', anna.token, {});
  });

  it('a frame missed while the socket was deaf: after the reconnect, /sync sets the badge', async () => {
    const page = await suite.page({ viewport: DESKTOP });
    // The page's socket goes through this relay, which can stop passing the server's frames
    // and then drop the connection (the client reconnects and syncs).
    let deaf = false;
    const relays: { close: () => Promise<void> }[] = [];
    await page.routeWebSocket(/\/api\/v1\/realtime/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        if (!deaf) ws.send(m);
      });
      ws.onClose(() => server.close());
      server.onClose((code, reason) => ws.close({ code, reason }));
      relays.push({ close: () => ws.close({ code: 1001, reason: 'relay restart' }) });
    });
    const syncs: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/sync')) syncs.push(r.url());
    });
    await signIn(page, suite.server, 'anna');
    await page.getByTestId('notifications-bell').waitFor();
    await expect.poll(() => syncs.length).toBeGreaterThan(0);
    await badgeIs(page, 0);

    deaf = true;
    await suite.seed.send(boris, group, 'Are you there @anna?');
    // The entry is made, but its frame went nowhere.
    await expect.poll(async () => (await list(anna)).unread_count).toBe(1);
    expect(await badge(page).count()).toBe(0);
    deaf = false;
    const before = syncs.length;
    await relays.at(-1)?.close();
    await badgeIs(page, 1);
    expect(syncs.length).toBeGreaterThan(before);
    await suite.seed.call('POST', '/notifications/read', anna.token, {});
    await badgeIs(page, 0);
  });

  it('a chat’s level and mute from its header: the chat list shows it muted, also after a reload', async () => {
    const setting = () => suite.seed.call<{ level?: string | null; muted_until?: number | null }>('GET', `/notifications/chats/${group}`, anna.token);
    const page = await suite.page({ viewport: DESKTOP }, 'anna');
    await suite.openChat(page, group);
    const button = page.getByTestId('chat-notify-button');
    const menu = page.getByTestId('chat-notify-menu');
    const icon = chatRow(page, 'Book club').getByTestId('muted-icon');
    expect(await icon.count()).toBe(0);

    await button.click();
    expect(await menu.getByRole('menuitemradio', { checked: true }).textContent()).toContain('All messages');
    await page.screenshot({ path: join(SHOTS, 'chat-notify-menu.png') });
    const now = Date.now();
    await menu.getByRole('menuitem', { name: 'For 1 hour' }).click();
    await icon.waitFor();
    expect(await button.getAttribute('data-muted')).toBe('true');
    const muted = await setting();
    expect(muted.muted_until).toBeGreaterThan(now + 3_590_000);
    expect(muted.muted_until).toBeLessThan(Date.now() + 3_610_000);
    expect(muted.level ?? null).toBeNull();

    // Muted: Boris's mention makes nothing (his direct message, sent after it, does).
    await suite.seed.send(boris, group, 'Hello @anna, muted?');
    await suite.seed.send(boris, direct, 'after the muted one');
    await badgeIs(page, 1);
    expect((await list(anna)).items.filter((n) => !n.read_at).map((n) => n.kind)).toEqual(['direct_message']);

    await page.reload();
    await icon.waitFor();
    await button.click();
    expect(await page.getByTestId('muted-until').textContent()).toMatch(/^Muted until /);
    await menu.getByRole('menuitem', { name: 'Unmute' }).click();
    await icon.waitFor({ state: 'detached' });
    expect((await setting()).muted_until ?? null).toBeNull();

    await button.click();
    await menu.getByRole('menuitemradio', { name: /Mentions and replies only/ }).click();
    await expect.poll(async () => (await setting()).level).toBe('mentions');
    expect(await icon.count()).toBe(0);
    await button.click();
    await menu.getByRole('menuitemradio', { name: /^Nothing/ }).click();
    await icon.waitFor();
    expect((await setting()).level).toBe('none');
    await page.reload();
    await icon.waitFor();
    await button.click();
    expect(await menu.getByRole('menuitemradio', { checked: true }).textContent()).toContain('Nothing');
    await menu.getByRole('menuitemradio', { name: /All messages/ }).click();
    await icon.waitFor({ state: 'detached' });
    expect((await setting()).level).toBe('all');
    await suite.seed.call('POST', '/notifications/read', anna.token, {});
    expect(suite.errors()).toEqual([]);
  });

  it('Settings: the default per kind of chat, and quiet hours in the browser’s time zone', async () => {
    const settings = () => suite.seed.call<{ quiet_hours?: { from: string; to: string; time_zone: string } | null; defaults?: Record<string, string> }>('GET', '/notifications/settings', anna.token);
    const page = await suite.page({ viewport: DESKTOP, timezoneId: 'Asia/Yekaterinburg' }, 'anna');
    await suite.visit(page, '/settings', '[data-testid="notify-settings"]');
    await page.getByTestId('default-channel').selectOption('none');
    await expect.poll(async () => (await settings()).defaults?.channel).toBe('none');
    await page.getByTestId('quiet-on').check();
    expect(await page.getByTestId('quiet-zone').inputValue()).toBe('Asia/Yekaterinburg');
    await page.getByTestId('quiet-from').fill('23:30');
    await page.getByTestId('quiet-to').fill('06:45');
    await page.getByTestId('quiet-save').click();
    await expect.poll(async () => (await settings()).quiet_hours).toEqual({ from: '23:30', to: '06:45', time_zone: 'Asia/Yekaterinburg' });
    // Saving quiet hours kept the default.
    expect((await settings()).defaults?.channel).toBe('none');
    await page.reload();
    await expect.poll(() => page.getByTestId('quiet-on').isChecked()).toBe(true);
    expect(await page.getByTestId('quiet-from').inputValue()).toBe('23:30');
    expect(await page.getByTestId('default-channel').inputValue()).toBe('none');
    await page.getByTestId('notify-settings').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'settings-notifications-desktop.png') });
    await page.getByTestId('quiet-on').uncheck();
    await page.getByTestId('quiet-save').click();
    await expect.poll(async () => (await settings()).quiet_hours ?? null).toBeNull();
    await page.getByTestId('default-channel').selectOption('all');
    await expect.poll(async () => (await settings()).defaults?.channel).toBe('all');
  });

  it('in Russian at 360 px: the list and the settings fit', async () => {
    // The pages of the tests before go: one still showing the group would read the mention
    // at once (reading a chat reads its entries).
    for (const o of suite.opened) await o.page.close();
    await suite.seed.send(boris, group, 'Привет, @anna! Придёшь в пятницу обсуждать «Левую руку тьмы»?');
    const page = await suite.page({ viewport: PHONE, locale: 'ru-RU', colorScheme: 'dark' }, 'anna');
    await page.getByTestId('notifications-bell').click();
    await rows(page).first().waitFor();
    expect(await rows(page).first().textContent()).toContain('Вас упомянули: Привет, @anna!');
    expect(await page.getByTestId('notifications-bell').getAttribute('aria-label')).toBe('Уведомления: 1 непрочитанное');
    await expectNoOverflow(page, 'notifications, ru, 360 px');
    await page.screenshot({ path: join(SHOTS, 'notifications-phone-ru-dark.png') });
    await suite.visit(page, '/settings', '[data-testid="notify-settings"]');
    await page.getByTestId('notify-settings').scrollIntoViewIfNeeded();
    await expectNoOverflow(page, 'settings, ru, 360 px');
    await page.screenshot({ path: join(SHOTS, 'settings-notifications-phone-ru.png') });
    await suite.openChat(page, group);
    await page.getByTestId('chat-notify-button').click();
    await page.getByTestId('chat-notify-menu').getByRole('menuitem', { name: 'На 8 часов' }).waitFor();
    await expectNoOverflow(page, 'chat menu, ru, 360 px');
    expect(suite.errors()).toEqual([]);
  });
});

describe('without the notify service', () => {
  const suite = new Suite('notify-off', { env: { HYBRID_SERVICES: 'auth,users,chats,realtime,files' } });

  it('shows no bell, no per-chat menu, no notification settings and no prompt', async () => {
    const anna = await suite.seed.person('anna', 'Anna');
    const boris = await suite.seed.person('boris', 'Boris');
    const chat = await suite.seed.direct(boris, anna);
    await suite.seed.send(boris, chat, 'hello');
    const page = await suite.page({ viewport: DESKTOP });
    const asked = page.waitForResponse((r) => r.url().includes('/api/v1/notifications'));
    await signIn(page, suite.server, 'anna');
    expect((await asked).status()).toBe(404);
    await suite.openChat(page, chat);
    await page.getByTestId('members-button').waitFor();
    expect(await page.getByTestId('notifications-bell').count()).toBe(0);
    expect(await page.getByTestId('chat-notify-button').count()).toBe(0);
    await page.getByTestId('composer').fill('hi there');
    await page.getByTestId('composer').press('Enter');
    await message(page, 'hi there').waitFor();
    expect(await page.getByTestId('push-prompt').count()).toBe(0);
    await suite.visit(page, '/settings', '.session-row');
    expect(await page.getByTestId('notify-settings').count()).toBe(0);
    expect(await page.getByTestId('quiet-hours').count()).toBe(0);
    expect(suite.errors()).toEqual([]);
  });
});
