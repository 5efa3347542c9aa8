/**
 * Shared helpers for the end-to-end tests: people and chats made through the API (fast, and
 * with names no form would make easy), signing in through the real login form (in either
 * language), and a report of what sticks out of the viewport.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { ensureDir, launch } from './browser';
import { HybridServer, RESULTS, type ServerOptions } from './server';

export const PASSWORD = 'correct horse battery';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };

export interface Person {
  id: number;
  username: string;
  token: string;
}

/** Talks to the server's API directly, to set up people, chats and messages. */
export class Seed {
  constructor(private readonly server: HybridServer) {}

  async call<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
    const res = await fetch(`${this.server.url}/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  async person(username: string, displayName?: string): Promise<Person> {
    const r = await this.call<{ access_token: string; user: { id: number } }>('POST', '/auth/register', null, { username, password: PASSWORD });
    const p = { id: r.user.id, username, token: r.access_token };
    if (displayName) await this.call('PATCH', '/users/me', p.token, { display_name: displayName });
    return p;
  }

  async direct(owner: Person, peer: Person): Promise<number> {
    return (await this.call<{ id: number }>('POST', '/chats', owner.token, { kind: 'direct', user_id: peer.id, member_ids: [] })).id;
  }

  async group(owner: Person, title: string, members: Person[], kind: 'group' | 'channel' = 'group'): Promise<number> {
    return (await this.call<{ id: number }>('POST', '/chats', owner.token, { kind, title, member_ids: members.map((m) => m.id) })).id;
  }

  async send(from: Person, chatId: number, message: string, attach?: string): Promise<number> {
    const nonce = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    return (await this.call<{ seq: number }>('POST', `/chats/${chatId}/messages`, from.token, { text: message, nonce, ...(attach ? { attach } : {}) })).seq;
  }

  /** Uploads a file as `owner` (one request): its id and the token that attaches it to a message. */
  async upload(owner: Person, name: string, bytes: Buffer): Promise<{ id: number; attach_token: string }> {
    const res = await fetch(`${this.server.url}/api/v1/files?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${owner.token}` },
      body: new Uint8Array(bytes),
    });
    if (!res.ok) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: number; attach_token: string };
  }
}

export interface Opened {
  ctx: BrowserContext;
  page: Page;
  /** Errors the page logged (uncaught exceptions, console errors other than network noise). */
  errors: string[];
}

/** A new browser context and page, collecting the page's errors. Animations are off. */
export async function open(browser: Browser, options: BrowserContextOptions): Promise<Opened> {
  const ctx = await browser.newContext({ reducedMotion: 'reduce', ...options });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { ctx, page, errors };
}

/** Signs in through the login form (in whichever language the page speaks). */
export async function signIn(page: Page, server: HybridServer, username: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await submitLogin(page, username);
  await page.locator('.sidebar-title').waitFor();
}

/** Fills and sends the sign-in form (whatever the UI language); does not wait for the outcome. */
export async function submitLogin(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
}

/** The message whose own text (not a quoted reply) contains `needle`. */
export function message(page: Page, needle: string) {
  return page.getByTestId('message').filter({ has: page.locator('.bubble > .message-text', { hasText: needle }) });
}

/**
 * What sticks out of the viewport sideways: the page itself scrolling horizontally, or any
 * visible element whose right edge lies beyond the viewport once the ancestors that clip it
 * (overflow other than visible) are taken into account. One line per element, naming it.
 */
export async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const found: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > window.innerWidth) found.push(`document: scrollWidth ${doc.scrollWidth} > innerWidth ${window.innerWidth}`);
    const name = (el: Element) => {
      const id = el.getAttribute('data-testid');
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
      const txt = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return `${el.tagName.toLowerCase()}${cls}${id ? `[data-testid=${id}]` : ''} "${txt}"`;
    };
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden') continue;
      let right = r.right;
      if (style.position !== 'fixed') {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
          const s = getComputedStyle(a);
          if (s.overflowX !== 'visible') right = Math.min(right, a.getBoundingClientRect().right);
          if (s.position === 'fixed') break;
        }
      }
      if (right > vw + 0.5) found.push(`${name(el)}: right edge ${Math.round(r.right)} > ${vw}`);
    }
    return found;
  });
}

/** Waits until nothing sticks out; fails naming what does. */
export async function expectNoOverflow(page: Page, where: string): Promise<void> {
  const width = page.viewportSize()?.width;
  await expect.poll(() => overflowing(page), { timeout: 5_000, message: `${where}: elements overflow the ${width}px viewport` }).toEqual([]);
}

/** The elements matching `selector` whose box is not wholly inside the viewport. */
export async function insideViewport(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const vw = document.documentElement.clientWidth;
    const vh = window.innerHeight;
    return Array.from(document.querySelectorAll(sel)).flatMap((el) => {
      const r = el.getBoundingClientRect();
      return r.left < 0 || r.top < 0 || r.right > vw || r.bottom > vh ? [`${(el.textContent ?? '').trim().slice(0, 20)}: ${Math.round(r.left)},${Math.round(r.top)}–${Math.round(r.right)},${Math.round(r.bottom)}`] : [];
    });
  }, selector);
}

/** A time zone where the local hour is now between 1 and 9, so a leading zero would show. */
export function morningZone(now = new Date()): string {
  const h = now.getUTCHours();
  // Etc/GMT+N is N hours behind UTC; N ranges over -14..12.
  for (let n = -14; n <= 12; n++) {
    const local = (((h - n) % 24) + 24) % 24;
    if (local >= 2 && local <= 8) return `Etc/GMT${n >= 0 ? '+' : '-'}${Math.abs(n)}`;
  }
  return 'UTC';
}

/**
 * One server and one browser for a test file, set up and torn down by vitest's hooks (create it
 * inside `describe`, before the file's own `beforeAll`). A failing test leaves a screenshot of
 * the last page opened in test-results/failed-<prefix>-<test>.png.
 */
export class Suite {
  server!: HybridServer;
  browser!: Browser;
  seed!: Seed;
  readonly opened: Opened[] = [];

  /** `server.env`: settings of this file's server (`HYBRID_*`: a lower limit, more services). */
  constructor(prefix: string, server: ServerOptions = {}) {
    beforeAll(async () => {
      ensureDir(RESULTS);
      this.server = new HybridServer(server);
      await this.server.start();
      this.browser = await launch();
      this.seed = new Seed(this.server);
    });
    afterEach(async (ctx) => {
      if (ctx.task.result?.state !== 'fail') return;
      const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await this.opened.at(-1)?.page.screenshot({ path: `${RESULTS}/failed-${prefix}-${name}.png` }).catch(() => undefined);
    });
    afterAll(async () => {
      for (const o of this.opened) await o.ctx.close().catch(() => undefined);
      await this.browser?.close();
      await this.server?.dispose();
    });
  }

  /** A new page (English, light, unless the options say otherwise), signed in as `who` if given. */
  async page(options: BrowserContextOptions, who?: string): Promise<Page> {
    const o = await open(this.browser, { locale: 'en-US', colorScheme: 'light', ...options });
    this.opened.push(o);
    if (who) await signIn(o.page, this.server, who);
    return o.page;
  }

  /** Goes to a path of the client and waits until `ready` shows. */
  async visit(page: Page, path: string, ready: string): Promise<void> {
    await page.goto(`${this.server.url}${path}`);
    await page.locator(ready).first().waitFor();
  }

  /** Opens a chat and waits until it shows at least `messages` messages. */
  async openChat(page: Page, chatId: number, messages = 1): Promise<void> {
    await page.goto(`${this.server.url}/chat/${chatId}`);
    await page.getByTestId('message').nth(messages - 1).waitFor();
  }

  /** Every error the suite's pages logged. */
  errors(): string[] {
    return this.opened.flatMap((o) => o.errors);
  }
}
