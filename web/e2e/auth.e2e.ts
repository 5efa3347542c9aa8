/**
 * Signing in: the form takes the keyboard at once, and a sign-in lands on the chat list, or
 * on the page that was asked for before the redirect to the sign-in form — never on the page
 * where the last session ended (Settings, after signing out there).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Suite } from './helpers';
import { person, registerApi, registerUi, submitLogin, type Person } from './authHelpers';

const suite = new Suite('auth');
const people: Person[] = [];

async function newPerson(locale?: string): Promise<Person> {
  const p = await person(suite.browser, locale);
  people.push(p);
  return p;
}

describe('signing in', () => {
  afterAll(() => {
    for (const p of people) expect(p.errors).toEqual([]);
  });

  it('puts the cursor in the first field of the sign-in and sign-up forms', async () => {
    const { page } = await newPerson();
    await page.goto(`${suite.server.url}/`);
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
    await registerUi(page, suite.server.url, 'dora');
    await page.goto(`${suite.server.url}/settings`);
    await page.getByTestId('logout').click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await submitLogin(page, 'dora');
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    await page.waitForURL((u) => u.pathname === '/');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.getByRole('heading', { name: 'Settings' }).count()).toBe(0);
  });

  it('a page asked for while signed out opens after signing in', async () => {
    await registerApi(suite.server.url, 'emil');
    const { page } = await newPerson();
    await page.goto(`${suite.server.url}/settings`);
    await page.waitForURL(/\/login\?next=%2Fsettings/);
    await submitLogin(page, 'emil');
    await page.waitForURL((u) => u.pathname === '/settings');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
  });
});
