import { translate, type Lang } from './index';

const DAY = 86_400_000;

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}

const timeFormats = new Map<Lang, Intl.DateTimeFormat>();

/** The locale's own clock: "6:47 AM" in English, "6:47" (24-hour) in Russian; no leading zero. */
export function formatTime(ms: number, lang: Lang): string {
  let f = timeFormats.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' });
    timeFormats.set(lang, f);
  }
  return f.format(ms);
}

/** Text folded for matching: case-insensitive, and ё matches е (as Russian readers expect). */
export function fold(text: string): string {
  return text.toLowerCase().replace(/ё/g, 'е');
}

/** "Today", "Yesterday", "12 March", "12 March 2024". */
export function formatDay(ms: number, lang: Lang, now = Date.now()): string {
  const diff = startOfDay(now) - startOfDay(ms);
  if (diff === 0) return lang === 'ru' ? 'Сегодня' : 'Today';
  if (diff === DAY) return lang === 'ru' ? 'Вчера' : 'Yesterday';
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(lang, {
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(ms);
}

/** Chat list times: the time today, the weekday this week, else a short date. */
export function formatListTime(ms: number, lang: Lang, now = Date.now()): string {
  const diff = startOfDay(now) - startOfDay(ms);
  if (diff === 0) return formatTime(ms, lang);
  if (diff < 6 * DAY) return new Intl.DateTimeFormat(lang, { weekday: 'short' }).format(ms);
  return new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short' }).format(ms);
}

/** "Mar 12, 2026, 6:47 AM" / "12 мар. 2026 г., 6:47": the same clock as formatTime. */
export function formatDateTime(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(ms);
}

/** "Dec 4, 2026, 6:47:05 PM" / "4 дек. 2026 г., 18:47:05": formatDateTime with seconds (hover text). */
export function formatExact(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(lang, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
  }).format(ms);
}

const RELATIVE_UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * DAY],
  ['month', 30 * DAY],
  ['day', DAY],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/**
 * "in 59 minutes", "3 hours ago", "now" / "через 59 минут", "3 часа назад", "сейчас": the
 * largest unit that fits, rounded; under 10 seconds either way is "now".
 */
export function formatRelative(ms: number, lang: Lang, now = Date.now()): string {
  const diff = ms - now;
  const f = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  if (Math.abs(diff) < 10_000) return f.format(0, 'second');
  for (let i = 0; i < RELATIVE_UNITS.length; i++) {
    const [unit, size] = RELATIVE_UNITS[i] as [Intl.RelativeTimeFormatUnit, number];
    if (Math.abs(diff) < size && unit !== 'second') continue;
    const value = Math.round(diff / size);
    // 59.9 minutes reads as "in 1 hour", not "in 60 minutes"
    const larger = RELATIVE_UNITS[i - 1];
    if (larger && Math.abs(value) * size >= larger[1]) return f.format(Math.round(diff / larger[1]), larger[0]);
    return f.format(value, unit);
  }
  return f.format(0, 'second');
}

/** A number in the language's style: "10,000" / "10 000", with at most `digits` decimals. */
export function formatNumber(n: number, lang: Lang, digits = 0): string {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(n);
}

const SIZE_UNITS = ['size.b', 'size.kb', 'size.mb', 'size.gb', 'size.tb'] as const;

/**
 * A file size for people: "512 B", "1.5 KB", "48 KB", "9.5 MB" / "512 Б", "1,5 КБ": powers of
 * 1024, one decimal under 10, the unit from the dictionary, the number in the language's style.
 */
export function formatSize(bytes: number, lang: Lang): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  for (;;) {
    const digits = unit === 0 || value >= 10 ? 0 : 1;
    const shown = Number(value.toFixed(digits));
    if (shown < 1024 || unit === SIZE_UNITS.length - 1) {
      const n = formatNumber(shown, lang, digits);
      return translate(lang, SIZE_UNITS[unit] as (typeof SIZE_UNITS)[number], { n });
    }
    value /= 1024;
    unit += 1;
  }
}
