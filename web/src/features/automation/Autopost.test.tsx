import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AutomationAccount, NewSchedule, Publication, Schedule } from '../../api/types';
import { keys } from '../../state/keys';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { applyAutomationFrame } from './frames';
import { SchedulePage } from './SchedulePage';
import { SchedulesSection } from './SchedulesSection';

const BASE = '/api/v1/automation/schedules';
const account = (id: number, more: Partial<AutomationAccount> = {}): AutomationAccount => ({
  id,
  name: `Agent ${id}`,
  connector: 'hybrid',
  actor_id: 100 + id,
  actor_name: `agent${id}`,
  state: 'active',
  state_detail: '',
  daily_limit: 200,
  used_today: 3,
  created_at: Date.UTC(2026, 4, 1),
  ...more,
});
const schedule = (more: Partial<Schedule> = {}): Schedule => ({
  id: 9,
  name: 'Mornings',
  timezone: 'Europe/Moscow',
  times: ['09:00', '18:30'],
  weekdays: [1, 3, 5],
  random_order: false,
  source_id: null,
  state: 'running',
  next_slot_at: Date.UTC(2026, 4, 4, 6, 0),
  targets: [{ id: 1, account_id: 1, account_name: 'Agent 1', connector: 'hybrid', chat_id: 42 }],
  posts_waiting: 3,
  created_at: Date.UTC(2026, 4, 1),
  updated_at: Date.UTC(2026, 4, 1),
  ...more,
});
const publication = (id: number, more: Partial<Publication> = {}): Publication => ({
  id,
  schedule_id: 9,
  post_id: 70 + id,
  preview: `Post ${id} text`,
  trigger: 'slot',
  slot_at: Date.UTC(2026, 4, 3, 6, 0),
  state: 'published',
  detail: null,
  deliveries: [],
  created_at: Date.UTC(2026, 4, 3, 6, 0) + id,
  ...more,
});
const common = {
  'GET /api/v1/automation/accounts': () => jsonResponse(200, { items: [account(1), account(2, { name: 'Bot', connector: 'telegram_bot' })], next_cursor: null }),
  'GET /api/v1/automation/sources': () => jsonResponse(200, { items: [], next_cursor: null }),
  'GET /api/v1/chats': () => jsonResponse(200, { items: [], next_cursor: null }),
};

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

function renderSection() {
  return renderUi(
    <Routes>
      <Route path="/automation/autopost" element={<SchedulesSection />} />
      <Route path="/automation/autopost/:id" element={<p>opened the schedule</p>} />
    </Routes>,
    { path: '/automation/autopost' },
  );
}

