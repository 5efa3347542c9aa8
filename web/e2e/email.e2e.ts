/**
 * Email notifications in Settings against a real server running notify with an SMTP server
 * (smtpSink.ts: aiosmtpd, in Python): the card's address, wait and daily digest saved; a
 * refused address said at its field; the address waiting for its link, and asking for
 * more links than five an hour refused; the link in the email (pointing at this server:
 * `notify.web_url`) opened in the browser confirms it; the card then says so and shows what
 * was chosen. Then a server that sends no email: the card says so, with no form.
 * Nothing of the card sticks out at 360 px. Screenshots: email-settings-*.png.
 */
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from './browser';
import { DESKTOP, PHONE, Suite, expectNoOverflow, type Person } from './helpers';
import { RESULTS, freePort, type ServerOptions } from './server';
import { SmtpSink, type Mail } from './smtpSink';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));

interface EmailSettings {
  address?: string | null;
  verified: boolean;
  unread_after_minutes: number;
  digest_at?: string | null;
  time_zone: string;
  available: boolean;
}

/** The confirmation link a message carries in its text part. */
function confirmLink(mail: Mail): string {
  const link = mail.text?.match(/https?:\/\/\S+\/api\/v1\/notifications\/email\/confirm\?token=\S+/)?.[0];
  if (!link) throw new Error(`no confirmation link in: ${mail.text}`);
  return link;
}

/** Shows either of two elements: whichever shows first. */
async function either(a: Locator, b: Locator): Promise<void> {
  await expect.poll(async () => (await a.isVisible()) || (await b.isVisible()), { timeout: 15_000 }).toBe(true);
}

