import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert, AlertSettings, AlertSettingsChange, AutomationAccount } from '../../api/types';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { AlertsSection } from './AlertsSection';

const PATH = '/api/v1/automation/alerts';
const account = (id: number, connector: string): AutomationAccount => ({
  id,
  name: `Agent ${id}`,
  connector,
  actor_id: 100 + id,
  actor_name: `agent${id}`,
  state: 'active',
  state_detail: '',
  daily_limit: 200,
  used_today: 3,
  created_at: Date.UTC(2026, 4, 1),
});
const defaults: AlertSettings = {
  account_id: null,
  chat_id: null,
  kinds: { job_failed: true, account_down: true, queue_high: false, campaign_finished: true, autopost_failed: true },
  queue_threshold: 1000,
  min_interval_secs: 900,
};
const alert = (id: number, more: Partial<Alert> = {}): Alert => ({ id, kind: 'account_down', text: 'Agent 1 is logged out', state: 'sent', detail: null, repeats: 0, created_at: Date.UTC(2026, 4, 2) + id, ...more });

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

function serveAlerts() {
  const state = { now: defaults, sent: [] as AlertSettingsChange[], tested: null as Alert['state'] | null };
  serve({
    'GET /api/v1/automation/accounts': () => jsonResponse(200, { items: [account(1, 'hybrid'), account(2, 'telegram_user'), account(3, 'telegram_bot')], next_cursor: null }),
    [`GET ${PATH}/settings`]: () => jsonResponse(200, state.now),
    [`PATCH ${PATH}/settings`]: async (req) => {
      const change = (await req.json()) as AlertSettingsChange;
      state.sent.push(change);
      if ((change.queue_threshold ?? 0) > 1_000_000) return jsonResponse(422, { error: { code: 'validation_failed', message: 'must be between 1 and 1000000', field: 'queue_threshold' } });
      const { kinds, ...rest } = change;
      state.now = { ...state.now, ...(rest as Partial<AlertSettings>), kinds: { ...state.now.kinds, ...(kinds ?? {}) } as AlertSettings['kinds'] };
      return jsonResponse(200, state.now);
    },
    // The server answers a test alert `pending`; its job sends it, and the list says so later.
    [`GET ${PATH}`]: () => jsonResponse(200, { items: [...(state.tested ? [alert(2, { kind: 'test', text: 'This is a test alert.', state: state.tested })] : []), alert(1, { state: 'suppressed', detail: 'one was sent 2 minutes ago', repeats: 3 })], next_cursor: null }),
    [`POST ${PATH}/test`]: () => {
      state.tested = 'pending';
      return jsonResponse(201, alert(2, { kind: 'test', text: 'This is a test alert.', state: 'pending' }));
    },
  });
  return state;
}

describe('Automation → Alerts', () => {
  it('sets the destination, a kind, the threshold and the interval, sending only what changed; a 422 at its field', async () => {
    const state = serveAlerts();
    renderUi(<AlertsSection />);
    const form = await screen.findByTestId('alert-form');
    const accountSelect = within(form).getByLabelText('Account that posts them');
    // A Telegram user account cannot post alerts: only Hybrid accounts and bots are offered.
    await waitFor(() => expect(Array.from(accountSelect.querySelectorAll('option')).map((o) => o.value)).toEqual(['', '1', '3']));
    expect(within(form).queryByLabelText('Chat id')).toBeNull();
    fireEvent.change(accountSelect, { target: { value: '1' } });
    fireEvent.change(within(form).getByLabelText('Chat id'), { target: { value: '42' } });
    const queue = within(form).getByRole('switch', { name: /The queue is long/ }) as HTMLInputElement;
    expect(queue.checked).toBe(false);
    fireEvent.click(queue);
    fireEvent.click(within(form).getByRole('switch', { name: /A campaign finished/ }));
    // Not a number: said before anything is sent.
    fireEvent.change(within(form).getByLabelText('Long queue from'), { target: { value: 'lots' } });
    expect(within(form).getByLabelText('Long queue from').getAttribute('aria-invalid')).toBe('true');
    expect((within(form).getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(within(form).getByLabelText('Long queue from'), { target: { value: '99999999' } });
    fireEvent.change(within(form).getByLabelText('Minutes between alerts'), { target: { value: '30' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    const threshold = within(form).getByLabelText('Long queue from');
    await waitFor(() => expect(threshold.getAttribute('aria-invalid')).toBe('true'));
    expect(state.sent[0]).toEqual({ account_id: 1, chat_id: 42, kinds: { queue_high: true, campaign_finished: false }, queue_threshold: 99999999, min_interval_secs: 1800 });
    expect(document.getElementById(threshold.getAttribute('aria-describedby') ?? '')?.textContent).toBe('Must be between 1 and 1000000.');

    fireEvent.change(threshold, { target: { value: '500' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(state.now.queue_threshold).toBe(500));
    expect(await screen.findByText('Saved')).toBeTruthy();
    expect(state.now).toMatchObject({ account_id: 1, chat_id: 42, min_interval_secs: 1800, kinds: { queue_high: true, campaign_finished: false } });
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);

    // No account: the destination is cleared.
    fireEvent.change(screen.getByLabelText('Account that posts them'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(state.sent.at(-1)).toEqual({ account_id: null }));
  });

  it('sends a test alert, follows it until it is sent, and lists the recent ones with their repeats, in Russian', async () => {
    const state = serveAlerts();
    renderUi(<AlertsSection />, { lang: 'ru' });
    const recent = await screen.findByTestId('alerts-recent');
    const first = await within(recent).findByTestId('alert');
    expect(within(first).getByTestId('alert-state').textContent).toBe('Придержано');
    expect(within(first).getByTestId('alert-detail').textContent).toBe('one was sent 2 minutes ago');
    expect(first.textContent).toContain('Аккаунт остановлен');
    // Three more of its kind came within the interval: counted on it.
    expect(within(first).getByTestId('alert-repeats').textContent).toBe('ещё 3');
    fireEvent.click(within(recent).getByRole('button', { name: 'Отправить проверочное' }));
    // Recorded, not sent yet: it heads the list as sending.
    expect((await within(recent).findByTestId('alert-test-result')).textContent).toBe('Проверочное оповещение отправляется…');
    await waitFor(() => expect(within(recent).getAllByTestId('alert')).toHaveLength(2));
    const test = within(recent).getAllByTestId('alert')[0]!;
    expect(test.textContent).toContain('Проверка');
    expect(within(test).getByTestId('alert-state').textContent).toBe('Отправляется');
    expect(within(test).getByTestId('alert-text').textContent).toBe('This is a test alert.');
    expect(within(test).queryByTestId('alert-repeats')).toBeNull();
    expect(screen.getByText('Сбой автопостинга')).toBeTruthy();
    // Its job sends it; the list, asked again while one is pending, shows it sent.
    state.tested = 'sent';
    await waitFor(() => expect(within(recent).getAllByTestId('alert')[0]?.getAttribute('data-state')).toBe('sent'), { timeout: 5_000 });
    expect(within(recent).getAllByTestId('alert')[0]?.querySelector('[data-testid="alert-state"]')?.textContent).toBe('Отправлено');
    expect(within(recent).getByTestId('alert-test-result').textContent).toBe('Проверочное оповещение отправлено.');
  }, 10_000);

  it('says how many more of a kind were counted on an alert, in English', async () => {
    serveAlerts();
    renderUi(<AlertsSection />);
    const first = await within(await screen.findByTestId('alerts-recent')).findByTestId('alert');
    expect(within(first).getByTestId('alert-repeats').textContent).toBe('+3 more');
  });
});
