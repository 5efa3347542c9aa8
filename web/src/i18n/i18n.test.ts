import { describe, expect, it } from 'vitest';
import spec from '../api/openapi.json';
import { en } from './en';
import { detectLang, translate } from './index';
import { ru } from './ru';

describe('i18n', () => {
  it('has the same keys in Russian and English', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
  });

  it('translates every error code the API has (openapi.json ErrorCode), in both languages', () => {
    const codes = [...spec.components.schemas.ErrorCode.enum, 'network'];
    expect(codes.length).toBeGreaterThan(30);
    const missing = (dict: Record<string, unknown>) => codes.filter((c) => typeof dict[`error.${c}`] === 'undefined' || dict[`error.${c}`] === '');
    expect(missing(en), 'error codes without an English text').toEqual([]);
    expect(missing(ru), 'error codes without a Russian text').toEqual([]);
    const translated = Object.keys(en).filter((k) => /^error\.[a-z_]+$/.test(k)).map((k) => k.slice('error.'.length));
    const own = new Set(['network', 'unknown', 'retryIn', 'retrySoon', 'fieldRule']);
    expect(translated.filter((c) => !own.has(c) && !codes.includes(c)), 'texts for codes the server does not have').toEqual([]);
  });

  it('collects the codes from every ErrorCode-like enum of the spec', () => {
    // Services may declare codes in their own enums: any string enum whose description is the
    // error-code list counts, so a new one cannot slip past the test above.
    const schemas = spec.components.schemas as Record<string, { enum?: unknown[]; description?: string }>;
    const all = Object.entries(schemas)
      .filter(([name, s]) => Array.isArray(s.enum) && (/ErrorCode$|Code$/.test(name) && /error code/i.test(s.description ?? '')))
      .flatMap(([, s]) => s.enum as string[]);
    expect(all.length).toBeGreaterThan(30);
    const dicts: Record<string, Record<string, unknown>> = { en, ru };
    for (const [lang, dict] of Object.entries(dicts)) {
      expect(all.filter((c) => !(`error.${c}` in dict)), `${lang}: missing`).toEqual([]);
    }
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
