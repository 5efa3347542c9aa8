/** Russian and English UI text: the browser's language picks one, the settings switch it. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en } from './en';
import { ru } from './ru';

export type Lang = 'en' | 'ru';
export type Plural = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
export type Dict = Record<string, string | Plural>;
export type Key = keyof typeof en;

export const dictionaries: Record<Lang, Dict> = { en, ru };
const STORAGE_KEY = 'hybrid.lang';

export function detectLang(languages: readonly string[] = navigator.languages ?? [navigator.language]): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'ru') return saved;
  } catch {
    // storage may be off
  }
  for (const l of languages) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'ru' || base === 'uk' || base === 'be' || base === 'kk') return 'ru';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export type Vars = Record<string, string | number>;

export function translate(lang: Lang, key: Key, vars?: Vars): string {
  const entry = dictionaries[lang][key] ?? en[key];
  let text: string;
  if (entry === undefined) {
    text = key;
  } else if (typeof entry === 'string') {
    text = entry;
  } else {
    const rule = new Intl.PluralRules(lang).select(Number(vars?.count ?? 0));
    const forms = entry as Plural;
    text = forms[rule] ?? forms.other;
  }
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
  return text;
}

export interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: Key, vars?: Vars): string;
}

const Ctx = createContext<I18n | null>(null);

export function I18nProvider({ children, initial }: { children: ReactNode; initial?: Lang }) {
  const [lang, setLangState] = useState<Lang>(() => initial ?? detectLang());
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      // ignore
    }
  }, []);
  const value = useMemo<I18n>(() => ({ lang, setLang, t: (key, vars) => translate(lang, key, vars) }), [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
