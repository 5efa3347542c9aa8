/** Shared steps of the e2e tests: people, pages that record console errors, sign-up and sign-in. */
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const PASSWORD = 'correct horse battery';

export interface Person {
  ctx: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of the page, for a test to assert none. */
  errors: string[];
}

/** A browser context of its own (cookies, storage) with one page, in English unless told. */
export async function person(browser: Browser, locale = 'en-US'): Promise<Person> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale, colorScheme: 'light' });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    // 4xx answers are what some tests provoke; the browser logs them as failed loads.
    if (m.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { ctx, page, errors };
}

/** Registers over the API (no browser): for people a test only needs to exist. */
export async function registerApi(baseUrl: string, username: string, password = PASSWORD): Promise<{ access_token: string }> {
  const res = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { access_token: string };
}

/** Fills and sends the sign-up form (English UI); does not wait for the outcome. */
export async function submitRegister(page: Page, baseUrl: string, username: string, password = PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/register`);
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('input[name="confirm"]').fill(password);
  await page.locator('button[type="submit"]').click();
}

/** Signs up through the UI and waits for the chat list. */
export async function registerUi(page: Page, baseUrl: string, username: string, password = PASSWORD): Promise<void> {
  await submitRegister(page, baseUrl, username, password);
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByRole('heading', { name: /^(Chats|Чаты)$/ }).waitFor();
}

/** Fills and sends the sign-in form (whatever the UI language); does not wait for the outcome. */
export async function submitLogin(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
}

/** Creates a group from the "New chat" dialog and waits for its page; returns its URL. */
export async function createGroup(page: Page, title: string): Promise<string> {
  const before = page.url();
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByRole('tab', { name: 'Group' }).click();
  await page.getByTestId('chat-name').fill(title);
  await page.getByTestId('create-chat').click();
  await page.waitForURL((u) => /^\/chat\/\d+$/.test(u.pathname) && u.href !== before);
  await page.getByTestId('chat-title').filter({ hasText: title }).waitFor();
  return page.url();
}
