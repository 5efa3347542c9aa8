/**
 * Bots' keyboards as people see them (docs/bots.md "Keyboards"). A bot's message carries its
 * `reply_markup` as the Bot API has it, checked and normalised by the server: an inline
 * keyboard (buttons under the message: `callback_data`, pressed through
 * `POST …/messages/{seq}/callback`, or a `url`), a reply keyboard (buttons over the composer
 * whose text is sent as a message), `remove_keyboard`, `force_reply`. The logic as plain
 * functions: what a markup holds, which reply keyboard a chat shows, which links may open.
 */
import type { CallbackAnswer, Message } from '../../api/types';

/** A button under a message: it sends `callback_data` to the bot, or it is a link. */
export type InlineButton = { text: string; callback_data: string } | { text: string; url: string };

/** A reply keyboard: rows of texts to send, and how the bot wants it shown. */
export interface ReplyKeyboard {
  /** The message that put it there (a one-time keyboard hides once used, per message). */
  seq: number;
  rows: string[][];
  oneTime: boolean;
  placeholder?: string;
}

type Markup = Record<string, unknown>;

function markupOf(m: Pick<Message, 'reply_markup' | 'deleted'>): Markup | null {
  const markup = m.reply_markup;
  return !m.deleted && markup && typeof markup === 'object' && !Array.isArray(markup) ? (markup as Markup) : null;
}

/** The rows of a markup's `key` (arrays of arrays), each button read by `read`; empty rows dropped. */
function rowsOf<T>(markup: Markup, key: string, read: (button: unknown) => T | null): T[][] {
  const rows = markup[key];
  if (!Array.isArray(rows)) return [];
  return rows
    .map((row) => (Array.isArray(row) ? row.map(read).filter((b): b is T => b !== null) : []))
    .filter((row) => row.length > 0);
}

function text(button: unknown): string | null {
  if (typeof button === 'string') return button.trim() ? button : null;
  if (!button || typeof button !== 'object') return null;
  const t = (button as { text?: unknown }).text;
  return typeof t === 'string' && t.trim() ? t : null;
}

function inlineButton(button: unknown): InlineButton | null {
  const label = text(button);
  if (!label || typeof button !== 'object' || button === null) return null;
  const b = button as { callback_data?: unknown; url?: unknown };
  if (typeof b.callback_data === 'string' && b.callback_data) return { text: label, callback_data: b.callback_data };
  if (typeof b.url === 'string' && b.url) return { text: label, url: b.url };
  return null;
}

/** The inline keyboard under a message (rows of buttons), or none. */
export function inlineRows(m: Pick<Message, 'reply_markup' | 'deleted'>): InlineButton[][] {
  const markup = markupOf(m);
  return markup ? rowsOf(markup, 'inline_keyboard', inlineButton) : [];
}

/**
 * The reply keyboard a chat shows: the latest message whose markup has one, unless a later
 * message (of a bot: only bots' messages carry markup) removed it. Inline keyboards and
 * `force_reply` leave it as it is.
 */
export function replyKeyboard(messages: readonly Pick<Message, 'seq' | 'reply_markup' | 'deleted'>[]): ReplyKeyboard | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    const markup = m ? markupOf(m) : null;
    if (!m || !markup) continue;
    if (markup.remove_keyboard === true) return null;
    if (!('keyboard' in markup)) continue;
    const rows = rowsOf(markup, 'keyboard', text);
    if (rows.length === 0) return null;
    const placeholder = typeof markup.input_field_placeholder === 'string' && markup.input_field_placeholder.trim() ? markup.input_field_placeholder : undefined;
    return { seq: m.seq, rows, oneTime: markup.one_time_keyboard === true, ...(placeholder ? { placeholder } : {}) };
  }
  return null;
}

/** `url` when it is an http(s) address a page may open, else null (`javascript:`, `tg://`, junk). */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** What a press comes to for the person: a passing notice, an alert to dismiss, a link, or "no answer". */
export type PressOutcome =
  | { kind: 'notice'; text: string; url: string | null }
  | { kind: 'alert'; text: string; url: string | null }
  | { kind: 'link'; url: string }
  | { kind: 'silent' }
  | { kind: 'unanswered' };

/** Reads the bot's answer (answerCallbackQuery) to a press. */
export function pressOutcome(answer: CallbackAnswer): PressOutcome {
  if (!answer.answered) return { kind: 'unanswered' };
  const url = safeUrl(answer.url);
  const said = answer.text?.trim() ?? '';
  if (said) return { kind: answer.show_alert ? 'alert' : 'notice', text: said, url };
  return url ? { kind: 'link', url } : { kind: 'silent' };
}
