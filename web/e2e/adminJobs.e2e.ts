/**
 * Administration → Background jobs against a real server running the test-only example
 * service (`HYBRID_SERVICES=all,example`), whose notices sent later are jobs (queue
 * `example.notice`) and whose webhooks are delivered by jobs (`webhook.deliver`; one to
 * 127.0.0.1 is refused and dies at once, with its error). An administrator made with the CLI
 * sees the queues and the jobs, filters them, cancels, retries and pages; a plain user sees
 * neither the entry nor the screen; the screen speaks Russian and fits a phone.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ensureDir } from './browser';
import { DESKTOP, PASSWORD, PHONE, Suite, expectNoOverflow, type Person } from './helpers';
import { RESULTS } from './server';

const suite = new Suite('admin-jobs', { env: { HYBRID_SERVICES: 'all,example' } });

interface JobInfo {
  id: number;
  queue: string;
  state: string;
  attempts: number;
}

/** Notices waiting an hour: each is a ready job of queue example.notice. */
const WAITING = 8;

let boss: Person;
let pat: Person;

const api = <T>(method: string, path: string, token: string, body?: unknown) => suite.seed.call<T>(method, path, token, body);
const allJobs = async () => (await api<{ items: JobInfo[] }>('GET', '/admin/jobs/example?limit=200', boss.token)).items;

async function adminPage(options: { viewport?: typeof DESKTOP } = {}): Promise<Page> {
  return suite.page({ viewport: options.viewport ?? DESKTOP }, 'boss');
}

function row(page: Page, id: number): Locator {
  return page.locator(`[data-testid="job-row"][data-job-id="${id}"]`);
}

function stateOf(page: Page, id: number) {
  return row(page, id).getByTestId('job-state').textContent();
}

const screenshot = (name: string) => join(ensureDir(join(RESULTS, 'screenshots')), `${name}.png`);

/** A state filter of the jobs card (the chat list beside it has chips of its own). */
function chip(page: Page, name: string): Locator {
  return page.getByTestId('jobs-card').getByRole('button', { name, exact: true });
}

/** The example's jobs (other modules, such as bots, list theirs first). */
async function openJobs(page: Page, query = ''): Promise<void> {
  await suite.visit(page, `/admin/jobs${query ? `${query}&` : '?'}module=example`, '[data-testid="job-row"]');
}

/** Switches the jobs card to the example's jobs, the ones the suite made. */
async function showExample(page: Page): Promise<void> {
  await page.getByTestId('jobs-module').selectOption('example');
  await page.waitForURL((u) => u.searchParams.get('module') === 'example');
}

