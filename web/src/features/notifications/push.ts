/**
 * Web Push in this browser (docs/notifications.md, "Web Push"): the service worker
 * (`/sw.js`, public/sw.js), the browser's subscription with the server's VAPID key, and the
 * server's record of it. Permission is asked only from a click (`subscribeHere`).
 *
 * "This browser" is its subscription's endpoint, or the one it last handed over (kept in
 * localStorage): a browser that lost its subscription (permission taken back, data cleared)
 * can still remove the record the server keeps.
 */
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { PushBrowser } from '../../api/types';
import { Store } from '../../state/store';

/** Why push cannot be turned on here, if it cannot. */
export type PushSupport = 'ok' | 'insecure' | 'unsupported' | 'denied';

export class PushError extends Error {
  /** `dismissed`: the browser's question was closed unanswered; `failed`: no push service. */
  constructor(readonly reason: Exclude<PushSupport, 'ok'> | 'dismissed' | 'failed') {
    super(`push: ${reason}`);
    this.name = 'PushError';
  }
}

const ENDPOINT_KEY = 'hybrid.pushEndpoint';
const HIDE_KEY = 'hybrid.pushHideContent';
export const WORKER_URL = '/sw.js';

/** The registered service worker, once it is (its words are posted to it: worker.ts). */
export const worker = new Store<ServiceWorkerRegistration | null>(null);

export function pushSupport(): PushSupport {
  if (typeof window === 'undefined' || !window.isSecureContext) return 'insecure';
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return 'unsupported';
  return Notification.permission === 'denied' ? 'denied' : 'ok';
}

/** Whether notifications may be shown here already (no need to ask). */
export function permissionGranted(): boolean {
  return pushSupport() === 'ok' && Notification.permission === 'granted';
}

function remember(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage off: forgotten with the page
  }
}

function recall(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** "Hide message text" as chosen on this browser (sent with its next subscription). */
export function hideContentChoice(): boolean {
  return recall(HIDE_KEY) === '1';
}

export function setHideContentChoice(hide: boolean): void {
  remember(HIDE_KEY, hide ? '1' : null);
}

/** A base64url string (the VAPID key) as bytes. */
export function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const raw = atob(b64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function sameBytes(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const view = new Uint8Array(a);
  return view.every((x, i) => x === b[i]);
}

/** Registers the service worker (scope `/`) and resolves once it is active. */
export async function registerWorker(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register(WORKER_URL, { scope: '/' });
  const reg = await navigator.serviceWorker.ready;
  worker.set(reg);
  return reg;
}

async function currentSubscription(): Promise<PushSubscription | null> {
  if (pushSupport() === 'insecure' || !('serviceWorker' in navigator)) return null;
  const reg = await navigator.serviceWorker.getRegistration('/');
  return (await reg?.pushManager?.getSubscription()) ?? null;
}

/** This browser's endpoint, if it has subscribed. */
export async function thisEndpoint(): Promise<string | null> {
  return (await currentSubscription().catch(() => null))?.endpoint ?? recall(ENDPOINT_KEY);
}

/**
 * Turns push on here: asks for permission if it was never given (call it from a click),
 * subscribes with the server's key (a subscription made with another key is replaced), and
 * hands the subscription over with `hide_content`. Doing it again updates `hide_content`.
 */
export async function subscribeHere(hideContent: boolean): Promise<PushBrowser> {
  const support = pushSupport();
  if (support !== 'ok') throw new PushError(support);
  if (Notification.permission !== 'granted') {
    const answer = await Notification.requestPermission();
    if (answer !== 'granted') throw new PushError(answer === 'denied' ? 'denied' : 'dismissed');
  }
  const reg = await registerWorker();
  const key = base64UrlBytes((await api.pushKey()).public_key);
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameBytes(sub.options?.applicationServerKey, key)) {
    await sub.unsubscribe().catch(() => false);
    sub = null;
  }
  try {
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  } catch {
    // No push service (offline, blocked), or the permission went meanwhile.
    throw new PushError(Notification.permission === 'denied' ? 'denied' : 'failed');
  }
  const { endpoint, keys } = sub.toJSON();
  if (!endpoint || !keys?.p256dh || !keys.auth) throw new PushError('failed');
  const browser = await api.addPushBrowser({ endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth }, hide_content: hideContent });
  remember(ENDPOINT_KEY, browser.endpoint);
  setHideContentChoice(hideContent);
  return browser;
}

/** Removes a browser from the server's list (one already gone counts as removed). */
export async function removeBrowser(id: number): Promise<void> {
  try {
    await api.removePushBrowser(id);
  } catch (e) {
    if (!(isApiError(e) && e.status === 404)) throw e;
  }
}

/** Turns push off here: the server forgets this browser, and the browser its subscription. */
export async function unsubscribeHere(browsers: readonly PushBrowser[]): Promise<void> {
  const endpoint = await thisEndpoint();
  const mine = browsers.find((b) => b.endpoint === endpoint);
  if (mine) await removeBrowser(mine.id);
  await (await currentSubscription().catch(() => null))?.unsubscribe().catch(() => false);
  remember(ENDPOINT_KEY, null);
}

/** On signing out here: no more pushes for this account to this browser. */
export async function forgetThisBrowser(): Promise<void> {
  if (!(await thisEndpoint())) return;
  await unsubscribeHere(await api.pushBrowsers());
}
