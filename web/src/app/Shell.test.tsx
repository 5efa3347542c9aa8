import { describe, expect, it } from 'vitest';
import { tabTitle } from './Shell';

describe('the tab title', () => {
  it('counts chats with unread messages, and unread notifications beside them', () => {
    expect(tabTitle(0, 0)).toBe('Hybrid');
    expect(tabTitle(3, 0)).toBe('(3) Hybrid');
    expect(tabTitle(3, 2)).toBe('(3) 🔔2 Hybrid');
    expect(tabTitle(0, 1)).toBe('🔔1 Hybrid');
  });
});
