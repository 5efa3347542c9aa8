/**
 * Email notifications (docs/notifications.md): an address, confirmed by a link the server
 * mails to it before anything else goes there; mentions, replies and direct messages still
 * unread some minutes after they came; and a daily digest at a time of day in a time zone.
 * The card's form as plain values, and the `PUT` that saves it (it replaces everything).
 */
import { isApiError } from '../../api/errors';
import type { EmailSettings, EmailSettingsUpdate } from '../../api/types';
import type { I18n } from '../../i18n/index';
import { durationText } from '../../ui/errorText';

/** The waits offered, in minutes; 0: never. */
export const DELAYS: readonly number[] = [0, 5, 15, 30, 60, 240];

/** The digest time offered when there is none yet. */
export const DEFAULT_DIGEST = '08:00';

/** The fields the server names in a 422, in the order the card shows them. */
export const EMAIL_FIELDS = ['address', 'unread_after_minutes', 'digest_at', 'time_zone'] as const;

export interface EmailForm {
  address: string;
  unreadAfter: number;
  digest: boolean;
  digestAt: string;
  timeZone: string;
}

/** The form as saved; with no email yet, the digest's time zone is the browser's (`localZone`). */
export function emailForm(saved: EmailSettings, localZone: string): EmailForm {
  return {
    address: saved.address ?? '',
    unreadAfter: saved.unread_after_minutes,
    digest: Boolean(saved.digest_at),
    digestAt: saved.digest_at ?? DEFAULT_DIGEST,
    timeZone: saved.address ? saved.time_zone : localZone,
  };
}

/** What the form saves: all of it (an empty address removes email, as `{}` does). */
export function emailUpdate(form: EmailForm): EmailSettingsUpdate {
  const address = form.address.trim();
  if (!address) return {};
  return {
    address,
    unread_after_minutes: form.unreadAfter,
    digest_at: form.digest ? form.digestAt : null,
    time_zone: form.timeZone,
  };
}

/** The waits to choose from: the usual ones, and the saved one if it is another. */
export function delayChoices(current: number): number[] {
  return DELAYS.includes(current) ? [...DELAYS] : [...DELAYS, current].sort((a, b) => a - b);
}

/** A wait in words: "Never", "15 minutes", "1 hour", "4 hours". */
export function delayLabel(minutes: number, t: I18n['t']): string {
  if (minutes <= 0) return t('email.never');
  if (minutes % 60 === 0) return t('time.hours', { count: minutes / 60 });
  return t('time.minutes', { count: minutes });
}

/**
 * Where the saved address stands, for the address as typed: `confirmed`, `waiting` for its
 * link, or `new` (another address, or none saved: saving sends a link).
 */
export function addressState(saved: EmailSettings, typed: string): 'confirmed' | 'waiting' | 'new' | 'none' {
  const address = typed.trim();
  if (!address) return 'none';
  if (!saved.address || saved.address !== address) return 'new';
  return saved.verified ? 'confirmed' : 'waiting';
}

/**
 * Why another link was not sent: too many this hour (`429 rate_limited`: five a user, a new
 * address's included), with when to ask again; other errors as `other` says.
 */
export function resendErrorText(e: unknown, t: I18n['t'], other: (e: unknown) => string): string {
  if (!isApiError(e) || e.status !== 429) return other(e);
  const text = t('email.tooManyLinks');
  return e.retryAfter ? `${text} ${t('error.retryIn', { time: durationText(e.retryAfter, t) })}` : text;
}
