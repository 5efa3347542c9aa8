/**
 * Web Push in the browser against a real server running notify (part of `--services all`):
 * the service worker is served from the site root as JavaScript; Settings turn push on and off
 * for this browser (the server's records checked through the API); a push shows a notification
 * worded in the UI language, grouped per chat, and a click on it opens the chat at the message
 * and reads the entry; the offer to turn push on comes after a message is sent, not on load,
 * and "Not now" is remembered; a browser without the Push API, or with notifications blocked,
 * is told why. What cannot run here (the browser's push service) is replaced as pushHelpers.ts
 * says. Screenshot: push-settings.png.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from './browser';
import { DESKTOP, Suite, message, signIn, type Person } from './helpers';
import {
  clickNotification,
  closeNotifications,
  deliverPush,
  fakeSubscribe,
  fakeSubscription,
  pushChannel,
  shownNotifications,
  workerConfig,
} from './pushHelpers';
import { RESULTS } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));

interface Browser {
  id: number;
  endpoint: string;
  hide_content: boolean;
}
interface Entry {
  id: number;
  kind: string;
  chat_id: number;
  seq?: number | null;
  actor_id: number;
  chat_title: string;
  preview: string;
  read_at?: number | null;
}

describe('Web Push', () => {
  const suite = new Suite('push');
  let anna: Person;
  let boris: Person;
  let group = 0;
  let direct = 0;
  const browsers = (who: Person) => suite.seed.call<Browser[]>('GET', '/notifications/push/subscriptions', who.token);
  const entries = async (who: Person) => (await suite.seed.call<{ items: Entry[] }>('GET', '/notifications?limit=100', who.token)).items;

  /** A signed-in page whose context may show notifications (and subscribes through the stub). */
  async function granted(who: string, sub = fakeSubscription(who)): Promise<{ page: Page; ctx: BrowserContext }> {
    const page = await suite.page({ viewport: DESKTOP });
    const ctx = page.context();
    await ctx.grantPermissions(['notifications'], { origin: suite.server.url });
    await fakeSubscribe(ctx, sub);
    await signIn(page, suite.server, who);
    return { page, ctx };
  }

  beforeAll(async () => {
    anna = await suite.seed.person('anna', 'Anna');
    boris = await suite.seed.person('boris', 'Boris');
    group = await suite.seed.group(boris, 'Book club', [anna]);
    direct = await suite.seed.direct(boris, anna);
    await suite.seed.send(boris, direct, 'hello Anna');
  });

  it('serves the service worker from the site root as JavaScript, revalidated, not the app’s page', async () => {
    for (const encoding of ['identity', 'br, gzip']) {
      const res = await fetch(`${suite.server.url}/sw.js`, { headers: { 'accept-encoding': encoding } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const body = await res.text();
      expect(body).toContain("addEventListener('notificationclick'");
      expect(body).not.toContain('<!doctype html>');
    }
  });

  it('Settings turn push on and off for this browser; the server keeps it with "hide message text" as chosen', async () => {
    const sub = fakeSubscription('settings');
    const { page } = await granted('anna', sub);
    await suite.visit(page, '/settings', '[data-testid="push-here"]');
    const on = page.getByTestId('push-switch');
    await expect.poll(() => on.isEnabled()).toBe(true);
    expect(await on.isChecked()).toBe(false);
    // Controlled inputs: they follow the server once it has answered, so click and wait.
    await page.getByTestId('push-hide').click();
    await on.click();
    await expect.poll(async () => (await browsers(anna)).map((b) => [b.endpoint, b.hide_content])).toEqual([[sub.endpoint, true]]);
    // The page subscribed with the server's VAPID key.
    const { public_key } = await suite.seed.call<{ public_key: string }>('GET', '/notifications/push/key', anna.token);
    expect(await page.evaluate(() => (window as unknown as { subscribedWith?: string }).subscribedWith)).toBe(public_key);
    await expect.poll(() => on.isChecked()).toBe(true);
    const row = page.getByTestId('push-browser');
    await expect.poll(() => row.textContent()).toContain('this browser');
    await page.getByTestId('notify-settings').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'push-settings.png') });

    // Showing the text again updates the same record.
    await page.getByTestId('push-hide').click();
    await expect.poll(async () => (await browsers(anna)).map((b) => [b.endpoint, b.hide_content])).toEqual([[sub.endpoint, false]]);
    // Off: the server forgets this browser.
    await on.click();
    await expect.poll(async () => (await browsers(anna)).length).toBe(0);
    await expect.poll(() => page.getByTestId('push-browser').count()).toBe(0);
    expect(await on.isChecked()).toBe(false);

    // A browser subscribed elsewhere is listed, and removed from here.
    const other = fakeSubscription('phone');
    await suite.seed.call('POST', '/notifications/push/subscriptions', anna.token, { endpoint: other.endpoint, keys: { p256dh: other.p256dh, auth: other.auth } });
    await page.reload();
    await row.waitFor();
    expect(await row.textContent()).not.toContain('this browser');
    await row.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(async () => (await browsers(anna)).length).toBe(0);
    expect(suite.errors()).toEqual([]);
  });

  it('a push shows a notification in the UI language, one per chat; a click opens the chat at the message and reads it', async () => {
    const { page, ctx } = await granted('anna');
    const channel = await pushChannel(ctx, page, suite.server.url);
    // The page registered its worker (notifications are allowed) and gave it its words and names.
    await expect.poll(async () => (await workerConfig(page))?.names?.[String(boris.id)], { timeout: 10_000 }).toBe('Boris');
    expect((await workerConfig(page))?.lines?.mention).toEqual(['Mentioned you: {preview}', 'Mentioned you']);

    const seq = await suite.seed.send(boris, group, 'See you at noon, @anna');
    for (let i = 1; i <= 60; i++) await suite.seed.send(boris, group, `more ${i}`);
    await expect.poll(async () => (await entries(anna)).some((n) => n.kind === 'mention' && n.seq === seq)).toBe(true);
    const mention = (await entries(anna)).find((n) => n.kind === 'mention' && n.seq === seq) as Entry;
    // What the server pushes (docs/notifications.md): the entry without its times.
    const payload = (n: Entry, preview = true) => ({
      id: n.id,
      kind: n.kind,
      chat_id: n.chat_id,
      ...(n.seq ? { seq: n.seq } : {}),
      actor_id: n.actor_id,
      chat_title: n.chat_title,
      ...(preview ? { preview: n.preview } : {}),
    });
    await deliverPush(channel, suite.server.url, payload(mention));
    await expect.poll(() => shownNotifications(page)).toEqual([
      {
        title: 'Book club',
        body: 'Boris: Mentioned you: See you at noon, @anna',
        tag: `chat-${group}`,
        data: { ...payload(mention), url: `/chat/${group}?seq=${seq}` },
      },
    ]);
    // A direct message from a browser that hides message text: his name, no text.
    const dm = (await entries(anna)).find((n) => n.kind === 'direct_message') as Entry;
    await deliverPush(channel, suite.server.url, payload(dm, false));
    await expect.poll(async () => (await shownNotifications(page)).find((n) => n.tag === `chat-${direct}`)).toMatchObject({ title: 'Boris', body: 'New message' });
    // A second push of the same chat takes the first one's place.
    await deliverPush(channel, suite.server.url, payload(dm));
    await expect.poll(async () => (await shownNotifications(page)).filter((n) => n.tag === `chat-${direct}`).map((n) => n.body)).toEqual(['hello Anna']);

    // The click: the open tab goes to the chat at the message, and the entry is read.
    await suite.visit(page, '/settings', '.profile-head');
    await clickNotification(ctx, `chat-${group}`);
    await page.waitForURL(new RegExp(`/chat/${group}$`));
    const target = message(page, 'See you at noon, @anna');
    await target.waitFor();
    await expect.poll(() => target.evaluate((el) => el.classList.contains('flash'))).toBe(true);
    await expect.poll(async () => (await entries(anna)).find((n) => n.id === mention.id)?.read_at).toBeTruthy();
    await expect.poll(async () => (await shownNotifications(page)).map((n) => n.tag)).toEqual([`chat-${direct}`]);

    // In Russian, once the page speaks it.
    await closeNotifications(page);
    await suite.visit(page, '/settings', '.profile-head');
    await page.getByRole('combobox', { name: 'Language' }).selectOption('ru');
    await expect.poll(async () => (await workerConfig(page))?.lines?.mention?.[1]).toBe('Вас упомянули');
    await deliverPush(channel, suite.server.url, payload(mention, false));
    await expect.poll(() => shownNotifications(page)).toMatchObject([{ title: 'Book club', body: 'Boris: Вас упомянули' }]);
    await closeNotifications(page);
    expect(suite.errors()).toEqual([]);
  });

  it('offers push after a message is sent, not on load; "Not now" is remembered; "Turn on" subscribes', async () => {
    const page = await suite.page({ viewport: DESKTOP }, 'boris');
    expect(await page.evaluate(() => Notification.permission)).toBe('default');
    await suite.openChat(page, direct);
    const prompt = page.getByTestId('push-prompt');
    expect(await prompt.count()).toBe(0);
    await page.getByTestId('composer').fill('first words');
    await page.getByTestId('composer').press('Enter');
    await prompt.waitFor();
    expect(await prompt.textContent()).toContain('Get notified when the tab is closed?');
    await prompt.getByRole('button', { name: 'Not now' }).click();
    await prompt.waitFor({ state: 'detached' });
    await page.reload();
    await message(page, 'first words').waitFor();
    await page.getByTestId('composer').fill('second words');
    await page.getByTestId('composer').press('Enter');
    await message(page, 'second words').waitFor();
    expect(await prompt.count()).toBe(0);

    // Someone else, on opening the notifications: "Turn on" asks the browser, then subscribes.
    const sub = fakeSubscription('prompt');
    const other = await suite.page({ viewport: DESKTOP });
    await fakeSubscribe(other.context(), sub);
    await signIn(other, suite.server, 'anna');
    expect(await other.getByTestId('push-prompt').count()).toBe(0);
    await other.getByTestId('notifications-bell').click();
    const offer = other.getByTestId('push-prompt');
    await offer.waitFor();
    // The person allows it when the browser asks.
    await other.context().grantPermissions(['notifications'], { origin: suite.server.url });
    await offer.getByRole('button', { name: 'Turn on' }).click();
    await offer.waitFor({ state: 'detached' });
    await expect.poll(async () => (await browsers(anna)).map((b) => b.endpoint)).toContain(sub.endpoint);
    expect(suite.errors()).toEqual([]);
  });

  it('says why push cannot be turned on: no Push API, or notifications blocked for the site', async () => {
    const page = await suite.page({ viewport: DESKTOP });
    await page.context().addInitScript(() => {
      delete (window as { PushManager?: unknown }).PushManager;
    });
    await signIn(page, suite.server, 'anna');
    await suite.visit(page, '/settings', '[data-testid="push-here"]');
    expect(await page.getByTestId('push-unavailable').textContent()).toContain('This browser cannot receive push notifications.');
    expect(await page.getByTestId('push-switch').isDisabled()).toBe(true);

    const blocked = await suite.page({ viewport: DESKTOP, locale: 'ru-RU' }, 'anna');
    // Blocked for this site, as the browser's site settings would (the context's own id).
    const pageCdp = await blocked.context().newCDPSession(blocked);
    const { targetInfo } = await pageCdp.send('Target.getTargetInfo');
    const browserCdp = await suite.browser.newBrowserCDPSession();
    await browserCdp.send('Browser.setPermission', {
      permission: { name: 'notifications' },
      setting: 'denied',
      origin: suite.server.url,
      browserContextId: targetInfo.browserContextId,
    });
    await suite.visit(blocked, '/settings', '[data-testid="push-here"]');
    expect(await blocked.evaluate(() => Notification.permission)).toBe('denied');
    expect(await blocked.getByTestId('push-unavailable').textContent()).toContain('Уведомления для этого сайта запрещены.');
    expect(await blocked.getByTestId('push-switch').isDisabled()).toBe(true);
    expect(suite.errors()).toEqual([]);
  });
});
