import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Campaign, CampaignContact } from '../../api/types';
import { keys } from '../../state/keys';
import { chat } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { CampaignPage } from './CampaignPage';
import { applyAutomationFrame } from './frames';

const BASE = '/api/v1/automation/campaigns';
const campaign = (more: Partial<Campaign> = {}): Campaign => ({
  id: 7,
  name: 'Spring',
  account_ids: [1],
  audience_id: 3,
  target_chat_id: 42,
  mode: 'invite',
  link_text: '',
  pause_min_secs: 120,
  pause_max_secs: 300,
  created_at: Date.UTC(2026, 4, 1),
  state: 'running',
  waiting: 'pause',
  progress: { total: 10, settled: 4, outcomes: { invited: 2, privacy_restricted: 1, not_found: 1 }, eta: Date.now() + 30 * 60_000 },
  ...more,
});
const contact = (id: number, more: Partial<CampaignContact> = {}): CampaignContact => ({ id, kind: 'username', value: `p${id}`, attempts: 0, detail: '', updated_at: 1000 + id, ...more });
const count = (outcome: string) => screen.getAllByTestId('counter').find((c) => c.dataset.outcome === outcome)?.querySelector('dd')?.textContent;

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

function serveCampaign(state: { now: Campaign }, contacts: CampaignContact[]) {
  return serve({
    'GET /api/v1/chats': () => jsonResponse(200, { items: [chat(42, { kind: 'group', title: 'Book club' })], next_cursor: null }),
    [`GET ${BASE}/7`]: () => jsonResponse(200, state.now),
    [`GET ${BASE}/7/contacts`]: () => jsonResponse(200, { items: contacts, next_cursor: null }),
    [`POST ${BASE}/7/pause`]: () => {
      state.now = { ...state.now, state: 'paused', waiting: '' };
      return jsonResponse(200, state.now);
    },
    [`POST ${BASE}/7/resume`]: () => {
      state.now = { ...state.now, state: 'running' };
      return jsonResponse(200, state.now);
    },
    [`POST ${BASE}/7/cancel`]: () => {
      state.now = { ...state.now, state: 'cancelled', waiting: '', progress: { ...state.now.progress, eta: null } };
      return jsonResponse(200, state.now);
    },
    [`POST ${BASE}/7/inbound`]: () => {
      state.now = { ...state.now, inbound_path: '/api/v1/automation/inbound/abc' };
      return jsonResponse(200, { path: '/api/v1/automation/inbound/abc', secret: 'hook-secret-1' });
    },
    [`DELETE ${BASE}/7/inbound`]: () => {
      state.now = { ...state.now, inbound_path: null };
      return new Response(null, { status: 204 });
    },
  });
}

