import { describe, expect, it } from 'vitest';
import spec from '../api/openapi.json';
import { en } from './en';
import { detectLang, translate } from './index';
import { ru } from './ru';

describe('i18n', () => {
  it('has the same keys in Russian and English', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
  });

  it('translates only error codes the server has', () => {
    const codes = new Set<string>([...spec.components.schemas.ErrorCode.enum, 'network']);
    const translated = Object.keys(en)
      .filter((k) => k.startsWith('error.') && !k.startsWith('error.field.') && k !== 'error.too_many_requests_minutes')
      .map((k) => k.slice('error.'.length));
    expect(translated.length).toBeGreaterThan(10);
    expect(translated.filter((c) => !codes.has(c))).toEqual([]);
  });

  it('uses Russian plural forms', () => {
    expect(translate('ru', 'chat.members', { count: 1 })).toBe('1 участник');
    expect(translate('ru', 'chat.members', { count: 3 })).toBe('3 участника');
    expect(translate('ru', 'chat.members', { count: 5 })).toBe('5 участников');
    expect(translate('ru', 'chat.members', { count: 21 })).toBe('21 участник');
    expect(translate('en', 'chat.members', { count: 1 })).toBe('1 member');
    expect(translate('en', 'chat.members', { count: 2 })).toBe('2 members');
  });

  it('picks the language from the browser, and a saved choice first', () => {
    expect(detectLang(['ru-RU', 'en'])).toBe('ru');
    expect(detectLang(['de-DE', 'en-US'])).toBe('en');
    expect(detectLang(['fr'])).toBe('en');
    localStorage.setItem('hybrid.lang', 'ru');
    expect(detectLang(['en-US'])).toBe('ru');
  });
});
