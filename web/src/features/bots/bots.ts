/**
 * Bot accounts (docs/bots.md): a person makes bots, each with a Bot API token shown once, and
 * points a Telegram bot library at this server. The settings card's logic as plain functions:
 * the cached pages of my bots, what a form sends, the addresses a library needs.
 */
import type { InfiniteData } from '@tanstack/react-query';
import type { Bot, BotPage, NewBot } from '../../api/types';

/** The most bots one may own (`bots.max_bots_per_owner`'s default; `409 too_many_bots` past it). */
export const MAX_BOTS = 20;

/** My bots as the card caches them: pages of `GET /bots`, oldest first. */
export type BotList = InfiniteData<BotPage, string | undefined>;

/** The new-bot form as typed. */
export interface BotForm {
  username: string;
  name: string;
}

/** What the form sends: both trimmed, the username without a leading @ (the server folds its case). */
export function newBot(form: BotForm): NewBot {
  return { username: form.username.trim().replace(/^@/, ''), name: form.name.trim() };
}

/** The bot without its token: the list never keeps one. */
function withoutToken(bot: Bot): Bot {
  const { token: _token, ...kept } = bot;
  return kept;
}

/**
 * The cached pages with `bot` as the server answers it now: replaced where it is, else added
 * after the last one loaded (the list is oldest first). Never with its token.
 */
export function withBot(list: BotList | undefined, bot: Bot): BotList {
  const kept = withoutToken(bot);
  const pages = list?.pages ?? [];
  if (pages.some((p) => p.items.some((b) => b.id === bot.id))) {
    return { pageParams: list?.pageParams ?? [undefined], pages: pages.map((p) => ({ ...p, items: p.items.map((b) => (b.id === bot.id ? kept : b)) })) };
  }
  if (pages.length === 0) return { pageParams: [undefined], pages: [{ items: [kept], next_cursor: null }] };
  const last = pages.length - 1;
  return { pageParams: list?.pageParams ?? [undefined], pages: pages.map((p, i) => (i === last ? { ...p, items: [...p.items, kept] } : p)) };
}

/** The cached pages without bot `id`. */
export function withoutBot(list: BotList | undefined, id: number): BotList | undefined {
  if (!list) return list;
  return { ...list, pages: list.pages.map((p) => ({ ...p, items: p.items.filter((b) => b.id !== id) })) };
}

/** The server's address as a Bot API library wants it (`TelegramAPIServer.from_base`): this page's origin. */
export function apiBase(origin: string = window.location.origin): string {
  return origin.replace(/\/+$/, '');
}

/** The Bot API call that checks a token: `<origin>/bot<token>/getMe`. */
export function getMeUrl(token: string, origin?: string): string {
  return `${apiBase(origin)}/bot${token}/getMe`;
}
