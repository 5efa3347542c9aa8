/**
 * Shared helpers for the chat end-to-end files (offline, unread, system): people registered
 * through the UI or the API, API calls as a given user, and message locators.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PASSWORD } from './authHelpers';
import { RESULTS, type HybridServer } from './server';

export { PASSWORD, registerUi } from './authHelpers';
export const DESKTOP = { width: 1280, height: 800 };

/** Errors the pages logged (connection failures while the server is down are expected). */
export class ConsoleErrors {
  readonly list: string[] = [];
  watch(page: Page, who: string): Page {
    page.on('console', (m) => {
      if (m.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|ERR_FAILED|Failed to load resource/.test(m.text())) this.list.push(`${who}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.list.push(`${who}: ${e.message}`));
    return page;
  }
}

export async function newContext(browser: Browser, locale = 'en-US'): Promise<BrowserContext> {
  return browser.newContext({ viewport: DESKTOP, locale, colorScheme: 'light' });
}

export interface ApiUser {
  id: number;
  token: string;
}

async function json<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Calls the API as a user (token from `apiLogin`/`apiRegister`). */
export async function api<T = unknown>(server: HybridServer, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return json<T>(res, `${method} ${path}`);
}

export async function apiRegister(server: HybridServer, username: string, displayName?: string): Promise<ApiUser> {
  const res = await fetch(`${server.url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD, device_name: 'e2e script' }),
  });
  const r = await json<{ access_token: string; user: { id: number } }>(res, 'register');
  const user = { id: r.user.id, token: r.access_token };
  if (displayName) await api(server, user.token, 'PATCH', '/users/me', { display_name: displayName });
  return user;
}

export async function apiLogin(server: HybridServer, username: string): Promise<ApiUser> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD, device_name: 'e2e script' }),
  });
  const r = await json<{ access_token: string; user: { id: number } }>(res, 'login');
  return { id: r.user.id, token: r.access_token };
}

export async function sendApi(server: HybridServer, user: ApiUser, chatId: number, text: string): Promise<{ seq: number }> {
  return api<{ seq: number }>(server, user.token, 'POST', `/chats/${chatId}/messages`, { text, nonce: `e2e-${chatId}-${text}` });
}

/** The texts of a chat's history as the server has it (oldest first). */
export async function historyTexts(server: HybridServer, user: ApiUser, chatId: number): Promise<string[]> {
  const page = await api<{ messages: { text: string }[] }>(server, user.token, 'GET', `/chats/${chatId}/messages?limit=100`);
  return page.messages.map((m) => m.text);
}

/** The message whose own text (not a quoted reply) contains `text`. */
export function msg(page: Page, text: string) {
  return page.getByTestId('message').filter({ has: page.locator('.bubble > .message-text', { hasText: text }) });
}

/** A message still waiting to be sent. */
export function pendingMsg(page: Page, text: string) {
  return page.getByTestId('message-pending').filter({ hasText: text });
}

export function chatIdOf(page: Page): number {
  return Number(new URL(page.url()).pathname.split('/').pop());
}

export async function failShot(pages: (Page | undefined)[], name: string): Promise<void> {
  const safe = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  await Promise.all(pages.map((p, i) => p?.screenshot({ path: join(RESULTS, `failed-${safe}-${i}.png`) }).catch(() => undefined)));
}

/** A screenshot into test-results/screenshots/ (beside the main suite's). */
export async function shot(page: Page, name: string): Promise<void> {
  const dir = join(RESULTS, 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}
