/**
 * Outgoing webhooks (docs/notifications.md "Outgoing webhooks"): my new notifications (or one
 * chat's) POSTed to a URL of mine, signed with a secret shown once; a hook whose deliveries fail
 * for good three times in a row is turned off until turned on again. The card's logic as plain
 * functions: what an add sends, how a hook and a delivery read.
 */
import { isApiError } from '../../api/errors';
import type { DeliveryAttempt, DeliveryLog, NewWebhook, Webhook } from '../../api/types';
import type { I18n } from '../../i18n/index';

/** The most hooks one may have (`409 too_many_webhooks` past it). */
export const MAX_WEBHOOKS = 10;

/** Deliveries in a row that fail for good before the server turns a hook off. */
export const FAILURES_TO_DISABLE = 3;

/** The add form: the URL as typed, and a chat's id as the select gives it ("" for all of mine). */
export interface WebhookForm {
  url: string;
  chat: string;
}

/** What the form adds: the URL trimmed, and `chat_id` only for one chat (the body has no other fields). */
export function newWebhook(form: WebhookForm): NewWebhook {
  const url = form.url.trim();
  const chat = Number(form.chat);
  return form.chat && Number.isInteger(chat) && chat > 0 ? { url, chat_id: chat } : { url };
}

/** Active, or turned off for failing (`disabled_at`). */
export function hookState(hook: Pick<Webhook, 'disabled_at'>): 'active' | 'disabled' {
  return hook.disabled_at ? 'disabled' : 'active';
}

/** The list with one hook replaced (as the server answers it now) or added at the end; never the secret. */
export function withHook(list: readonly Webhook[] | undefined, hook: Webhook): Webhook[] {
  const { secret: _secret, ...kept } = hook;
  const all = list ?? [];
  return all.some((h) => h.id === hook.id) ? all.map((h) => (h.id === hook.id ? kept : h)) : [...all, kept];
}

/** A delivery's latest attempt (the server lists them newest last), if any yet. */
export function lastAttempt(d: Pick<DeliveryLog, 'attempts'>): DeliveryAttempt | undefined {
  return d.attempts.reduce<DeliveryAttempt | undefined>((last, a) => (!last || a.attempt >= last.attempt ? a : last), undefined);
}

/** An attempt in a few words: "HTTP 200 · 35 ms", "HTTP 500: error · 12 ms", "No answer: error". */
export function attemptText(a: DeliveryAttempt, t: I18n['t']): string {
  const answer = a.status ? `HTTP ${a.status}` : t('webhooks.noAnswer');
  const error = a.error?.trim();
  return `${answer}${error ? `: ${error}` : ''} · ${t('webhooks.ms', { count: a.duration_ms })}`;
}

/** Why a hook was not added, for what the server says in words of its own (the URL's 422 shows at its field). */
export function addErrorText(e: unknown, t: I18n['t'], other: (e: unknown) => string): string {
  // The chat chosen is not one of mine any more (left, or removed meanwhile).
  if (isApiError(e) && e.status === 404 && e.code === 'not_found') return t('webhooks.notInChat');
  return other(e);
}
