import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Stats, StatsDay } from '../../api/types';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { StatsSection } from './StatsSection';

const zero = (day: string): StatsDay => ({ day, invited: 0, link_sent: 0, already_member: 0, privacy_restricted: 0, not_mutual_contact: 0, not_found: 0, failed: 0, posts_sent: 0, posts_failed: 0 });
const stats = (days: number): Stats => ({
  tz: 'Europe/Moscow',
  from: '2026-05-01',
  to: '2026-05-03',
  days: [{ ...zero('2026-05-01'), invited: 4, not_found: 1 }, zero('2026-05-02'), { ...zero('2026-05-03'), invited: 2, privacy_restricted: 3, posts_sent: 2, posts_failed: 1 }].slice(0, days >= 7 ? 3 : 1),
  campaigns: [{ id: 7, name: 'Spring', state: 'running', total: 10, outcomes: { invited: 6, privacy_restricted: 3, not_found: 1 } }],
  accounts: [{ id: 1, name: 'Agent 1', connector: 'hybrid', state: 'active', used_today: 12, daily_limit: 50 }],
  queue: { contacts_pending: 4, posts_approved: 5, deliveries_pending: 0 },
  posts_published: 2,
});
const cell = (row: HTMLElement, col: string) => row.querySelector(`[data-col="${col}"]`)?.textContent;

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Automation → Statistics', () => {
  it('shows the numbers per day in a table with totals, the campaigns, the accounts and the queue; another range asks again', async () => {
    const calls = serve({
      'GET /api/v1/automation/stats': (req) => jsonResponse(200, stats(Number(new URL(req.url).searchParams.get('days')))),
    });
    renderUi(<StatsSection />);
    const table = await screen.findByTestId('stats-table');
    expect(calls[0]).toMatch(/^GET \/api\/v1\/automation\/stats\?days=30&tz=/);
    // Newest day first; the same numbers the chart draws.
    const rows = within(table).getAllByTestId('stats-row');
    expect(rows.map((r) => r.dataset.day)).toEqual(['2026-05-03', '2026-05-02', '2026-05-01']);
    expect(cell(rows[0]!, 'invited')).toBe('2');
    expect(cell(rows[0]!, 'privacy_restricted')).toBe('3');
    expect(cell(rows[0]!, 'posts_sent')).toBe('2');
    expect(cell(rows[0]!, 'posts_failed')).toBe('1');
    expect(cell(rows[2]!, 'not_found')).toBe('1');
    const total = within(table).getByTestId('stats-total');
    expect(cell(total, 'invited')).toBe('6');
    expect(cell(total, 'posts_sent')).toBe('2');
    expect(within(table).getByRole('columnheader', { name: 'Privacy' })).toBeTruthy();
    expect(screen.getByRole('img', { name: 'Invites per day by outcome' })).toBeTruthy();

    expect(screen.getByTestId('stats-posts-published').textContent).toBe('2');
    expect(screen.getByTestId('stats-contacts-pending').textContent).toBe('4');
    expect(screen.getByTestId('stats-posts-approved').textContent).toBe('5');
    const campaign = screen.getByTestId('stats-campaign');
    expect(campaign.querySelector('th')?.textContent).toBe('Spring');
    expect(cell(campaign, 'total')).toBe('10');
    expect(cell(campaign, 'invited')).toBe('6');
    expect(within(campaign).getByTestId('stats-campaign-state').textContent).toBe('Running');
    const account = screen.getByTestId('stats-account');
    expect(within(account).getByTestId('stats-account-usage').textContent).toBe('12 of 50');
    expect((within(account).getByRole('progressbar') as HTMLProgressElement).value).toBe(12);

    fireEvent.change(screen.getByTestId('stats-timezone'), { target: { value: 'Europe/Moscow' } });
    fireEvent.click(screen.getByRole('button', { name: '7 days' }));
    await waitFor(() => expect(calls).toContain('GET /api/v1/automation/stats?days=7&tz=Europe%2FMoscow'));
    expect(screen.getByRole('button', { name: '7 days' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('exports the CSV with the token for the range and zone shown, in Russian', async () => {
    const createObjectURL = vi.fn(() => 'blob:csv');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    let name = '';
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      name = this.download;
    });
    let exported = '';
    let auth: string | null = null;
    serve({
      'GET /api/v1/automation/stats': () => jsonResponse(200, stats(90)),
      'GET /api/v1/automation/stats/export': (req) => {
        exported = new URL(req.url).search;
        auth = req.headers.get('authorization');
        return new Response('day,kind,id,name,outcome,count\n', { status: 200, headers: { 'content-type': 'text/csv' } });
      },
    });
    renderUi(<StatsSection />, { lang: 'ru' });
    await screen.findByTestId('stats-table');
    expect(screen.getByRole('columnheader', { name: 'Постов отправлено' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: '90 дней' }));
    fireEvent.change(screen.getByTestId('stats-timezone'), { target: { value: 'Asia/Tokyo' } });
    fireEvent.click(screen.getByTestId('stats-export'));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(exported).toBe('?days=90&tz=Asia%2FTokyo');
    expect(auth).toBe('Bearer owner-token');
    expect(name).toBe('automation-stats.csv');
    expect(createObjectURL).toHaveBeenCalled();
    click.mockRestore();
  });
});
