import { describe, expect, it } from 'vitest';
import { fold, formatDateTime, formatTime } from './format';

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

describe('fold', () => {
  it('matches ё and е both ways, ignoring case', () => {
    expect(fold('Ёлка')).toBe(fold('елка'));
    expect(fold('ЕЛЕНА')).toBe(fold('ёлена'));
    expect(fold('Bob')).toBe('bob');
  });
});