describe('background jobs screen', () => {
  beforeAll(async () => {
    // An administrator, made the way an operator does: with the CLI on the server's data dir.
    expect(suite.server.cli(['admin', 'create-user', '--username', 'boss', '--password', PASSWORD, '--admin'])).toMatch(/created user boss/);
    const login = await suite.seed.call<{ access_token: string; user: { id: number } }>('POST', '/auth/login', null, { username: 'boss', password: PASSWORD });
    boss = { id: login.user.id, username: 'boss', token: login.access_token };
    pat = await suite.seed.person('pat');
    for (let i = 1; i <= WAITING; i++) await api('POST', '/example/notice', pat.token, { text: `later ${i}`, delay_ms: 3_600_000 });
    // A webhook the server may not call (a private address): its delivery job dies at once.
    await api('POST', '/example/hooks', pat.token, { url: 'http://127.0.0.1:9/hook', secret: 'a secret of twenty chars' });
    await api('POST', '/example/notice', pat.token, { text: 'now' });
    for (let i = 0; ; i++) {
      if ((await allJobs()).some((j) => j.queue === 'webhook.deliver' && j.state === 'dead')) break;
      if (i === 150) throw new Error('the webhook delivery job did not die in 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(() => {
    expect(suite.errors()).toEqual([]);
  });

  it('an administrator finds it under Settings → Administration and sees the queues and the jobs', async () => {
    const page = await adminPage();
    await suite.visit(page, '/settings', '[data-testid="admin-section"]');
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await page.getByRole('link', { name: /Background jobs/ }).click();
    await page.waitForURL((u) => u.pathname === '/admin/jobs');
    await page.getByRole('heading', { name: 'Background jobs', level: 1 }).waitFor();
    await showExample(page);

    const card = page.getByTestId('jobs-module-card');
    await card.getByRole('heading', { name: 'example' }).waitFor();
    const count = (queue: string, state: string) =>
      card.locator(`[data-testid="queue-row"][data-queue="${queue}"] [data-testid="job-count"][data-state="${state}"] dd`).textContent();
    expect(await count('example.notice', 'ready')).toBe(String(WAITING));
    expect(await count('example.notice', 'dead')).toBe('0');
    expect(await count('webhook.deliver', 'dead')).toBe('1');
    expect(await card.locator('[data-queue="example.notice"] [data-testid="queue-lag"]').textContent()).toBe('Keeps up: no job waits past its time.');

    // every job, newest first: the dead delivery, then the notices
    const jobs = await allJobs();
    await expect.poll(() => page.getByTestId('job-row').count()).toBe(jobs.length);
    const ids = await page.getByTestId('job-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-job-id'))));
    expect(ids).toEqual(jobs.map((j) => j.id));

    const dead = jobs.find((j) => j.queue === 'webhook.deliver') as JobInfo;
    const deadRow = row(page, dead.id);
    expect(await deadRow.getByTestId('job-state').textContent()).toBe('dead');
    expect(await deadRow.locator('.job-queue').textContent()).toBe('webhook.deliver');
    expect(await deadRow.getByTestId('job-attempts').textContent()).toMatch(/^Attempts: 1 of \d+$/);
    expect(await deadRow.getByTestId('job-error').textContent()).toBe('Last error: 127.0.0.1 is not a public address (allow it in outbound.allow_networks)');
    expect(await deadRow.getByTestId('job-when').textContent()).toMatch(/^Finished (now|\d+ (seconds?|minutes?) ago)$/);
    expect(await deadRow.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    await deadRow.getByRole('button', { name: 'Retry now' }).waitFor();

    const waiting = row(page, jobs.find((j) => j.queue === 'example.notice')?.id ?? 0);
    expect(await waiting.getByTestId('job-state').textContent()).toBe('ready');
    expect(await waiting.getByTestId('job-attempts').textContent()).toBe('Attempts: 0 of 10');
    expect(await waiting.getByTestId('job-when').textContent()).toMatch(/^Due in (1 hour|59 minutes)$/);
    // the exact time on hover, in the user's locale, with seconds
    expect(await waiting.getByTestId('job-when').locator('time').getAttribute('title')).toMatch(/^[A-Z][a-z]{2}\s\d{1,2},\s\d{4},\s\d{1,2}:\d{2}:\d{2}\s[AP]M$/);
    expect(await waiting.getByTestId('job-created').textContent()).toMatch(/^Created (now|\d+ seconds? ago|\d+ minutes? ago)$/);
    await waiting.getByRole('button', { name: 'Retry now' }).waitFor();
    await waiting.getByRole('button', { name: 'Cancel' }).waitFor();
    await page.screenshot({ path: screenshot('jobs-desktop') });
  });

  it('filters the jobs by state and by queue', async () => {
    const page = await adminPage();
    await openJobs(page);
    await chip(page, 'Dead').click();
    await page.waitForURL(/state=dead/);
    await expect.poll(() => page.getByTestId('job-row').count()).toBe(1);
    expect(await page.getByTestId('job-state').textContent()).toBe('dead');

    await chip(page, 'Ready').click();
    await expect.poll(() => page.getByTestId('job-row').count()).toBe(WAITING);
    expect(new Set(await page.getByTestId('job-state').allTextContents())).toEqual(new Set(['ready']));

    await chip(page, 'Cancelled').click();
    await page.getByText('No jobs match these filters.').waitFor();

    await chip(page, 'All').click();
    await page.getByLabel('Queue').selectOption('webhook.deliver');
    await page.waitForURL(/queue=webhook\.deliver/);
    await expect.poll(() => page.getByTestId('job-row').count()).toBe(1);
    expect(await page.locator('.job-queue').allTextContents()).toEqual(['webhook.deliver']);
    // the filters are in the address: a reload keeps them
    await page.reload();
    await page.getByTestId('job-row').first().waitFor();
    expect(await page.getByTestId('job-row').count()).toBe(1);
    expect(await page.getByLabel('Queue').inputValue()).toBe('webhook.deliver');
  });

  it('cancels a job after asking; cancelling one that is no longer waiting shows the 409', async () => {
    const page = await adminPage();
    await openJobs(page, '?state=ready');
    const [first, second] = (await allJobs()).filter((j) => j.state === 'ready') as [JobInfo, JobInfo];

    await row(page, first.id).getByRole('button', { name: 'Cancel' }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel job #${first.id}?` });
    await dialog.waitFor();
    // "Keep the job" changes nothing
    await dialog.getByRole('button', { name: 'Keep the job' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await stateOf(page, first.id)).toBe('ready');

    await row(page, first.id).getByRole('button', { name: 'Cancel' }).click();
    const answer = page.waitForResponse((r) => r.url().endsWith(`/admin/jobs/example/${first.id}/cancel`));
    await dialog.getByRole('button', { name: 'Cancel the job' }).click();
    expect((await answer).status()).toBe(200);
    await expect.poll(() => stateOf(page, first.id)).toBe('cancelled');
    // the row came from the answer: still listed under "ready" until a refresh, now without Cancel
    expect(await row(page, first.id).getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    await row(page, first.id).getByRole('button', { name: 'Retry now' }).waitFor();
    expect(await row(page, first.id).getByTestId('job-when').textContent()).toMatch(/^Finished (now|\d+ seconds? ago)$/);
    expect((await api<JobInfo>('GET', `/admin/jobs/example/${first.id}`, boss.token)).state).toBe('cancelled');

    // Someone else cancels the second job meanwhile: this page still offers Cancel, and the
    // server refuses it with 409, which the row explains before showing the job as it is.
    await api('POST', `/admin/jobs/example/${second.id}/cancel`, boss.token);
    expect(await stateOf(page, second.id)).toBe('ready');
    await row(page, second.id).getByRole('button', { name: 'Cancel' }).click();
    const refused = page.waitForResponse((r) => r.url().endsWith(`/admin/jobs/example/${second.id}/cancel`));
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel the job' }).click();
    expect((await refused).status()).toBe(409);
    const alert = row(page, second.id).getByRole('alert');
    await alert.waitFor();
    expect((await alert.textContent())?.trim()).toBe('This job cannot be cancelled: it is cancelled already.');
    await expect.poll(() => stateOf(page, second.id)).toBe('cancelled');
    expect(await row(page, second.id).getByRole('button', { name: 'Cancel' }).count()).toBe(0);

    // the refresh button brings the list and the counts in line with the server
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => row(page, first.id).count()).toBe(0);
    const cancelled = page.locator('[data-queue="example.notice"] [data-testid="job-count"][data-state="cancelled"] dd');
    await expect.poll(() => cancelled.textContent()).toBe('2');
  });

  it('"Retry now" runs a job: ready at once, then done', async () => {
    const page = await adminPage();
    const target = (await allJobs()).find((j) => j.queue === 'example.notice' && j.state === 'cancelled') as JobInfo;
    await openJobs(page, '?state=cancelled');
    const answer = page.waitForResponse((r) => r.url().endsWith(`/admin/jobs/example/${target.id}/retry`));
    await row(page, target.id).getByRole('button', { name: 'Retry now' }).click();
    const retried = (await (await answer).json()) as JobInfo;
    expect(retried.state).toBe('ready');
    await expect.poll(() => stateOf(page, target.id)).toBe('ready');
    expect(await row(page, target.id).getByTestId('job-when').textContent()).toMatch(/^Due (now|in \d+ seconds?|\d+ seconds? ago)$/);

    // the worker runs it within a second: refresh until it shows done (in "All")
    await chip(page, 'All').click();
    await row(page, target.id).waitFor();
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          return stateOf(page, target.id);
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe('done');
    expect(await row(page, target.id).getByTestId('job-attempts').textContent()).toBe('Attempts: 1 of 10');
    expect(await row(page, target.id).getByRole('button').count()).toBe(0);
  });

  it('pages with "Load more" on next_cursor', async () => {
    const page = await adminPage();
    const total = (await allJobs()).length;
    expect(total).toBeGreaterThan(6);
    await openJobs(page, '?limit=3');
    expect(await page.getByTestId('job-row').count()).toBe(3);
    const more = page.getByRole('button', { name: 'Load more' });
    for (let shown = 3; shown < total; ) {
      await more.click();
      const next = Math.min(total, shown + 3);
      await expect.poll(() => page.getByTestId('job-row').count()).toBe(next);
      shown = next;
    }
    await expect.poll(() => more.count()).toBe(0);
    const ids = await page.getByTestId('job-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-job-id'))));
    expect(ids).toEqual((await allJobs()).map((j) => j.id));
  });

  it('a plain user sees no entry, and the address says the screen is for administrators', async () => {
    const page = await suite.page({ viewport: DESKTOP }, 'pat');
    await suite.visit(page, '/settings', 'h2');
    await page.getByRole('heading', { name: 'Appearance' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Administration' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: /Background jobs/ }).count()).toBe(0);

    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/admin/')) asked.push(r.url());
    });
    await suite.visit(page, '/admin/jobs', '[data-testid="admin-only"]');
    expect((await page.getByTestId('admin-only').textContent())?.trim()).toBe('Only administrators can see this page.');
    expect(await page.getByTestId('job-row').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Refresh' }).count()).toBe(0);
    expect(asked).toEqual([]);
    // and the API agrees
    const res = await fetch(`${suite.server.url}/api/v1/admin/jobs`, { headers: { authorization: `Bearer ${pat.token}` } });
    expect(res.status).toBe(403);
  });

  it('speaks Russian after the language switch', async () => {
    const page = await adminPage();
    await suite.visit(page, '/settings', '[data-testid="admin-section"]');
    await page.getByLabel('Language').selectOption('ru');
    await page.getByRole('heading', { name: 'Администрирование' }).waitFor();
    await page.getByRole('link', { name: /Фоновые задачи/ }).click();
    await page.getByRole('heading', { name: 'Фоновые задачи', level: 1 }).waitFor();
    await showExample(page);
    await page.getByTestId('job-row').first().waitFor();
    await chip(page, 'Ожидают').click();
    const waiting = page.getByTestId('job-row').first();
    await expect.poll(() => waiting.getByTestId('job-state').textContent()).toBe('ожидает');
    expect(await waiting.getByTestId('job-attempts').textContent()).toBe('Попытки: 0 из 10');
    expect(await waiting.getByTestId('job-when').textContent()).toMatch(/^Запуск через (1 час|59 минут)$/);
    expect(await waiting.getByTestId('job-when').locator('time').getAttribute('title')).toMatch(/^\d{1,2}\s[а-я]+\.?\s\d{4}\sг\.,\s\d{1,2}:\d{2}:\d{2}$/);
    await waiting.getByRole('button', { name: 'Запустить сейчас' }).waitFor();
    await waiting.getByRole('button', { name: 'Отменить' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: /^Отменить задачу #\d+\?$/ }).waitFor();
    await dialog.getByRole('button', { name: 'Не отменять' }).click();
    expect(await page.locator('[data-queue="example.notice"] [data-testid="queue-lag"]').textContent()).toBe(
      'Успевает: ни одна задача не ждёт дольше срока.',
    );
    await chip(page, 'Все').click();
    const dead = page.locator('[data-testid="job-row"][data-state="dead"]').first();
    expect(await dead.getByTestId('job-error').textContent()).toMatch(/^Последняя ошибка: /);
    expect(await page.getByRole('button', { name: 'Обновить' }).count()).toBe(1);
  });

  it('fits a phone: nothing sticks out, the error wraps whole, in English and Russian', async () => {
    for (const lang of ['en', 'ru'] as const) {
      const page = await suite.page({ viewport: PHONE, locale: lang === 'ru' ? 'ru-RU' : 'en-US' }, 'boss');
      await openJobs(page, '?limit=5');
      await page.getByTestId('jobs-load-more').waitFor();
      await expectNoOverflow(page, `jobs at 360 px (${lang})`);
      await page.screenshot({ path: screenshot(`jobs-phone-top-${lang}`) });
      const error = page.getByTestId('job-error').first();
      await error.scrollIntoViewIfNeeded();
      const box = await error.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, height: el.getBoundingClientRect().height }));
      expect(box.scroll).toBeLessThanOrEqual(box.client);
      expect(box.height).toBeGreaterThan(30); // more than one line at this width
      // the cancel dialog fits too
      await page.locator('[data-testid="job-row"][data-state="ready"]').first().getByRole('button', { name: lang === 'ru' ? 'Отменить' : 'Cancel' }).click();
      await page.getByRole('dialog').waitFor();
      await expectNoOverflow(page, `cancel dialog at 360 px (${lang})`);
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });
      await page.screenshot({ path: screenshot(`jobs-phone-${lang}`) });
    }
  });
});