describe('Automation → Autopost: schedules', () => {
  it('makes a schedule: name, zone, two times, weekdays, random order, two targets; a 422 is said at its chat id first', async () => {
    const sent: NewSchedule[] = [];
    serve({
      ...common,
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      [`POST ${BASE}`]: async (req) => {
        const body = (await req.json()) as NewSchedule;
        sent.push(body);
        if (body.targets[1]?.chat_id === 5) return jsonResponse(422, { error: { code: 'validation_failed', message: 'the account is not in this chat', field: 'targets[1].chat_id' } });
        return jsonResponse(201, schedule({ id: 11, name: body.name }));
      },
    });
    renderSection();
    expect(await screen.findByTestId('schedules-none')).toBeTruthy();
    const form = screen.getByTestId('schedule-form');
    const submit = within(form).getByTestId('schedule-submit') as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: ' Evenings ' } });
    fireEvent.change(within(form).getByLabelText('Time zone'), { target: { value: 'Europe/Moscow' } });
    fireEvent.change(within(form).getByLabelText('Time 1'), { target: { value: '18:30' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add a time' }));
    fireEvent.change(within(form).getByLabelText('Time 2'), { target: { value: '09:00' } });
    // Weekends off: Monday to Friday.
    fireEvent.click(within(form).getByRole('button', { name: 'Saturday' }));
    fireEvent.click(within(form).getByRole('button', { name: 'Sunday' }));
    expect(within(form).getByRole('button', { name: 'Sunday' }).getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(within(form).getByLabelText(/Random order/));
    await waitFor(() => expect(within(form).getByLabelText('Account 1').querySelectorAll('option')).toHaveLength(3));
    fireEvent.change(within(form).getByLabelText('Account 1'), { target: { value: '1' } });
    fireEvent.change(within(form).getByLabelText('Chat id 1'), { target: { value: '42' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add a chat' }));
    fireEvent.change(within(form).getByLabelText('Account 2'), { target: { value: '2' } });
    fireEvent.change(within(form).getByLabelText('Chat id 2'), { target: { value: '5' } });
    expect(submit.disabled).toBe(false);
    fireEvent.click(submit);

    const chat2 = within(form).getByLabelText('Chat id 2');
    await waitFor(() => expect(chat2.getAttribute('aria-invalid')).toBe('true'));
    expect(within(form).getByLabelText('Chat id 1').getAttribute('aria-invalid')).toBe('false');
    expect(sent[0]).toEqual({
      name: 'Evenings',
      timezone: 'Europe/Moscow',
      times: ['09:00', '18:30'],
      weekdays: [1, 2, 3, 4, 5],
      random_order: true,
      source_id: null,
      targets: [
        { account_id: 1, chat_id: 42 },
        { account_id: 2, chat_id: 5 },
      ],
    });
    fireEvent.change(chat2, { target: { value: '-1001234567890' } });
    fireEvent.click(submit);
    expect(await screen.findByText('opened the schedule')).toBeTruthy();
    expect(sent[1]?.targets[1]).toEqual({ account_id: 2, chat_id: -1001234567890 });
    // A long form (every time zone is an option): more time than the default under a loaded machine.
  }, 20_000);

  it('lists a schedule with its next slot in its zone and here, stops and starts it, says a 409, and publishes now', async () => {
    const state = { now: schedule(), stopRefused: false };
    const calls = serve({
      ...common,
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [state.now], next_cursor: null }),
      [`GET ${BASE}/9`]: () => jsonResponse(200, state.now),
      [`POST ${BASE}/9/stop`]: () => {
        if (state.stopRefused) return jsonResponse(409, { error: { code: 'wrong_state', message: 'the schedule is already stopped' } });
        state.now = { ...state.now, state: 'stopped', next_slot_at: null };
        return jsonResponse(200, state.now);
      },
      [`POST ${BASE}/9/start`]: () => {
        state.now = { ...state.now, state: 'running', next_slot_at: Date.UTC(2026, 4, 4, 6, 0) };
        return jsonResponse(200, state.now);
      },
      [`POST ${BASE}/9/publish`]: () => {
        state.now = { ...state.now, posts_waiting: 2 };
        return jsonResponse(201, publication(5, { trigger: 'now' }));
      },
    });
    renderSection();
    const row = await screen.findByTestId('schedule');
    expect(within(row).getByTestId('schedule-name').textContent).toBe('Mornings');
    expect(within(row).getByTestId('schedule-state').textContent).toBe('Running');
    expect(within(row).getByTestId('schedule-when').textContent).toBe('09:00, 18:30 · Mon, Wed, Fri · Europe/Moscow');
    // 06:00 UTC is 09:00 in Moscow.
    expect(within(row).getByTestId('schedule-next').textContent).toMatch(/^Next: .*09:00 \(Europe\/Moscow\)/);
    expect(within(row).getByTestId('schedule-waiting').textContent).toBe('3 posts waiting');

    fireEvent.click(within(row).getByRole('button', { name: 'Stop' }));
    await waitFor(() => expect(within(row).getByTestId('schedule-state').textContent).toBe('Stopped'));
    expect(within(row).getByTestId('schedule-next').textContent).toBe('No slot ahead');
    fireEvent.click(within(row).getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(within(row).getByTestId('schedule-state').textContent).toBe('Running'));

    // Stopped elsewhere meanwhile: the 409 is said, and the list asked again shows it stopped.
    state.stopRefused = true;
    state.now = { ...state.now, state: 'stopped' };
    fireEvent.click(within(row).getByRole('button', { name: 'Stop' }));
    expect((await within(row).findByRole('alert')).textContent).toContain('Not possible while');
    await waitFor(() => expect(within(row).getByTestId('schedule-state').textContent).toBe('Stopped'));

    fireEvent.click(within(row).getByRole('button', { name: 'Publish now' }));
    const result = await within(row).findByTestId('publish-result');
    expect(within(result).getByTestId('publication-state').textContent).toBe('Published');
    await waitFor(() => expect(within(row).getByTestId('schedule-waiting').textContent).toBe('2 posts waiting'));
    expect(calls).toContain(`POST ${BASE}/9/publish`);
  });

  it('deletes a schedule only once confirmed', async () => {
    const calls = serve({
      ...common,
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [schedule()], next_cursor: null }),
      [`DELETE ${BASE}/9`]: () => new Response(null, { status: 204 }),
    });
    renderSection();
    const row = await screen.findByTestId('schedule');
    fireEvent.click(within(row).getByRole('button', { name: 'Delete Mornings' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete the schedule?' });
    expect(calls.filter((c) => c.startsWith('DELETE'))).toEqual([]);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByTestId('schedules-none')).toBeTruthy();
    expect(calls).toContain(`DELETE ${BASE}/9`);
  });
});

describe('Automation → Autopost: a schedule and its log', () => {
  it('shows the deliveries (plain text, failed), pages the log, republishes, and a frame asks again', async () => {
    let second = false;
    const calls = serve({
      ...common,
      [`GET ${BASE}/9`]: () => jsonResponse(200, schedule()),
      [`GET ${BASE}/9/log`]: (req) => {
        if (new URL(req.url).searchParams.get('cursor') === 'p2') return jsonResponse(200, { items: [publication(1)], next_cursor: null });
        const first = publication(3, {
          state: 'partial',
          deliveries: [
            { id: 31, target_id: 1, account_name: 'Agent 1', chat_id: 42, state: 'sent', message_id: 17, plain_text: true, error: null, sent_at: Date.UTC(2026, 4, 3, 6, 0, 5) },
            { id: 32, target_id: 2, account_name: 'Bot', chat_id: -100, state: 'failed', message_id: null, plain_text: false, error: 'Forbidden: bot is not a member of the channel chat', sent_at: null },
          ],
        });
        const items = second ? [publication(4, { trigger: 'republish', post_id: 73 }), first, publication(2, { state: 'empty', post_id: null, detail: 'no approved post waiting' })] : [first, publication(2, { state: 'empty', post_id: null, detail: 'no approved post waiting' })];
        return jsonResponse(200, { items, next_cursor: 'p2' });
      },
      'POST /api/v1/automation/publications/3/republish': () => jsonResponse(201, publication(4, { trigger: 'republish', post_id: 73 })),
    });
    const { qc } = renderUi(<SchedulePage id={9} />, { path: '/automation/autopost/9' });
    await screen.findByTestId('schedule-page');
    expect(screen.getByRole('heading', { name: 'Mornings' })).toBeTruthy();
    expect(screen.getAllByTestId('schedule-target-item').map((t) => t.textContent)).toEqual([' Agent 1 → 42']);
    const rows = () => screen.getAllByTestId('publication');
    await waitFor(() => expect(rows()).toHaveLength(2));
    const [partial, empty] = rows();
    expect(within(partial!).getByTestId('publication-state').textContent).toBe('Partly published');
    const [sent, failed] = within(partial!).getAllByTestId('delivery');
    expect(within(sent!).getByTestId('delivery-state').textContent).toBe('Sent');
    expect(within(sent!).getByTestId('delivery-message').textContent).toBe('message #17');
    expect(within(sent!).getByTestId('delivery-plain').textContent).toBe('plain text');
    expect(within(failed!).getByTestId('delivery-state').textContent).toBe('Failed');
    expect(within(failed!).queryByTestId('delivery-plain')).toBeNull();
    expect(within(failed!).getByTestId('delivery-error').textContent).toBe('Forbidden: bot is not a member of the channel chat');
    expect(within(empty!).getByTestId('publication-state').textContent).toBe('Nothing to publish');
    expect(within(empty!).queryByRole('button', { name: 'Republish' })).toBeNull();

    fireEvent.click(screen.getByTestId('publications-more'));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(calls).toContain(`GET ${BASE}/9/log?cursor=p2&limit=20`);

    fireEvent.click(within(partial!).getByRole('button', { name: 'Republish' }));
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(within(rows()[0]!).getByTestId('publication-preview').textContent).toBe('Post 4 text');
    expect(rows()[0]!.textContent).toContain('Published again');

    second = true;
    const before = calls.filter((c) => c.startsWith(`GET ${BASE}/9/log`)).length;
    act(() => applyAutomationFrame(qc, { type: 'automation.autopost_updated', schedule_id: 9, publication_id: 4 }));
    await waitFor(() => expect(calls.filter((c) => c.startsWith(`GET ${BASE}/9/log`)).length).toBeGreaterThan(before));
    expect(qc.getQueryState(keys.schedule(9))).toBeTruthy();
  });

  it('edits its settings, sending only what changed, in Russian', async () => {
    const sent: unknown[] = [];
    serve({
      ...common,
      [`GET ${BASE}/9`]: () => jsonResponse(200, schedule()),
      [`GET ${BASE}/9/log`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      [`PATCH ${BASE}/9`]: async (req) => {
        const body = (await req.json()) as { times?: string[] };
        sent.push(body);
        return jsonResponse(200, schedule({ times: body.times ?? ['09:00'], updated_at: Date.UTC(2026, 4, 2) }));
      },
    });
    renderUi(<SchedulePage id={9} />, { lang: 'ru', path: '/automation/autopost/9' });
    const form = await screen.findByTestId('schedule-form');
    expect((await screen.findByTestId('publications-none')).textContent).toBe('Пока ничего не опубликовано.');
    expect(screen.getByTestId('schedule-waiting').textContent).toBe('В очереди 3 поста');
    const save = within(form).getByRole('button', { name: 'Сохранить' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.click(within(form).getByRole('button', { name: 'Убрать время 2' }));
    fireEvent.click(save);
    await waitFor(() => expect(sent).toEqual([{ times: ['09:00'] }]));
    expect(await screen.findByText('Сохранено')).toBeTruthy();
  });
});
