import { QueryClient, type QueryKey } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../state/keys';
import { source } from '../../test/fixtures';
import { blockTitle, formatUsd, postMoves, priceField, settingsChange, settingsForm, settingsInvalid, unsummarised } from './content';
import { CONTENT_FRAME_MS, applyAutomationFrame, isAutomationFrame } from './frames';

const saved = {
  base_url: 'https://api.openai.com/v1',
  has_api_key: true,
  model: 'gpt-4o-mini',
  summary_prompt: 'S {text}',
  post_prompt: 'P {summary}',
  price_in: 0.15,
  price_out: 0.6,
  requests_per_minute: 20,
};

describe('content helpers', () => {
  it('titles a block in the reader\'s language, with its part only when the chapter has several', () => {
    const partOf = ({ chapter, part }: { chapter: string; part: number }) => `${chapter} (часть ${part})`;
    expect(blockTitle({ chapter_title: 'Глава 2', part: 2, parts: 3 }, partOf, '—')).toBe('Глава 2 (часть 2)');
    expect(blockTitle({ chapter_title: 'Глава 1', part: 1, parts: 1 }, partOf, '—')).toBe('Глава 1');
    expect(blockTitle({ chapter_title: '', part: 1, parts: 1 }, partOf, 'Без названия')).toBe('Без названия');
  });

  it('sends only the settings that changed, the key only when typed, a trailing slash as the same address', () => {
    const form = settingsForm(saved);
    expect(form.apiKey).toBe('');
    expect(settingsChange(form, saved)).toEqual({});
    expect(settingsChange({ ...form, baseUrl: 'https://api.openai.com/v1/' }, saved)).toEqual({});
    expect(settingsChange({ ...form, apiKey: '  sk-1 ', model: ' ', priceOut: '2.5', rpm: '60' }, saved)).toEqual({ api_key: 'sk-1', model: '', price_out: 2.5, requests_per_minute: 60 });
    expect(settingsChange({ ...form, priceIn: '' }, saved)).toEqual({ price_in: 0 });
  });

  it('reads prices with a comma or a point, and says which numbers are not', () => {
    expect(priceField('0,15')).toBe(0.15);
    expect(priceField('.5')).toBe(0.5);
    expect(priceField('')).toBe(0);
    expect(priceField('-1')).toBeNaN();
    expect(priceField('1e3')).toBeNaN();
    expect(settingsInvalid({ ...settingsForm(saved), priceOut: 'x', rpm: '0' })).toEqual(['price_out', 'requests_per_minute']);
  });

  it('offers the state changes a post allows, and counts what is left to summarise', () => {
    expect(postMoves('draft')).toEqual(['approved', 'skipped']);
    expect(postMoves('approved')).toEqual(['draft', 'skipped']);
    expect(postMoves('skipped')).toEqual(['approved', 'draft']);
    expect(postMoves('generating')).toEqual([]);
    expect(unsummarised(source(1, { blocks: 5, summaries: { running: false, done: 2, queued: 0, failed: 1, tokens_in: 0, tokens_out: 0 } }))).toBe(3);
  });

  it('writes dollars with four places under a dollar', () => {
    expect(formatUsd(0.0034, 'en')).toBe('$0.0034');
    expect(formatUsd(12.5, 'en')).toBe('$12.50');
    expect(formatUsd(0, 'en')).toBe('$0.00');
  });
});

describe('automation.content_updated frames', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const stale = (qc: QueryClient, key: QueryKey) => qc.getQueryState(key)?.isInvalidated;

  it('ask again for the book, its chapters, blocks and posts, the list and the estimate; a burst makes one more round', () => {
    vi.useFakeTimers();
    const qc = new QueryClient();
    const mine = [keys.contentSource(1), keys.contentChapters(1), keys.contentBlocks(1, 0), keys.contentPosts(1), keys.contentPosts(1, 'draft'), keys.contentSources, keys.contentEstimate(1)];
    const other = [keys.contentSource(2), keys.contentChapters(2), keys.contentEstimate(2), keys.campaigns];
    const fill = () => [...mine, ...other].forEach((k) => qc.setQueryData(k, { items: [] }));
    fill();
    const frame = { type: 'automation.content_updated' as const, source_id: 1 };
    expect(isAutomationFrame(frame)).toBe(true);
    applyAutomationFrame(qc, frame);
    expect(mine.map((k) => stale(qc, k))).toEqual(mine.map(() => true));
    expect(other.map((k) => stale(qc, k))).toEqual(other.map(() => false));

    // Two more within the second: nothing now, one round at its end.
    fill();
    applyAutomationFrame(qc, { ...frame, post_id: 4 });
    applyAutomationFrame(qc, frame);
    expect(stale(qc, keys.contentSource(1))).toBe(false);
    vi.advanceTimersByTime(CONTENT_FRAME_MS);
    expect(mine.map((k) => stale(qc, k))).toEqual(mine.map(() => true));

    // Quiet after that: the next frame is applied at once.
    vi.advanceTimersByTime(CONTENT_FRAME_MS);
    fill();
    applyAutomationFrame(qc, frame);
    expect(stale(qc, keys.contentChapters(1))).toBe(true);
  });
});
