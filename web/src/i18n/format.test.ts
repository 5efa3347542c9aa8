import { describe, expect, it } from 'vitest';
import { fold, formatDateTime, formatExact, formatRelative, formatSize, formatTime } from './format';

describe('formatTime', () => {
  const morning = new Date(2026, 2, 12, 6, 47).getTime();
  const evening = new Date(2026, 2, 12, 18, 5).getTime();

  it('reads as English users expect: 12-hour, no leading zero', () => {
    expect(formatTime(morning, 'en').replace(/\s/g, ' ')).toBe('6:47 AM');
    expect(formatTime(evening, 'en').replace(/\s/g, ' ')).toBe('6:05 PM');
  });

  it('reads as Russian users expect: 24-hour, no leading zero', () => {
    expect(formatTime(morning, 'ru')).toBe('6:47');
    expect(formatTime(evening, 'ru')).toBe('18:05');
  });

  it('uses the same clock with a date', () => {
    expect(formatDateTime(morning, 'en').replace(/\s/g, ' ')).toBe('Mar 12, 2026, 6:47 AM');
    expect(formatDateTime(morning, 'ru').replace(/\s/g, ' ')).toBe('12 мар. 2026 г., 6:47');
  });
});

describe('formatRelative and formatExact', () => {
  const now = new Date(2026, 2, 12, 18, 5, 0).getTime();

  it('says how far away a time is, in the largest unit that fits, in either language', () => {
    expect(formatRelative(now + 59 * 60_000 + 50_000, 'en', now)).toBe('in 1 hour');
    expect(formatRelative(now + 59 * 60_000 + 20_000, 'en', now)).toBe('in 59 minutes');
    expect(formatRelative(now - 59_700, 'en', now)).toBe('1 minute ago');
    expect(formatRelative(now + 3_600_000 + 5 * 60_000, 'en', now)).toBe('in 1 hour');
    expect(formatRelative(now - 3 * 3_600_000, 'en', now)).toBe('3 hours ago');
    expect(formatRelative(now - 2_000, 'en', now)).toBe('now');
    expect(formatRelative(now - 25_000, 'en', now)).toBe('25 seconds ago');
    expect(formatRelative(now + 59 * 60_000, 'ru', now)).toBe('через 59 минут');
    expect(formatRelative(now - 3 * 3_600_000, 'ru', now)).toBe('3 часа назад');
    expect(formatRelative(now - 86_400_000, 'ru', now)).toBe('вчера');
    expect(formatRelative(now + 1_000, 'ru', now)).toBe('сейчас');
  });

  it('gives the exact time with seconds, on the clock of the locale', () => {
    const t = new Date(2026, 2, 12, 6, 47, 5).getTime();
    expect(formatExact(t, 'en').replace(/\s/g, ' ')).toBe('Mar 12, 2026, 6:47:05 AM');
    expect(formatExact(t, 'ru').replace(/\s/g, ' ')).toBe('12 мар. 2026 г., 6:47:05');
  });
});

describe('fold', () => {
  it('matches ё and е both ways, ignoring case', () => {
    expect(fold('Ёлка')).toBe(fold('елка'));
    expect(fold('ЕЛЕНА')).toBe(fold('ёлена'));
    expect(fold('Bob')).toBe('bob');
  });
});

describe('formatSize', () => {
  const nb = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

  it('reads in bytes, then powers of 1024 with one decimal under 10', () => {
    expect(nb(formatSize(0, 'en'))).toBe('0 B');
    expect(nb(formatSize(512, 'en'))).toBe('512 B');
    expect(nb(formatSize(1023, 'en'))).toBe('1,023 B');
    expect(nb(formatSize(1024, 'en'))).toBe('1 KB');
    expect(nb(formatSize(1536, 'en'))).toBe('1.5 KB');
    expect(nb(formatSize(48_213, 'en'))).toBe('47 KB');
    expect(nb(formatSize(9.5 * 1024 * 1024, 'en'))).toBe('9.5 MB');
    expect(nb(formatSize(2 * 1024 ** 3, 'en'))).toBe('2 GB');
  });

  it('never shows 1024 of a unit: that is one of the next', () => {
    expect(nb(formatSize(1024 * 1024 - 1, 'en'))).toBe('1 MB');
    expect(nb(formatSize(1024 * 1023.9, 'en'))).toBe('1 MB');
  });

  it('uses Russian units and the decimal comma', () => {
    expect(nb(formatSize(512, 'ru'))).toBe('512 Б');
    expect(nb(formatSize(1536, 'ru'))).toBe('1,5 КБ');
    expect(nb(formatSize(9.5 * 1024 * 1024, 'ru'))).toBe('9,5 МБ');
    expect(nb(formatSize(3 * 1024 ** 3, 'ru'))).toBe('3 ГБ');
  });

  it('keeps the number and its unit together', () => {
    expect(formatSize(1536, 'en')).toContain('\u00a0');
  });
});
