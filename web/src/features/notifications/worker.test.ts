import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { keys } from '../../state/keys';
import { knownNames, openMessage } from './worker';

describe('the page’s side of the service worker', () => {
  it('names everyone whose profile is loaded, me too', () => {
    const qc = new QueryClient();
    const profile = (id: number, username: string, display_name: string) => ({ id, username, display_name, bio: '', created_at: 1 });
    qc.setQueryData(keys.user(5), profile(5, 'boris', 'Boris'));
    qc.setQueryData(keys.user(6), profile(6, 'vera', ' '));
    qc.setQueryData(keys.me, profile(1, 'anna', 'Anna'));
    expect(knownNames(qc)).toEqual({ 1: 'Anna', 5: 'Boris', 6: 'vera' });
  });

  it('follows only its own clicks to a chat', () => {
    expect(openMessage({ type: 'hybrid.open', url: '/chat/7?seq=70', id: 3 })).toEqual({ url: '/chat/7?seq=70', id: 3 });
    expect(openMessage({ type: 'hybrid.open', url: '/chat/7' })).toEqual({ url: '/chat/7' });
    expect(openMessage({ type: 'hybrid.open', url: 'https://elsewhere.example/' })).toBeNull();
    expect(openMessage({ type: 'other', url: '/chat/7' })).toBeNull();
    expect(openMessage('hybrid.open')).toBeNull();
  });
});
