import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobInfo, ModuleJobs } from '../../api/types';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { JobsPage } from './JobsPage';

const NOW = Date.now();

const job = (id: number, over: Partial<JobInfo> = {}): JobInfo => ({
  id,
  queue: 'example.notice',
  state: 'ready',
  priority: 0,
  run_at: NOW + 3_600_000,
  attempts: 0,
  max_attempts: 10,
  last_error: null,
  created_at: NOW - 60_000,
  updated_at: NOW - 60_000,
  ...over,
});

const overview: ModuleJobs[] = [
  {
    module: 'example',
    queues: [
      { queue: 'example.notice', ready: 2, running: 0, done: 0, dead: 0, cancelled: 0, oldest_due_ms: null },
      { queue: 'webhook.deliver', ready: 0, running: 0, done: 0, dead: 1, cancelled: 0, oldest_due_ms: NOW - 20 * 60_000 },
    ],
  },
];


const account = (isAdmin: boolean) => () => jsonResponse(200, { id: 1, username: 'boss', is_admin: isAdmin, totp_enabled: false });

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'boss' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('JobsPage', () => {
  it('tells a non-administrator the page is for administrators, and asks the jobs API nothing', async () => {
    const calls = serve({ 'GET /api/v1/auth/account': account(false) });
    renderUi(<JobsPage />, { path: '/admin/jobs' });
    expect((await screen.findByTestId('admin-only')).textContent).toContain('Only administrators can see this page.');
    expect(calls.filter((c) => c.includes('/admin/'))).toEqual([]);
    expect(screen.queryByRole('button', { name: 'Refresh' })).toBeNull();
  });

  it('says the same when the server refuses (the flag was taken away), in Russian', async () => {
    serve({
      'GET /api/v1/auth/account': account(true),
      'GET /api/v1/admin/jobs': () => jsonResponse(403, { error: { code: 'forbidden', message: 'only administrators can manage background jobs' } }),
    });
    renderUi(<JobsPage />, { path: '/admin/jobs', lang: 'ru' });
    expect((await screen.findByTestId('admin-only')).textContent).toContain('Эта страница доступна только администраторам.');
  });

  it('shows the queues, how far behind they are, and the jobs with their details', async () => {
    const calls = serve({
      'GET /api/v1/auth/account': account(true),
      'GET /api/v1/admin/jobs': () => jsonResponse(200, overview),
      'GET /api/v1/admin/jobs/example': () =>
        jsonResponse(200, {
          items: [
            job(3, { queue: 'webhook.deliver', state: 'dead', attempts: 12, max_attempts: 12, last_error: 'x'.repeat(300), updated_at: NOW - 5 * 60_000 }),
            job(2),
          ],
          next_cursor: null,
        }),
    });
    renderUi(<JobsPage />, { path: '/admin/jobs' });
    const rows = await screen.findAllByTestId('job-row');
    expect(rows).toHaveLength(2);
    const queues = screen.getAllByTestId('queue-row');
    expect(within(queues[0] as HTMLElement).getByTestId('queue-lag').textContent).toBe('Keeps up: no job waits past its time.');
    expect(within(queues[1] as HTMLElement).getByTestId('queue-lag').textContent).toBe('Behind: the oldest due job has waited 20 minutes.');
    const dead = within(queues[1] as HTMLElement).getAllByTestId('job-count').find((c) => c.dataset.state === 'dead');
    expect(dead?.textContent).toBe('Dead1');

    const [first, second] = rows as [HTMLElement, HTMLElement];
    expect(within(first).getByTestId('job-attempts').textContent).toBe('Attempts: 12 of 12');
    expect(within(first).getByTestId('job-state').textContent).toBe('dead');
    expect(within(first).getByTestId('job-error').textContent).toBe(`Last error: ${'x'.repeat(300)}`);
    expect(within(first).getByTestId('job-when').textContent).toBe('Finished 5 minutes ago');
    expect(within(first).getByTestId('job-when').querySelector('time')?.getAttribute('title')).toMatch(/\d:\d\d:\d\d/);
    // dead: retry only; ready: both
    expect(within(first).queryByRole('button', { name: 'Cancel' })).toBeNull();
    within(first).getByRole('button', { name: 'Retry now' });
    expect(within(second).getByTestId('job-when').textContent).toBe('Due in 1 hour');
    within(second).getByRole('button', { name: 'Cancel' });
    expect(calls).toContain('GET /api/v1/admin/jobs/example?limit=50');
  });

  it('retries a job and cancels one after confirming, updating the rows from the answers', async () => {
    const calls = serve({
      'GET /api/v1/auth/account': account(true),
      'GET /api/v1/admin/jobs': () => jsonResponse(200, overview),
      'GET /api/v1/admin/jobs/example': () => jsonResponse(200, { items: [job(3, { state: 'dead' }), job(2)], next_cursor: null }),
      'POST /api/v1/admin/jobs/example/3/retry': () => jsonResponse(200, job(3, { state: 'ready', run_at: Date.now() })),
      'POST /api/v1/admin/jobs/example/2/cancel': () => jsonResponse(200, job(2, { state: 'cancelled', updated_at: Date.now() })),
    });
    renderUi(<JobsPage />, { path: '/admin/jobs' });
    const [dead, ready] = (await screen.findAllByTestId('job-row')) as [HTMLElement, HTMLElement];
    fireEvent.click(within(dead).getByRole('button', { name: 'Retry now' }));
    await waitFor(() => expect(within(dead).getByTestId('job-state').textContent).toBe('ready'));
    expect(within(dead).getByTestId('job-when').textContent).toBe('Due now');

    fireEvent.click(within(ready).getByRole('button', { name: 'Cancel' }));
    const dialog = await screen.findByRole('dialog', { name: 'Cancel job #2?' });
    expect(calls.some((c) => c.endsWith('/cancel'))).toBe(false);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel the job' }));
    await waitFor(() => expect(within(ready).getByTestId('job-state').textContent).toBe('cancelled'));
    expect(within(ready).queryByRole('button', { name: 'Cancel' })).toBeNull();
    within(ready).getByRole('button', { name: 'Retry now' });
    // the counts are asked again
    await waitFor(() => expect(calls.filter((c) => c === 'GET /api/v1/admin/jobs').length).toBeGreaterThanOrEqual(3));
  });

  it('explains a 409 in the UI language and shows the job as it is now', async () => {
    serve({
      'GET /api/v1/auth/account': account(true),
      'GET /api/v1/admin/jobs': () => jsonResponse(200, overview),
      'GET /api/v1/admin/jobs/example': () => jsonResponse(200, { items: [job(2)], next_cursor: null }),
      'POST /api/v1/admin/jobs/example/2/cancel': () => jsonResponse(409, { error: { code: 'conflict', message: 'a done job cannot be cancelled' } }),
      'GET /api/v1/admin/jobs/example/2': () => jsonResponse(200, job(2, { state: 'done', attempts: 1, updated_at: Date.now() })),
    });
    renderUi(<JobsPage />, { path: '/admin/jobs', lang: 'ru' });
    const row = await screen.findByTestId('job-row');
    fireEvent.click(within(row).getByRole('button', { name: 'Отменить' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Отменить задачу' }));
    expect((await within(row).findByRole('alert')).textContent).toContain('Эту задачу нельзя отменить: она уже выполнена.');
    await waitFor(() => expect(within(row).getByTestId('job-state').textContent).toBe('выполнена'));
  });

  it('filters by state and queue through the address, and loads more pages on next_cursor', async () => {
    const calls = serve({
      'GET /api/v1/auth/account': account(true),
      'GET /api/v1/admin/jobs': () => jsonResponse(200, overview),
      'GET /api/v1/admin/jobs/example': (req) => {
        const q = new URL(req.url).searchParams;
        if (q.get('cursor') === '5') return jsonResponse(200, { items: [job(4), job(3)], next_cursor: null });
        return jsonResponse(200, { items: [job(6), job(5)], next_cursor: '5' });
      },
    });
    renderUi(<JobsPage />, { path: '/admin/jobs?limit=2' });
    await screen.findAllByTestId('job-row');
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('job-row')).toHaveLength(4));
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    expect(calls).toContain('GET /api/v1/admin/jobs/example?cursor=5&limit=2');

    fireEvent.click(screen.getByRole('button', { name: 'Dead' }));
    await waitFor(() => expect(calls).toContain('GET /api/v1/admin/jobs/example?state=dead&limit=2'));
    expect(screen.getByRole('button', { name: 'Dead' }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.change(screen.getByTestId('jobs-queue'), { target: { value: 'webhook.deliver' } });
    await waitFor(() => expect(calls).toContain('GET /api/v1/admin/jobs/example?state=dead&queue=webhook.deliver&limit=2'));
  });

  it('says when there are no jobs, or no module has any', async () => {
    serve({
      'GET /api/v1/auth/account': account(true),
      'GET /api/v1/admin/jobs': () => jsonResponse(200, []),
    });
    renderUi(<JobsPage />, { path: '/admin/jobs' });
    expect((await screen.findByTestId('jobs-no-modules')).textContent).toBe('No module of this server has background jobs.');
  });
});
