/** Shared steps of the e2e tests: people, pages that record console errors, sign-up and sign-in. */
import type { Browser, Page } from 'playwright-core';
import { DESKTOP, PASSWORD, open, type Opened } from './helpers';

export { PASSWORD, submitLogin } from './helpers';

/** A browser context of its own (cookies, storage) with one page, and its console errors. */
export type Person = Opened;

/** A person at a desktop window in light mode, in English unless told. */
export function person(browser: Browser, locale = 'en-US'): Promise<Person> {
  return open(browser, { viewport: DESKTOP, locale, colorScheme: 'light' });
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
