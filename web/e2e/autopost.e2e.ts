/**
 * Autopost, statistics and alerts against a real server (no AI model: template posts). Olga
 * registers through the form; over the API she gets a channel with an agent as its admin, the
 * agent connected as her `hybrid` automation account, and an approved post (the FB2 fixture of
 * `crates/books` uploaded, summarised offline, a post made and approved). In Automation →
 * Autopost she makes a schedule that posts into the channel through the agent, opens it, presses
 * "Publish now" and sees the log's entry published with its delivery sent; the post is in the
 * channel. The dashboard says one post published (also in the day table's totals) and its CSV
 * downloads with the header line. She sets the alerts (the agent into the channel, the long-queue
 * kind on) and sends a test alert. Nothing sticks out at 360 px in Russian. Screenshots: autopost-*.png.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerUi } from './authHelpers';
import { ensureDir } from './browser';
import { DESKTOP, PASSWORD, PHONE, Suite, expectNoOverflow, type Person } from './helpers';
import { RESULTS, WEB_DIR } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));
const BOOK = resolve(WEB_DIR, '..', 'crates', 'books', 'tests', 'fixtures', 'book.fb2');

interface Source {
  id: number;
  state: string;
  blocks: number;
  summaries: { done: number; running: boolean };
}
interface Post {
  id: number;
  state: string;
  text: string;
}

/** Asks `read` every half second until `done` says yes (or 60 s pass). */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('autopost', () => {
  const suite = new Suite('autopost');
  let page: Page;
  let olga: Person;
  let channelId = 0;
  let accountId = 0;
  let post: Post;
  let scheduleId = 0;

  beforeAll(async () => {
    page = await suite.page({ viewport: DESKTOP });
    await registerUi(page, suite.server.url, 'olga');
    const login = await suite.seed.call<{ access_token: string; user: { id: number } }>('POST', '/auth/login', null, { username: 'olga', password: PASSWORD });
    olga = { id: login.user.id, username: 'olga', token: login.access_token };

    // The channel, with the agent as an admin (only admins post in a channel).
    const agent = await suite.seed.person('herald', 'Herald');
    channelId = await suite.seed.group(olga, 'Daily reads', [agent], 'channel');
    await suite.seed.call('PATCH', `/chats/${channelId}/members/${agent.id}`, olga.token, { role: 'admin' });
    // The agent as Olga's automation account: a session of its own, as the connect form makes.
    const agentSession = await suite.seed.call<{ access_token: string }>('POST', '/auth/login', null, { username: 'herald', password: PASSWORD, device_name: 'Hybrid automation' });
    accountId = (await suite.seed.call<{ id: number }>('POST', '/automation/accounts', olga.token, { name: 'Herald', connector: 'hybrid', token: agentSession.access_token })).id;

    // An approved post: the book read, summarised offline, a template post made and approved.
    const file = await suite.seed.upload(olga, 'book.fb2', readFileSync(BOOK));
    const { id: bookId } = await suite.seed.call<Source>('POST', '/automation/sources', olga.token, { file_id: file.id });
    await until(() => suite.seed.call<Source>('GET', `/automation/sources/${bookId}`, olga.token), (s) => s.state === 'ready', 'the book to be read');
    await suite.seed.call('POST', `/automation/sources/${bookId}/summaries/start`, olga.token);
    await until(() => suite.seed.call<Source>('GET', `/automation/sources/${bookId}`, olga.token), (s) => s.summaries.done === s.blocks && !s.summaries.running, 'the summaries');
    const made = await suite.seed.call<Post>('POST', `/automation/sources/${bookId}/posts`, olga.token, {});
    await until(() => suite.seed.call<Post>('GET', `/automation/posts/${made.id}`, olga.token), (p) => p.state === 'draft', 'the post');
    post = await suite.seed.call<Post>('PATCH', `/automation/posts/${made.id}`, olga.token, { state: 'approved' });
    expect(post.state).toBe('approved');
  }, 120_000);

  it('makes a schedule into the channel and publishes the post now', async () => {
    await suite.visit(page, '/automation/accounts', '[data-testid="automation-tab-autopost"]');
    await page.getByTestId('automation-tab-autopost').click();
    await page.waitForURL((u) => u.pathname === '/automation/autopost');
    await page.getByTestId('schedules-none').waitFor();

    const form = page.getByTestId('schedule-form');
    await form.getByLabel('Name').fill('Morning reads');
    await form.getByLabel('Time zone').selectOption('Europe/Moscow');
    await form.getByLabel('Time 1', { exact: true }).fill('09:00');
    await form.getByTestId('schedule-time-add').click();
    await form.getByLabel('Time 2', { exact: true }).fill('18:30');
    await form.getByLabel('Account 1', { exact: true }).selectOption(String(accountId));
    await form.getByLabel('Chat id 1', { exact: true }).fill(String(channelId));
    await form.getByTestId('schedule-submit').click();
    await page.waitForURL((u) => /^\/automation\/autopost\/\d+$/.test(u.pathname));
    scheduleId = Number(new URL(page.url()).pathname.split('/').pop());

    const head = page.getByTestId('schedule-page');
    expect(await head.getByTestId('schedule-state').textContent()).toBe('Running');
    expect(await head.getByTestId('schedule-when').textContent()).toBe('09:00, 18:30 · every day · Europe/Moscow');
    expect(await head.getByTestId('schedule-next').textContent()).toMatch(/^Next: .*(09:00|18:30) \(Europe\/Moscow\)/);
    expect(await head.getByTestId('schedule-waiting').textContent()).toBe('1 post waiting');
    const api = await suite.seed.call<{ state: string; times: string[]; targets: { account_id: number; chat_id: number }[] }>('GET', `/automation/schedules/${scheduleId}`, olga.token);
    expect(api).toMatchObject({ state: 'running', times: ['09:00', '18:30'], targets: [{ account_id: accountId, chat_id: channelId }] });

    await head.getByTestId('schedule-publish').click();
    const entry = page.getByTestId('publication').first();
    await expect.poll(() => entry.getAttribute('data-state'), { timeout: 30_000 }).toBe('published');
    expect(await entry.getByTestId('publication-state').textContent()).toBe('Published');
    const delivery = entry.getByTestId('delivery');
    expect(await delivery.getAttribute('data-state')).toBe('sent');
    expect(await delivery.getByTestId('delivery-message').textContent()).toMatch(/^message #\d+$/);
    await expect.poll(() => head.getByTestId('schedule-waiting').textContent()).toBe('0 posts waiting');
    await page.screenshot({ path: join(SHOTS, 'autopost-schedule.png'), fullPage: true });

    // The post is in the channel, from the agent.
    const firstLine = post.text.split('\n')[0] ?? '';
    await suite.openChat(page, channelId);
    await page.getByTestId('message').filter({ hasText: firstLine }).first().waitFor();
  });

  it('counts the post on the dashboard and exports the CSV', async () => {
    await suite.visit(page, '/automation/stats', '[data-testid="stats-table"]');
    await page.getByTestId('stats-range-7').click();
    await expect.poll(() => page.getByTestId('stats-posts-published').textContent()).toBe('1');
    expect(await page.getByTestId('stats-total').locator('[data-col="posts_sent"]').textContent()).toBe('1');
    // The chart is drawn (uPlot's canvas) beside the table.
    await page.getByTestId('stats-posts-chart').locator('canvas').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'autopost-stats.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('stats-export').click()]);
    expect(download.suggestedFilename()).toBe('automation-stats.csv');
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.split('\n')[0]?.trim()).toBe('day,kind,id,name,outcome,count');
  });

  it('sets the alerts and sends a test alert', async () => {
    await suite.visit(page, '/automation/alerts', '[data-testid="alert-form"]');
    const form = page.getByTestId('alert-form');
    await form.getByLabel('Account that posts them').selectOption(String(accountId));
    await form.getByLabel('Chat id').fill(String(channelId));
    await form.getByRole('switch', { name: /The queue is long/ }).check();
    await form.getByLabel('Long queue from').fill('50');
    await form.getByTestId('alert-save').click();
    await form.getByRole('status').waitFor();
    const saved = await suite.seed.call<{ account_id: number; chat_id: number; kinds: { queue_high: boolean }; queue_threshold: number }>('GET', '/automation/alerts/settings', olga.token);
    expect(saved).toMatchObject({ account_id: accountId, chat_id: channelId, kinds: { queue_high: true }, queue_threshold: 50 });

    await page.getByTestId('alert-test').click();
    await page.getByTestId('alert-test-result').waitFor();
    const alert = page.getByTestId('alert').first();
    // Recorded `pending`, sent by a job: the list is asked again until it says so.
    await expect.poll(() => alert.getAttribute('data-state')).toBe('sent');
    expect(await page.getByTestId('alert-test-result').textContent()).toBe('Test alert sent.');
    await page.screenshot({ path: join(SHOTS, 'autopost-alerts.png'), fullPage: true });
  });

  it('fits a 360 px screen, in Russian', async () => {
    const phone = await suite.page({ viewport: PHONE, locale: 'ru-RU' }, 'olga');
    await suite.visit(phone, '/automation/autopost', '[data-testid="schedule"]');
    expect(await phone.getByTestId('schedule-state').textContent()).toBe('Работает');
    await expectNoOverflow(phone, 'the schedules');
    await phone.screenshot({ path: join(SHOTS, 'autopost-phone-list.png'), fullPage: true });

    await suite.visit(phone, `/automation/autopost/${scheduleId}`, '[data-testid="publication"]');
    expect(await phone.getByTestId('publication-state').first().textContent()).toBe('Опубликован');
    await expectNoOverflow(phone, 'a schedule');
    await phone.screenshot({ path: join(SHOTS, 'autopost-phone-schedule.png'), fullPage: true });

    await suite.visit(phone, '/automation/stats', '[data-testid="stats-table"]');
    await expectNoOverflow(phone, 'the dashboard');
    await phone.screenshot({ path: join(SHOTS, 'autopost-phone-stats.png'), fullPage: true });

    await suite.visit(phone, '/automation/alerts', '[data-testid="alert-form"]');
    await expectNoOverflow(phone, 'the alerts');
    expect(suite.errors()).toEqual([]);
  });
});