describe('email notifications', () => {
  // The server's own URL goes in its settings (the links in email), so its port is chosen first.
  const env: Record<string, string> = {};
  const options: ServerOptions = { env };
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await SmtpSink.start();
    options.port = await freePort();
    env.HYBRID_NOTIFY__SMTP_URL = sink.url;
    env.HYBRID_NOTIFY__WEB_URL = `http://127.0.0.1:${options.port}`;
  });
  afterAll(() => sink?.stop());
  const suite = new Suite('email', options);
  let anna: Person;
  const settings = () => suite.seed.call<EmailSettings>('GET', '/notifications/email', anna.token);

  beforeAll(async () => {
    anna = await suite.seed.person('anna', 'Anna');
  });

  it('saves an address, a wait and a digest; the emailed link confirms the address; the card then says so', async () => {
    // The browser's time zone is what the digest starts in.
    const page = await suite.page({ viewport: DESKTOP, timezoneId: 'Asia/Tokyo' }, 'anna');
    await suite.visit(page, '/settings', '[data-testid="email-form"]');
    const card = page.getByRole('region', { name: 'Email', exact: true });
    expect(await card.getByTestId('email-zone').inputValue()).toBe('Asia/Tokyo');
    expect(await card.getByLabel('Digest at').isDisabled()).toBe(true);
    const address = card.getByLabel('Email address');
    expect(await address.getAttribute('type')).toBe('email');

    // An address the server refuses: said at the field.
    await address.fill('anna at example.com');
    await card.getByRole('button', { name: 'Save email settings' }).click();
    const fieldError = card.locator('.field-error');
    await expect.poll(() => fieldError.textContent()).toBe('Must be an email address, such as name@example.com.');
    expect(await address.getAttribute('aria-invalid')).toBe('true');
    expect(await address.getAttribute('aria-describedby')).toBe(await fieldError.getAttribute('id'));
    expect((await settings()).address ?? null).toBeNull();

    await address.fill('anna@example.com');
    expect(await card.getByTestId('email-status').textContent()).toContain('a link to confirm the address is sent to it');
    await card.getByLabel('Email me mentions, replies and direct messages still unread after').selectOption({ label: '1 hour' });
    await card.getByLabel('Send a daily digest of what is unread').check();
    await card.getByLabel('Digest at').fill('07:30');
    await card.getByRole('button', { name: 'Save email settings' }).click();
    const status = card.getByTestId('email-status');
    await expect.poll(() => status.getAttribute('data-state')).toBe('waiting');
    expect(await status.textContent()).toContain('Waiting for confirmation — check your inbox');
    expect(await fieldError.count()).toBe(0);
    expect(await settings()).toMatchObject({
      address: 'anna@example.com',
      verified: false,
      unread_after_minutes: 60,
      digest_at: '07:30',
      time_zone: 'Asia/Tokyo',
      available: true,
    });

    // Five links an hour, the save's included: the fifth "again" is refused.
    const resend = card.getByRole('button', { name: 'Send the link again' });
    const tooSoon = card.getByTestId('email-resend-error');
    for (let i = 0; i < 5 && !(await tooSoon.isVisible()); i++) {
      await resend.click();
      await either(tooSoon, card.getByTestId('email-resent'));
    }
    expect(await tooSoon.getAttribute('role')).toBe('alert');
    expect(await tooSoon.textContent()).toContain('Too many links were sent in the last hour.');
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'email-settings-waiting.png') });

    // The email: to the address, a link to this server. Only the newest link works, so the
    // links are opened newest first until one confirms.
    const mails = await sink.settled(1);
    for (const mail of mails) {
      expect(mail.rcpt_tos).toEqual(['anna@example.com']);
      expect(mail.headers.subject).toBe('Confirm your address for Hybrid');
      expect(confirmLink(mail).startsWith(`${suite.server.url}/api/v1/notifications/email/confirm?token=`)).toBe(true);
    }
    const tab = await page.context().newPage();
    let confirmed = false;
    for (const mail of [...mails].reverse()) {
      await tab.goto(confirmLink(mail));
      if ((await tab.locator('h1').textContent()) === 'Address confirmed') {
        confirmed = true;
        break;
      }
    }
    expect(confirmed, 'one of the emailed links confirms the address').toBe(true);
    expect(await tab.title()).toContain('Address confirmed');
    await tab.close();
    expect((await settings()).verified).toBe(true);

    // Back in Settings: confirmed, with the wait and the digest as chosen.
    await page.reload();
    await card.getByTestId('email-form').waitFor();
    await expect.poll(() => status.getAttribute('data-state')).toBe('confirmed');
    expect(await status.textContent()).toContain('Confirmed');
    expect(await resend.count()).toBe(0);
    expect(await address.inputValue()).toBe('anna@example.com');
    const wait = card.getByLabel('Email me mentions, replies and direct messages still unread after');
    expect(await wait.inputValue()).toBe('60');
    expect(await wait.locator('option:checked').textContent()).toBe('1 hour');
    expect(await card.getByLabel('Send a daily digest of what is unread').isChecked()).toBe(true);
    expect(await card.getByLabel('Digest at').inputValue()).toBe('07:30');
    expect(await card.getByTestId('email-zone').inputValue()).toBe('Asia/Tokyo');
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'email-settings-confirmed.png') });
    // On a phone, nothing of the card sticks out.
    await page.setViewportSize(PHONE);
    await card.scrollIntoViewIfNeeded();
    await expectNoOverflow(page, 'email card, 360 px');
    await page.screenshot({ path: join(SHOTS, 'email-settings-phone.png') });
    expect(suite.errors()).toEqual([]);
  });
});

describe('email notifications on a server that sends none', () => {
  const suite = new Suite('email-off');

  beforeAll(async () => {
    await suite.seed.person('boris', 'Boris');
  });

  it('the card says the server sends no email, and has no form', async () => {
    const page = await suite.page({ viewport: DESKTOP, locale: 'ru-RU' }, 'boris');
    await suite.visit(page, '/settings', '[data-testid="email-settings"]');
    const card = page.getByRole('region', { name: 'Почта', exact: true });
    const note = card.getByTestId('email-unavailable');
    await note.waitFor();
    expect(await note.textContent()).toContain('Этот сервер не отправляет письма: администратор их не настроил.');
    expect(await card.locator('form, input, select, button').count()).toBe(0);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'email-settings-off.png') });
    expect(suite.errors()).toEqual([]);
  });
});
