import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContentBlock, ContentChapter, ContentSource, SummaryEstimate } from '../../api/types';
import { source } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { AutomationRoutes } from './AutomationPage';
import { applyAutomationFrame } from './frames';

const BASE = '/api/v1/automation/sources';
const chapters: ContentChapter[] = [
  { index: 0, title: 'Глава 1. Начало', blocks: 1, chars: 1105, summarised: 1, used: 1 },
  { index: 1, title: 'Глава 2. Середина', blocks: 3, chars: 8406, summarised: 1, used: 0 },
  { index: 2, title: 'Глава 3. Конец', blocks: 1, chars: 826, summarised: 0, used: 0 },
];
const block = (seq: number, more: Partial<ContentBlock> = {}): ContentBlock => ({
  id: 100 + seq,
  seq,
  chapter: 1,
  title: `Глава 2. Середина (part ${seq})`,
  chapter_title: 'Глава 2. Середина',
  part: seq,
  parts: 3,
  text: `Text of block ${seq}.`,
  chars: 2800,
  summary_state: 'none',
  used: false,
  ...more,
});
/** Spaces as the language's number format puts them (narrow or not), as plain ones. */
const nb = (s: string | null) => (s ?? '').replace(/[\u00a0\u202f]/g, ' ');
const offline: SummaryEstimate = { blocks: 5, by: 'offline', tokens_in: 0, tokens_out: 0, minutes: 0 };

function routes() {
  return (
    <Routes>
      <Route path="/automation/*" element={<AutomationRoutes />} />
    </Routes>
  );
}

