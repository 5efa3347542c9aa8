/**
 * Errors read as people write them, in English and Russian: the rule a field breaks next to
 * that field, a throttled sign-in's wait as a duration, and no "Try again" where trying again
 * cannot help. The server throttles sign-in after 2 failures here (env override below).
 */
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { Suite } from './helpers';
import { createGroup, person, registerApi, registerUi, submitLogin, submitRegister, type Person } from './authHelpers';

/** The server's message length limit here (`chats.max_text_length`). */
const MAX_TEXT = 100;

const suite = new Suite('errors', {
  env: {
    HYBRID_AUTH__LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: '2',
    // Shorter than the composer's own limit (4096), so the server is the one to refuse.
    HYBRID_CHATS__MAX_TEXT_LENGTH: String(MAX_TEXT),
  },
});
const people: Person[] = [];

async function newPerson(locale?: string): Promise<Person> {
  const p = await person(suite.browser, locale);
  people.push(p);
  return p;
}

/** The message shown under the field whose input has this name. */
function fieldMessage(page: Page, name: string) {
  return page.locator('.field', { has: page.locator(`[name="${name}"]`) }).locator('.field-error');
}

/** Server wording that must never reach the screen. */
const RAW = /must be|UTF-16|is too simple|seconds|\d{3,} сек/;

describe('error messages', () => {
  afterAll(() => {
    for (const p of people) expect(p.errors).toEqual([]);
  });

  it('a too short username says the rule under the field, in English and Russian', async () => {
    const en = (await newPerson()).page;
    await submitRegister(en, suite.server.url, 'ab');
    await expect.poll(() => fieldMessage(en, 'username').textContent()).toBe('3 to 32 characters.');
    expect(await en.locator('input[name="username"]').getAttribute('aria-invalid')).toBe('true');
    expect(await en.locator('.auth-card').textContent()).not.toMatch(RAW);

    const ru = (await newPerson('ru-RU')).page;
    await submitRegister(ru, suite.server.url, 'ab');
    await expect.poll(() => fieldMessage(ru, 'username').textContent()).toBe('От 3 до 32 символов.');
    expect(await ru.locator('.auth-card').textContent()).not.toMatch(RAW);
  });

  it('a weak password says why under the password field', async () => {
    const en = (await newPerson()).page;
    await submitRegister(en, suite.server.url, 'hank', 'aaaaaaaa');
    await expect.poll(() => fieldMessage(en, 'password').textContent()).toBe('Too simple: use more different characters.');
    expect(await en.locator('input[name="password"]').getAttribute('aria-invalid')).toBe('true');
    expect(await en.locator('.auth-card').textContent()).not.toMatch(RAW);

    const ru = (await newPerson('ru-RU')).page;
    await submitRegister(ru, suite.server.url, 'hank', 'abc');
    await expect.poll(() => fieldMessage(ru, 'password').textContent()).toBe('Не короче 8 символов.');
    await submitRegister(ru, suite.server.url, 'hank', 'aaaaaaaa');
    await expect
      .poll(() => fieldMessage(ru, 'password').textContent())
      .toBe('Слишком простой: используйте больше разных символов.');
    expect(await ru.locator('.auth-card').textContent()).not.toMatch(RAW);
  });

  it('a throttled sign-in gives the wait in minutes, with Russian plurals, and no retry button', async () => {
    await registerApi(suite.server.url, 'frank');
    const en = (await newPerson()).page;
    await en.goto(`${suite.server.url}/login`);
    const alert = en.getByRole('alert');
    const attempt = async (password: string) => {
      const answer = en.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
      await submitLogin(en, 'frank', password);
      return (await answer).status();
    };
    // Two wrong passwords are refused as such; the third attempt is throttled (900 s window).
    expect(await attempt('wrong password 1')).toBe(401);
    await alert.filter({ hasText: 'Wrong username or password.' }).waitFor();
    expect(await attempt('wrong password 2')).toBe(401);
    expect(await attempt('wrong password 3')).toBe(429);
    await alert.filter({ hasText: 'Too many attempts.' }).waitFor();
    expect(await alert.textContent()).toMatch(/^\s*Too many attempts\. Try again in 1[45] minutes\.$/);
    expect(await en.getByRole('button', { name: 'Try again' }).count()).toBe(0);

    // The same address in Russian: "через 15 минут" (accusative plural), not seconds.
    const ru = (await newPerson('ru-RU')).page;
    await ru.goto(`${suite.server.url}/login`);
    await submitLogin(ru, 'frank', 'wrong password 4');
    const ruAlert = ru.getByRole('alert').filter({ hasText: 'Слишком много попыток.' });
    await ruAlert.waitFor();
    expect(await ruAlert.textContent()).toMatch(/^\s*Слишком много попыток\. Попробуйте через 1[45] минут\.$/);
  });

  it('a message over the length limit says so, and offers no retry', async () => {
    const { page } = await newPerson();
    await registerUi(page, suite.server.url, 'gina');
    await createGroup(page, 'Long reads');
    const box = page.getByTestId('composer');
    // Within the composer's 4096 but over this server's limit: the server refuses it.
    await box.fill('x'.repeat(MAX_TEXT + 1));
    await box.press('Enter');
    const pending = page.getByTestId('message-pending');
    const note = pending.getByTestId('failed-note');
    await note.waitFor();
    expect(await note.textContent()).toBe(`Not sent: At most ${MAX_TEXT} characters.`);
    expect(await note.textContent()).not.toMatch(RAW);
    // The reason is on the message itself: nothing over the history.
    expect(await page.locator('.toast, .chat-alert').count()).toBe(0);
    // Sending the same text again cannot succeed: only "Delete" is offered.
    expect(await pending.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    await pending.getByRole('button', { name: 'Delete' }).waitFor();
  });
});
