import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors';
import type { Webhook } from '../../api/types';
import { translate, type Key, type Lang, type Vars } from '../../i18n/index';
import { errorText } from '../../ui/errorText';
import { addErrorText, attemptText, hookState, lastAttempt, newWebhook, withHook } from './webhooks';

const tr = (lang: Lang) => (key: Key, vars?: Vars) => translate(lang, key, vars);
const hook = (id: number, more: Partial<Webhook> = {}): Webhook => ({ id, url: `https://example.com/${id}`, created_at: 1, failures: 0, ...more });

describe('webhooks', () => {
  it('adds the URL trimmed, and a chat only when one is chosen', () => {
    expect(newWebhook({ url: '  https://example.com/hook ', chat: '' })).toEqual({ url: 'https://example.com/hook' });
    expect(newWebhook({ url: 'https://example.com/hook', chat: '42' })).toEqual({ url: 'https://example.com/hook', chat_id: 42 });
    expect(newWebhook({ url: 'x', chat: 'nope' })).toEqual({ url: 'x' });
  });

  it('is active until the server turns it off', () => {
    expect(hookState(hook(1))).toBe('active');
    expect(hookState(hook(1, { disabled_at: null, failures: 2 }))).toBe('active');
    expect(hookState(hook(1, { disabled_at: 1_700_000_000_000, failures: 3 }))).toBe('disabled');
  });

  it('keeps the list without the secret: a new hook at the end, a changed one in place', () => {
    const list = [hook(1), hook(2, { disabled_at: 5, failures: 3 })];
    expect(withHook(list, { ...hook(3), secret: 'whsec_abc' })).toEqual([hook(1), hook(2, { disabled_at: 5, failures: 3 }), hook(3)]);
    expect(withHook(list, hook(2, { disabled_at: null, failures: 0 }))).toEqual([hook(1), hook(2, { disabled_at: null, failures: 0 })]);
    expect(withHook(undefined, { ...hook(1), secret: 's' })).toEqual([hook(1)]);
  });

  it('reads a delivery’s last attempt', () => {
    expect(lastAttempt({ attempts: [] })).toBeUndefined();
    const attempts = [
      { attempt: 1, at: 1, status: 500, duration_ms: 3 },
      { attempt: 2, at: 2, error: 'connection refused', duration_ms: 1 },
    ];
    expect(lastAttempt({ attempts })?.attempt).toBe(2);
    expect(lastAttempt({ attempts: [...attempts].reverse() })?.attempt).toBe(2);
  });

  it('says an attempt in a few words, in both languages', () => {
    expect(attemptText({ attempt: 1, at: 1, status: 200, duration_ms: 35 }, tr('en'))).toBe('HTTP 200 · 35 ms');
    expect(attemptText({ attempt: 2, at: 1, status: 500, error: 'answered 500', duration_ms: 4 }, tr('en'))).toBe('HTTP 500: answered 500 · 4 ms');
    expect(attemptText({ attempt: 3, at: 1, status: null, error: 'connection refused', duration_ms: 1 }, tr('ru'))).toBe('Нет ответа: connection refused · 1 мс');
  });

  it('explains a chat I am not in, the limit, and the URL’s rule', () => {
    const other = (e: unknown) => errorText(e, tr('en'));
    expect(addErrorText(new ApiError(404, { code: 'not_found', message: 'no such chat' }), tr('en'), other)).toBe('You are not in that chat any more: choose another one.');
    expect(addErrorText(new ApiError(404, { code: 'not_found', message: '' }), tr('ru'), other)).toBe('Вас больше нет в этом чате: выберите другой.');
    const many = new ApiError(409, { code: 'too_many_webhooks', message: 'you have 10 webhooks, the most one may: remove one first' });
    expect(addErrorText(many, tr('en'), other)).toBe('You have as many webhooks as one may: remove one first.');
    const url = new ApiError(422, { code: 'validation_failed', message: 'must be an http(s) URL of at most 2048 characters', field: 'url' });
    expect(errorText(url, tr('en'), { inField: true })).toBe('Must be an address starting with http:// or https://, at most 2048 characters.');
    expect(errorText(url, tr('ru'))).toBe('Адрес вебхука (URL): должен быть адрес, начинающийся с http:// или https://, не длиннее 2048 символов.');
  });

  it('words the failures and the note of a turned-off hook in Russian plurals', () => {
    expect(translate('ru', 'webhooks.failures', { count: 2 })).toBe('2 неудачные доставки подряд');
    expect(translate('ru', 'webhooks.disabledNote', { count: 3, date: '1 мая' })).toBe('Выключен 1 мая из-за повторяющихся ошибок: 3 доставки подряд не удались.');
    expect(translate('en', 'webhooks.attempts', { count: 12 })).toBe('12 attempts');
  });
});
