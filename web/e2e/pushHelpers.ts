/**
 * Web Push in headless Chromium, for push.e2e.ts. A real subscription needs the browser's push
 * service, which cannot be reached here, so:
 *
 * - `fakeSubscribe` replaces only `PushManager.prototype.subscribe` in the page: it answers a
 *   subscription whose JSON has a made-up endpoint and real-looking keys (a P-256 point and a
 *   16-byte secret made with node:crypto, which the server checks), and keeps the
 *   `applicationServerKey` the page passed, so the test can compare it with the server's.
 *   Everything else (permission, the service worker, the server's records) is real.
 * - `deliverPush` hands a payload to the page's service worker through the DevTools protocol
 *   (`ServiceWorker.deliverPushMessage`), as the push service would after decrypting it.
 * - `clickNotification` runs the worker's click handler on a shown notification: Chromium has
 *   no protocol command to click one, so the worker dispatches `notificationclick` itself.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { BrowserContext, CDPSession, Page, Worker } from 'playwright-core';
import { expect } from 'vitest';

export interface FakeSubscription {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** A subscription as a browser would make it: an endpoint, a P-256 public key, a 16-byte secret. */
export function fakeSubscription(name: string): FakeSubscription {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  return {
    endpoint: `https://push.example.test/send/${name}-${randomBytes(6).toString('hex')}`,
    p256dh: point.toString('base64url'),
    auth: randomBytes(16).toString('base64url'),
  };
}

/** Stubs `PushManager.prototype.subscribe` in every page of the context (see above). */
export async function fakeSubscribe(ctx: BrowserContext, sub: FakeSubscription): Promise<void> {
  await ctx.addInitScript((s: FakeSubscription) => {
    PushManager.prototype.subscribe = async function (options?: PushSubscriptionOptionsInit) {
      const key = options?.applicationServerKey;
      const bytes = key instanceof ArrayBuffer ? new Uint8Array(key) : ArrayBuffer.isView(key) ? new Uint8Array(key.buffer, key.byteOffset, key.byteLength) : new Uint8Array();
      (window as unknown as { subscribedWith: string }).subscribedWith = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      return {
        endpoint: s.endpoint,
        expirationTime: null,
        options: { applicationServerKey: bytes.buffer, userVisibleOnly: true },
        getKey: () => null,
        toJSON: () => ({ endpoint: s.endpoint, expirationTime: null, keys: { p256dh: s.p256dh, auth: s.auth } }),
        unsubscribe: async () => true,
      } as unknown as PushSubscription;
    };
  }, sub);
}

/** The DevTools session that delivers pushes, and the id of the page's worker registration. */
export async function pushChannel(ctx: BrowserContext, page: Page, origin: string): Promise<{ cdp: CDPSession; registrationId: () => string | undefined }> {
  const cdp = await ctx.newCDPSession(page);
  const scope = `${origin}/`;
  let id: string | undefined;
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
    for (const r of e.registrations) if (r.scopeURL === scope) id = r.isDeleted ? undefined : r.registrationId;
  });
  await cdp.send('ServiceWorker.enable');
  return { cdp, registrationId: () => id };
}

export async function deliverPush(channel: { cdp: CDPSession; registrationId: () => string | undefined }, origin: string, payload: unknown): Promise<void> {
  await expect.poll(channel.registrationId, { message: 'the page registered its service worker' }).toBeTruthy();
  await channel.cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: channel.registrationId() as string, data: JSON.stringify(payload) });
}

export interface Shown {
  title: string;
  body: string;
  tag: string;
  data: { url?: string; id?: number; chat_id?: number };
}

/** The notifications the page's worker shows now. */
export function shownNotifications(page: Page): Promise<Shown[]> {
  return page.evaluate(async () =>
    (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as Shown['data'] })),
  );
}

/** Closes every shown notification (between steps). */
export async function closeNotifications(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (const n of await (await navigator.serviceWorker.ready).getNotifications()) n.close();
  });
}

/** The context's service worker (Chromium shows it to playwright once it runs). */
export async function serviceWorker(ctx: BrowserContext): Promise<Worker> {
  return ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker'));
}

/** Runs the worker's click handler on the shown notification tagged `tag`. */
export async function clickNotification(ctx: BrowserContext, tag: string): Promise<void> {
  const sw = await serviceWorker(ctx);
  const clicked = await sw.evaluate(async (t) => {
    // The worker's globals (lib.dom.d.ts has no ServiceWorkerGlobalScope).
    const scope = self as unknown as {
      registration: ServiceWorkerRegistration;
      NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
    } & EventTarget;
    const [n] = await scope.registration.getNotifications({ tag: t });
    if (!n) return false;
    scope.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification: n }));
    return true;
  }, tag);
  expect(clicked, `a notification tagged ${tag} is shown`).toBe(true);
}

/** What the page gave its worker to word pushes with (public/sw.js keeps it in the Cache API). */
export function workerConfig(page: Page): Promise<{ lines?: Record<string, [string, string]>; names?: Record<string, string> } | null> {
  return page.evaluate(async () => {
    const hit = await (await caches.open('hybrid-sw')).match('/__hybrid/sw-config');
    return hit ? hit.json() : null;
  });
}
