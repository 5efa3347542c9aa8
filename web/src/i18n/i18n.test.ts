import { describe, expect, it } from 'vitest';
import { en } from './en';
import { detectLang, translate } from './index';
import { ru } from './ru';

describe('i18n', () => {
  it('has the same keys in Russian and English', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
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
