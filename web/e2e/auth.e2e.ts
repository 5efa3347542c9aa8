/**
 * Signing in: the form takes the keyboard at once, and a sign-in lands on the chat list, or
 * on the page that was asked for before the redirect to the sign-in form — never on the page
 * where the last session ended (Settings, after signing out there).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDir, launch } from './browser';
import { HybridServer, RESULTS } from './server';
import { person, registerApi, registerUi, submitLogin, type Person } from './authHelpers';

let server: HybridServer;
let browser: Browser;
const people: Person[] = [];

async function newPerson(locale?: string): Promise<Person> {
  const p = await person(browser, locale);
  people.push(p);
  return p;
}

describe('signing in', () => {
  beforeAll(async () => {
    ensureDir(RESULTS); // the server's log goes there
    server = new HybridServer();
    await server.start();
    browser = await launch();
  });

  afterAll(async () => {
    for (const p of people) expect(p.errors).toEqual([]);
    await browser?.close();
    await server?.dispose();
  });

  it('puts the cursor in the first field of the sign-in and sign-up forms', async () => {
    const { page } = await newPerson();
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/login/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'username');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('autocomplete'))).toBe('username');
    // typing straight away fills the username
    await page.keyboard.type('someone');
    expect(await page.getByLabel('Username').inputValue()).toBe('someone');

    await page.getByRole('link', { name: 'Create one' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'username');
  });

  it('after signing out from Settings, signing in again lands on the chat list', async () => {
    const { page } = await newPerson();
    await registerUi(page, server.url, 'dora');
    await page.goto(`${server.url}/settings`);
    await page.getByTestId('logout').click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await submitLogin(page, 'dora');
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    await page.waitForURL((u) => u.pathname === '/');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.getByRole('heading', { name: 'Settings' }).count()).toBe(0);
  });

  it('a page asked for while signed out opens after signing in', async () => {
    await registerApi(server.url, 'emil');
    const { page } = await newPerson();
    await page.goto(`${server.url}/settings`);
    await page.waitForURL(/\/login\?next=%2Fsettings/);
    await submitLogin(page, 'emil');
    await page.waitForURL((u) => u.pathname === '/settings');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
  });
});
