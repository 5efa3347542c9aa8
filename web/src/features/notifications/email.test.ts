import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors';
import type { EmailSettings } from '../../api/types';
import { translate, type Key, type Lang, type Vars } from '../../i18n/index';
import { errorText } from '../../ui/errorText';
import { addressState, delayChoices, delayLabel, emailForm, emailUpdate, resendErrorText } from './email';

const tr = (lang: Lang) => (key: Key, vars?: Vars) => translate(lang, key, vars);
const none: EmailSettings = { address: null, verified: false, unread_after_minutes: 15, digest_at: null, time_zone: 'UTC', available: true };
const waiting: EmailSettings = { address: 'anna@example.com', verified: false, unread_after_minutes: 30, digest_at: '07:45', time_zone: 'Asia/Tokyo', available: true };

describe('email settings', () => {
  it('starts from what is saved; with no email yet, the digest is in the browser’s time zone', () => {
    expect(emailForm(none, 'Europe/Moscow')).toEqual({ address: '', unreadAfter: 15, digest: false, digestAt: '08:00', timeZone: 'Europe/Moscow' });
    expect(emailForm(waiting, 'Europe/Moscow')).toEqual({ address: 'anna@example.com', unreadAfter: 30, digest: true, digestAt: '07:45', timeZone: 'Asia/Tokyo' });
  });

  it('saves everything at once; no digest is null; no address removes email', () => {
    const form = emailForm(waiting, 'UTC');
    expect(emailUpdate({ ...form, address: '  anna@example.org ' })).toEqual({
      address: 'anna@example.org',
      unread_after_minutes: 30,
      digest_at: '07:45',
      time_zone: 'Asia/Tokyo',
    });
    expect(emailUpdate({ ...form, digest: false, unreadAfter: 0 })).toMatchObject({ unread_after_minutes: 0, digest_at: null });
    expect(emailUpdate({ ...form, address: ' ' })).toEqual({});
  });

  it('offers the usual waits, and a saved one that is not among them', () => {
    expect(delayChoices(15)).toEqual([0, 5, 15, 30, 60, 240]);
    expect(delayChoices(90)).toEqual([0, 5, 15, 30, 60, 90, 240]);
    expect(delayChoices(1440)).toEqual([0, 5, 15, 30, 60, 240, 1440]);
  });

  it('says the waits in words, in both languages', () => {
    expect([0, 5, 60, 90, 240].map((m) => delayLabel(m, tr('en')))).toEqual(['Never', '5 minutes', '1 hour', '90 minutes', '4 hours']);
    expect([0, 1, 15, 60, 240].map((m) => delayLabel(m, tr('ru')))).toEqual(['Не присылать', '1 минуту', '15 минут', '1 час', '4 часа']);
  });

  it('tells where the typed address stands against the saved one', () => {
    expect(addressState(waiting, 'anna@example.com')).toBe('waiting');
    expect(addressState({ ...waiting, verified: true }, ' anna@example.com ')).toBe('confirmed');
    expect(addressState({ ...waiting, verified: true }, 'anna@example.org')).toBe('new');
    expect(addressState(none, 'anna@example.com')).toBe('new');
    expect(addressState(waiting, '')).toBe('none');
  });

  it('explains a link asked for too often, with when to ask again', () => {
    const other = (e: unknown) => errorText(e, tr('en'));
    const soonWait = new ApiError(429, { code: 'rate_limited', message: '' }, 42);
    expect(resendErrorText(soonWait, tr('ru'), other)).toBe('За последний час отправлено слишком много ссылок. Попробуйте через 42 секунды.');
    const hour = new ApiError(429, { code: 'rate_limited', message: 'you are asking for confirmation links too fast' }, 1800);
    expect(resendErrorText(hour, tr('en'), other)).toBe('Too many links were sent in the last hour. Try again in 30 minutes.');
    const nothing = new ApiError(409, { code: 'nothing_to_verify', message: '' });
    expect(resendErrorText(nothing, tr('en'), other)).toBe('There is no address waiting to be confirmed.');
  });

  it('reads the server’s rules for the address and the wait', () => {
    const address = new ApiError(422, { code: 'validation_failed', message: 'must be an email address', field: 'address' });
    expect(errorText(address, tr('en'), { inField: true })).toBe('Must be an email address, such as name@example.com.');
    expect(errorText(address, tr('ru'))).toBe('Адрес почты: должен быть адрес почты, например name@example.com.');
    const wait = new ApiError(422, { code: 'validation_failed', message: 'must be 0 (never) to 1440 (a day)', field: 'unread_after_minutes' });
    expect(errorText(wait, tr('en'), { inField: true })).toBe('Must be between 0 and 1440.');
  });
});