describe('Automation → a campaign', () => {
  it('shows the counters per outcome and the log latest first, pauses, resumes, and cancels only once confirmed', async () => {
    const state = { now: campaign() };
    const calls = serveCampaign(state, [
      contact(1, { outcome: 'invited', attempts: 1, updated_at: 5000, user_id: 11 }),
      contact(2, { outcome: 'not_found', attempts: 1, updated_at: 7000, detail: 'no user with that username' }),
      contact(3),
      contact(4, { outcome: 'privacy_restricted', attempts: 1, updated_at: 6000 }),
      contact(5, { outcome: 'invited', attempts: 1, updated_at: 8000 }),
    ]);
    renderUi(<CampaignPage id={7} />);
    await screen.findByTestId('campaign-page');
    expect(screen.getByRole('heading', { name: 'Spring' })).toBeTruthy();
    expect(screen.getByTestId('campaign-state').textContent).toBe('Running');
    expect(screen.getByTestId('campaign-waiting').textContent).toBe('pausing between actions');
    expect(screen.getByTestId('campaign-progress').textContent).toBe('4 of 10 people done');
    expect(screen.getByTestId('campaign-eta').textContent).toBe('ends in 30 minutes');
    expect(count('pending')).toBe('6');
    expect(count('invited')).toBe('2');
    expect(count('privacy_restricted')).toBe('1');
    expect(count('not_found')).toBe('1');
    expect(count('failed')).toBe('0');
    await waitFor(() => expect(screen.getAllByTestId('log-row')).toHaveLength(4));
    // Latest attempt first; nobody not tried yet.
    expect(screen.getAllByTestId('log-row').map((r) => r.dataset.outcome)).toEqual(['invited', 'not_found', 'privacy_restricted', 'invited']);
    const first = screen.getAllByTestId('log-row')[1] as HTMLElement;
    expect(first.textContent).toContain('@p2');
    expect(first.textContent).toContain('Not found');
    expect(first.textContent).toContain('no user with that username');
    await waitFor(() => expect(screen.getByRole('region', { name: 'Spring' }).textContent).toContain('Book club'));

    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(screen.getByTestId('campaign-state').textContent).toBe('Paused'));
    expect(screen.queryByTestId('campaign-eta')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(screen.getByTestId('campaign-state').textContent).toBe('Running'));

    fireEvent.click(screen.getByRole('button', { name: 'Cancel campaign' }));
    let dialog = screen.getByRole('dialog', { name: 'Cancel the campaign?' });
    expect(dialog.textContent).toContain('Spring stops for good, at once');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls).not.toContain(`POST ${BASE}/7/cancel`);
    expect(screen.getByTestId('campaign-state').textContent).toBe('Running');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel campaign' }));
    dialog = screen.getByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel campaign' }));
    await waitFor(() => expect(screen.getByTestId('campaign-state').textContent).toBe('Cancelled'));
    expect(calls).toContain(`POST ${BASE}/7/cancel`);
    // Ended: no pause, resume or cancel; it may be deleted now.
    expect(screen.queryByTestId('campaign-pause')).toBeNull();
    expect(screen.queryByTestId('campaign-cancel')).toBeNull();
    expect(screen.getByTestId('campaign-remove')).toBeTruthy();
  });

  it('moves with the socket: a contact frame lands in the log, and the counters are asked again', async () => {
    const state = { now: campaign({ progress: { total: 2, settled: 0, outcomes: {} } }) };
    const calls = serveCampaign(state, [contact(1), contact(2)]);
    const { qc } = renderUi(<CampaignPage id={7} />);
    await screen.findByTestId('campaign-page');
    expect(await screen.findByTestId('log-none')).toBeTruthy();
    state.now = campaign({ progress: { total: 2, settled: 1, outcomes: { already_member: 1 } } });
    act(() => applyAutomationFrame(qc, { type: 'automation.campaign_updated', campaign_id: 7, state: 'running', contact: contact(2, { outcome: 'already_member', attempts: 1, updated_at: 9000 }) }));
    await waitFor(() => expect(screen.getAllByTestId('log-row').map((r) => r.dataset.outcome)).toEqual(['already_member']));
    await waitFor(() => expect(count('already_member')).toBe('1'));
    expect(calls.filter((c) => c === `GET ${BASE}/7`)).toHaveLength(2);
    expect(qc.getQueryData(keys.campaign(7))).toMatchObject({ progress: { settled: 1 } });
  });

  it('opens the inbound webhook with its secret shown once, and closes it', async () => {
    const state = { now: campaign({ state: 'finished', waiting: '', progress: { total: 1, settled: 1, outcomes: { invited: 1 } } }) };
    serveCampaign(state, []);
    renderUi(<CampaignPage id={7} />);
    const card = await screen.findByTestId('campaign-inbound');
    expect(within(card).getByTestId('inbound-none')).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: 'Open inbound webhook' }));
    const secret = await within(card).findByTestId('inbound-secret');
    expect(within(secret).getByLabelText('Webhook secret').textContent).toBe('hook-secret-1');
    await waitFor(() => expect(within(card).getByTestId('inbound-path').textContent).toBe('/api/v1/automation/inbound/abc'));
    fireEvent.click(within(secret).getByRole('button', { name: 'Done' }));
    expect(within(card).queryByTestId('inbound-secret')).toBeNull();
    expect(screen.queryByText('hook-secret-1')).toBeNull();
    expect(within(card).getByRole('button', { name: 'New secret' })).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(within(card).getByTestId('inbound-none')).toBeTruthy());
  });

  it('explains wrong_state in Russian', async () => {
    const state = { now: campaign({ state: 'paused', waiting: '' }) };
    serve({
      [`GET ${BASE}/7`]: () => jsonResponse(200, state.now),
      [`GET ${BASE}/7/contacts`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      [`POST ${BASE}/7/resume`]: () => jsonResponse(409, { error: { code: 'wrong_state', message: 'a cancelled campaign cannot be resumed' } }),
    });
    renderUi(<CampaignPage id={7} />, { lang: 'ru' });
    fireEvent.click(await screen.findByRole('button', { name: 'Продолжить' }));
    expect((await screen.findByRole('alert')).textContent?.trim()).toBe('В текущем состоянии кампании или аккаунта это невозможно.');
  });
});
