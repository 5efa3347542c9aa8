/**
 * The content pipeline (docs/automation.md, "The content pipeline"): books read into chapters
 * and blocks, blocks summarised, posts made from the summaries. What its screens need as plain
 * functions: the states they name, what a book is doing, the provider's presets, what the
 * settings form sends, and dollars.
 */
import type { ContentSettings, ContentSettingsChange, ContentSource } from '../../api/types';
import type { Lang } from '../../i18n/index';
import { countField } from './automation';

export const SOURCE_STATES = ['extracting', 'ready', 'failed'] as const;
export type SourceState = (typeof SOURCE_STATES)[number];

/** A block's summary: `none` yet, `queued` in a run, `done`, or `failed` (its `summary_error` says why). */
export const SUMMARY_STATES = ['none', 'queued', 'done', 'failed'] as const;
export type SummaryState = (typeof SUMMARY_STATES)[number];

export const POST_STATES = ['generating', 'draft', 'approved', 'skipped', 'failed'] as const;
export type PostState = (typeof POST_STATES)[number];

/** What the posts queue may show: every post (""), or those in one state. */
export const POST_FILTERS = ['', 'draft', 'approved', 'skipped', 'failed'] as const;

/** What a post's state may be changed to, from each state (`generating`: nothing until the model answers). */
export function postMoves(state: string): ('approved' | 'skipped' | 'draft')[] {
  switch (state) {
    case 'draft':
      return ['approved', 'skipped'];
    case 'approved':
      return ['draft', 'skipped'];
    case 'skipped':
      return ['approved', 'draft'];
    case 'failed':
      return ['skipped'];
    default:
      return [];
  }
}

/** The files the server reads as books (the picker's filter; the server decides by name and content). */
export const BOOK_ACCEPT = '.txt,.fb2,.zip,.epub,.pdf,text/plain,application/epub+zip,application/pdf';

/** Blocks of a chapter per page (each is up to 4000 characters, its text folded). */
export const BLOCKS_PAGE = 10;
export const POSTS_PAGE = 20;

/** OpenAI-compatible providers a base URL can be picked from. */
export const PROVIDERS = [
  { id: 'openai', name: 'OpenAI', url: 'https://api.openai.com/v1' },
  { id: 'together', name: 'Together.ai', url: 'https://api.together.xyz/v1' },
  { id: 'local', name: 'local', url: 'http://127.0.0.1:8000/v1' },
] as const;

/** Whether a book moves by itself now (being read, or summarised): its lists are asked again now and then. */
export function sourceBusy(source: ContentSource): boolean {
  return source.state === 'extracting' || source.summaries.running;
}

/** A chapter's title, or what stands for the text before the first heading (`untitled`). */
export function chapterTitle(chapter: { title: string }, untitled: string): string {
  return chapter.title || untitled;
}

/** A block's title in the reader's language: its chapter's, with "(part k)" when the chapter
 * has several blocks (`partOf` is the `content.partOf` text, `untitled` stands for no title). */
export function blockTitle(
  block: { chapter_title: string; part: number; parts: number },
  partOf: (vars: { chapter: string; part: number }) => string,
  untitled: string,
): string {
  const chapter = chapterTitle({ title: block.chapter_title }, untitled);
  return block.parts > 1 ? partOf({ chapter, part: block.part }) : chapter;
}

/** Blocks of a book left to summarise (failed ones count: a start takes them again). */
export function unsummarised(source: ContentSource): number {
  return Math.max(0, source.blocks - source.summaries.done);
}

export interface SettingsForm {
  baseUrl: string;
  /** A new key to set (write-only: the saved one is never shown). */
  apiKey: string;
  model: string;
  summaryPrompt: string;
  postPrompt: string;
  priceIn: string;
  priceOut: string;
  rpm: string;
}

export function settingsForm(s: ContentSettings): SettingsForm {
  return {
    baseUrl: s.base_url,
    apiKey: '',
    model: s.model,
    summaryPrompt: s.summary_prompt,
    postPrompt: s.post_prompt,
    priceIn: String(s.price_in),
    priceOut: String(s.price_out),
    rpm: String(s.requests_per_minute),
  };
}

/** A price field as dollars: empty is 0 (unknown), a comma reads as the decimal point; NaN when not a number ≥ 0. */
export function priceField(text: string): number {
  const t = text.trim().replace(',', '.');
  if (!t) return 0;
  return /^\d+(\.\d*)?$|^\.\d+$/.test(t) ? Number(t) : Number.NaN;
}

/** The fields of the form that cannot be sent as typed (not numbers), by the API's names. */
export function settingsInvalid(form: SettingsForm): ('price_in' | 'price_out' | 'requests_per_minute')[] {
  const bad: ('price_in' | 'price_out' | 'requests_per_minute')[] = [];
  if (Number.isNaN(priceField(form.priceIn))) bad.push('price_in');
  if (Number.isNaN(priceField(form.priceOut))) bad.push('price_out');
  if (!Number.isFinite(countField(form.rpm) ?? Number.NaN)) bad.push('requests_per_minute');
  return bad;
}

/**
 * What saving the form sends: the fields that differ from the saved settings, and the key only
 * when one was typed (removing it is a button of its own, `api_key: ""`).
 */
export function settingsChange(form: SettingsForm, saved: ContentSettings): ContentSettingsChange {
  const change: ContentSettingsChange = {};
  // the server keeps the address without a trailing slash
  if (form.baseUrl.trim().replace(/\/+$/, '') !== saved.base_url) change.base_url = form.baseUrl.trim();
  if (form.apiKey.trim()) change.api_key = form.apiKey.trim();
  if (form.model.trim() !== saved.model) change.model = form.model.trim();
  if (form.summaryPrompt !== saved.summary_prompt) change.summary_prompt = form.summaryPrompt;
  if (form.postPrompt !== saved.post_prompt) change.post_prompt = form.postPrompt;
  const priceIn = priceField(form.priceIn);
  if (!Number.isNaN(priceIn) && priceIn !== saved.price_in) change.price_in = priceIn;
  const priceOut = priceField(form.priceOut);
  if (!Number.isNaN(priceOut) && priceOut !== saved.price_out) change.price_out = priceOut;
  const rpm = countField(form.rpm);
  if (rpm !== undefined && Number.isFinite(rpm) && rpm !== saved.requests_per_minute) change.requests_per_minute = rpm;
  return change;
}

/** Dollars as a reader wants them: cents, or four places for less than a dollar ($0.0042). */
export function formatUsd(usd: number, lang: Lang): string {
  return new Intl.NumberFormat(lang, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: usd > 0 && usd < 1 ? 4 : 2,
  }).format(usd);
}