/** The book's server: `state.now` is what it answers; start and stop move it. */
function serveBook(state: { now: ContentSource; estimate: SummaryEstimate }, more: Record<string, (req: Request) => Response | Promise<Response>> = {}) {
  return serve({
    [`GET ${BASE}/1`]: () => jsonResponse(200, state.now),
    [`GET ${BASE}/1/chapters`]: () => jsonResponse(200, chapters),
    [`GET ${BASE}/1/summaries/estimate`]: () => jsonResponse(200, state.estimate),
    [`POST ${BASE}/1/summaries/start`]: () => {
      state.now = { ...state.now, summaries: { ...state.now.summaries, running: true, queued: state.estimate.blocks, error: undefined } };
      return jsonResponse(200, state.now);
    },
    [`POST ${BASE}/1/summaries/stop`]: () => {
      state.now = { ...state.now, summaries: { ...state.now.summaries, running: false, queued: 0 } };
      return jsonResponse(200, state.now);
    },
    'GET /api/v1/automation/posts': () => jsonResponse(200, { items: [], next_cursor: null }),
    ...more,
  });
}

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Automation → Content: a book', () => {
  it('renames the book, a refusal said at the name', async () => {
    const state = { now: source(1), estimate: offline };
    const calls = serveBook(state, {
      [`PATCH ${BASE}/1`]: async (req) => {
        const { name } = (await req.json()) as { name: string };
        if (!name) return jsonResponse(422, { error: { code: 'validation_failed', message: 'must be 1 to 64 characters', field: 'name' } });
        state.now = { ...state.now, name };
        return jsonResponse(200, state.now);
      },
    });
    renderUi(routes(), { path: '/automation/content/1' });
    const page = await screen.findByTestId('book-page');
    fireEvent.click(within(page).getByRole('button', { name: `Rename the book ${state.now.name}` }));
    const input = within(page).getByTestId('book-rename-input') as HTMLInputElement;
    fireEvent.change(input, { target: { value: '  ' } });
    fireEvent.click(within(page).getByTestId('book-rename-save'));
    await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
    fireEvent.change(input, { target: { value: 'Моя книга' } });
    fireEvent.click(within(page).getByTestId('book-rename-save'));
    await waitFor(() => expect(within(page).queryByTestId('book-rename-form')).toBeNull());
    expect(within(page).getByRole('heading', { name: 'Моя книга' })).toBeTruthy();
    expect(calls).toContain(`PATCH ${BASE}/1`);
  });

  it('shows the estimate (offline), starts summarising, moves with a frame, stops and estimates the rest', async () => {
    const state = { now: source(1), estimate: offline };
    const calls = serveBook(state);
    const { qc } = renderUi(routes(), { path: '/automation/content/1' });
    const panel = await screen.findByTestId('summaries');
    const estimate = await within(panel).findByTestId('estimate');
    expect(estimate.dataset.by).toBe('offline');
    expect(within(estimate).getByTestId('estimate-blocks').textContent).toBe('5 blocks to summarise');
    expect(within(estimate).getByTestId('estimate-by').textContent).toBe('Offline: the built-in summariser on this server, free (no model is set).');
    expect(within(estimate).queryByTestId('estimate-tokens')).toBeNull();
    expect(within(estimate).queryByTestId('estimate-cost')).toBeNull();
    expect(within(panel).getByTestId('summaries-progress').textContent).toBe('0 of 5 blocks summarised');

    fireEvent.click(within(panel).getByRole('button', { name: 'Summarise 5 blocks' }));
    await within(panel).findByTestId('summaries-stop');
    expect(within(panel).getByTestId('summaries-running').textContent).toBe('Summarising');
    expect(within(panel).getByTestId('summaries-queued').textContent).toBe('5 in the queue');
    expect(within(panel).queryByTestId('estimate')).toBeNull();
    expect(calls).toContain(`POST ${BASE}/1/summaries/start`);

    // Three blocks summarised: the frame has the book asked again.
    state.now = { ...state.now, summaries: { ...state.now.summaries, done: 3, queued: 2 } };
    act(() => applyAutomationFrame(qc, { type: 'automation.content_updated', source_id: 1 }));
    await waitFor(() => expect(within(panel).getByTestId('summaries-progress').textContent).toBe('3 of 5 blocks summarised'));
    expect((within(panel).getByRole('progressbar', { name: 'Blocks summarised' }) as HTMLProgressElement).value).toBe(3);

    state.estimate = { ...offline, blocks: 2 };
    fireEvent.click(within(panel).getByRole('button', { name: 'Stop' }));
    await within(panel).findByRole('button', { name: 'Summarise 2 blocks' });
    expect(within(panel).queryByTestId('summaries-running')).toBeNull();
    expect(within(panel).getByTestId('estimate-blocks').textContent).toBe('2 blocks to summarise');
  });

  it('estimates a model’s run with tokens, cost and minutes, and says why the provider stopped the last one, in Russian', async () => {
    const state = {
      now: source(1, { summaries: { running: false, done: 1, queued: 0, failed: 1, tokens_in: 12000, tokens_out: 300, error: 'the provider refused the key (401): Incorrect API key provided' } }),
      estimate: { blocks: 4, by: 'gpt-4o-mini', tokens_in: 10000, tokens_out: 32000, cost_usd: 0.0034, minutes: 1 },
    };
    serveBook(state, {
      [`POST ${BASE}/1/summaries/start`]: () => jsonResponse(409, { error: { code: 'wrong_state', message: 'the book is extracting, not ready' } }),
    });
    renderUi(routes(), { path: '/automation/content/1', lang: 'ru' });
    const panel = await screen.findByTestId('summaries');
    const estimate = await within(panel).findByTestId('estimate');
    expect(within(estimate).getByTestId('estimate-blocks').textContent).toBe('4 блока без изложения');
    expect(within(estimate).getByTestId('estimate-by').textContent).toBe('Модель gpt-4o-mini.');
    expect(nb(within(estimate).getByTestId('estimate-tokens').textContent)).toBe('около 10 000 токенов на входе, до 32 000 на выходе');
    expect(nb(within(estimate).getByTestId('estimate-cost').textContent)).toBe('около 0,0034 $');
    expect(within(estimate).getByTestId('estimate-minutes').textContent).toBe('не меньше 1 минуты');
    expect(within(panel).getByTestId('summaries-error').textContent).toContain('Провайдер остановил запуск: the provider refused the key (401)');
    expect(within(panel).getByTestId('summaries-failed').textContent).toBe('1 с ошибкой');
    expect(nb(within(panel).getByTestId('summaries-tokens').textContent)).toBe('токены: 12 000 на входе, 300 на выходе');

    fireEvent.click(within(panel).getByRole('button', { name: 'Изложить 4 блока' }));
    await waitFor(() => expect(within(panel).getAllByRole('alert').map((a) => a.textContent).join('|')).toContain('Книга ещё не готова.'));

    // The chapters, with what is summarised and used.
    const list = screen.getByTestId('chapters');
    const rows = within(list).getAllByTestId('chapter');
    expect(rows.map((r) => within(r).getByTestId('chapter-title').textContent)).toEqual(['Глава 1. Начало', 'Глава 2. Середина', 'Глава 3. Конец']);
    expect(within(rows[1] as HTMLElement).getByTestId('chapter-summarised').textContent).toBe('изложено 1/3');
    expect(within(rows[0] as HTMLElement).getByTestId('chapter-used').textContent).toBe('1 в посте');
    expect(within(rows[1] as HTMLElement).queryByTestId('chapter-used')).toBeNull();
    expect(within(rows[1] as HTMLElement).getByTestId('chapter-link').getAttribute('href')).toBe('/automation/content/1/chapters/1');
  });

  it('pages through a chapter’s blocks, each with its summary, badges and error, its text folded', async () => {
    const calls = serveBook(
      { now: source(1), estimate: offline },
      {
        [`GET ${BASE}/1/blocks`]: (req) =>
          new URL(req.url).searchParams.get('cursor') === '2'
            ? jsonResponse(200, { items: [block(3, { summary_state: 'failed', summary_error: 'the model answered nothing' })], next_cursor: null })
            : jsonResponse(200, {
                items: [
                  block(1, { summary_state: 'done', used: true, summary: { text: 'The hero leaves.', by: 'offline', tokens_in: 0, tokens_out: 0 } }),
                  block(2, { summary_state: 'done', summary: { text: 'He meets a friend.', by: 'gpt-4o-mini', tokens_in: 900, tokens_out: 120 } }),
                ],
                next_cursor: '2',
              }),
      },
    );
    renderUi(routes(), { path: '/automation/content/1/chapters/1' });
    const page = await screen.findByTestId('chapter-page');
    await waitFor(() => expect(within(page).getByRole('heading').textContent).toBe('Глава 2. Середина'));
    await waitFor(() => expect(within(page).getAllByTestId('block')).toHaveLength(2));
    expect(within(page).getByTestId('chapter-counts').textContent).toBe('3 blocks · 8,406 characters');
    const [first, second] = within(page).getAllByTestId('block') as [HTMLElement, HTMLElement];
    expect(within(first).getByTestId('block-title').textContent).toBe('Глава 2. Середина (part 1)');
    expect(within(first).getByTestId('block-summary-state').textContent).toBe('Summarised');
    expect(within(first).getByTestId('block-used').textContent).toBe('Used in a post');
    expect(within(first).getByTestId('block-summary').textContent).toContain('The hero leaves.');
    expect(within(first).getByTestId('block-summary-by').textContent).toBe('Summary by the offline summariser');
    expect(within(second).getByTestId('block-summary-by').textContent).toBe('Summary by gpt-4o-mini · tokens: 900 in, 120 out');
    expect(within(second).queryByTestId('block-used')).toBeNull();
    const text = within(first).getByTestId('block-text') as HTMLDetailsElement;
    expect(text.open).toBe(false);
    fireEvent.click(within(text).getByText('Text'));
    expect(text.open).toBe(true);
    expect(text.textContent).toContain('Text of block 1.');

    fireEvent.click(within(page).getByTestId('blocks-more'));
    await waitFor(() => expect(within(page).getAllByTestId('block')).toHaveLength(3));
    const third = within(page).getAllByTestId('block')[2] as HTMLElement;
    expect(within(third).getByTestId('block-summary-state').textContent).toBe('Failed');
    expect(within(third).getByTestId('block-error').textContent).toBe('the model answered nothing');
    expect(within(page).queryByTestId('blocks-more')).toBeNull();
    expect(calls.filter((c) => c.startsWith(`GET ${BASE}/1/blocks`))).toEqual([`GET ${BASE}/1/blocks?chapter=1&limit=10`, `GET ${BASE}/1/blocks?chapter=1&cursor=2&limit=10`]);
    expect(within(page).getByTestId('back-to-book').getAttribute('href')).toBe('/automation/content/1');
  });
});
