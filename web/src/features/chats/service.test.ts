import { describe, expect, it } from 'vitest';
import { translate, type Key, type Lang } from '../../i18n/index';
import { serviceTarget, serviceText, serviceUserIds } from './service';

const names: Record<number, string> = { 1: 'Anna', 2: 'Boris', 3: 'Carol' };
const text = (lang: Lang, m: Parameters<typeof serviceText>[0], kind: 'group' | 'channel' = 'group') =>
  serviceText(m, kind, (id) => names[id] ?? '?', (k: Key, v) => translate(lang, k, v), lang);

describe('service messages', () => {
  it('say who did what, in English and Russian', () => {
    expect(text('en', { sender_id: 1, action: { type: 'chat_created', title: 'X' } })).toBe('Anna created the group «X»');
    expect(text('en', { sender_id: 1, action: { type: 'members_added', user_ids: [2, 3] } })).toBe('Anna added Boris and Carol');
    expect(text('en', { sender_id: 2, action: { type: 'members_added', user_ids: [2] } })).toBe('Boris joined the group via invite link');
    expect(text('en', { sender_id: 2, action: { type: 'member_left', user_id: 2 } })).toBe('Boris left the group');
    expect(text('en', { sender_id: 1, action: { type: 'member_left', user_id: 2 } })).toBe('Anna removed Boris');
    expect(text('en', { sender_id: 1, action: { type: 'title_changed', title: 'Y' } })).toBe('Anna changed the group name to «Y»');
    expect(text('en', { sender_id: 1, action: { type: 'chat_created', title: 'News' } }, 'channel')).toBe('Channel «News» created');
    expect(text('ru', { sender_id: 1, action: { type: 'members_added', user_ids: [2, 3] } })).toBe('Пользователь Anna добавил в группу: Boris и Carol');
    expect(text('ru', { sender_id: 1, action: { type: 'member_left', user_id: 2 } })).toBe('Пользователь Anna исключил из группы пользователя Boris');
  });

  it('say who pinned a message (a channel names nobody), and point at it', () => {
    const pinned = { sender_id: 1, action: { type: 'message_pinned' as const, seq: 42 } };
    expect(text('en', pinned)).toBe('Anna pinned a message');
    expect(text('ru', pinned)).toBe('Пользователь Anna закрепил сообщение');
    expect(text('en', pinned, 'channel')).toBe('Message pinned');
    expect(text('ru', pinned, 'channel')).toBe('Сообщение закреплено');
    expect(serviceUserIds(pinned)).toEqual([1]);
    expect(serviceTarget(pinned)).toBe(42);
    expect(serviceTarget({ action: { type: 'title_changed', title: 'Y' } })).toBeNull();
  });

  it('name the actor first, then the others once', () => {
    expect(serviceUserIds({ sender_id: 1, action: { type: 'members_added', user_ids: [1, 2] } })).toEqual([1, 2]);
    expect(serviceUserIds({ sender_id: 2, action: { type: 'member_left', user_id: 2 } })).toEqual([2]);
    expect(serviceUserIds({ sender_id: 2, action: null })).toEqual([]);
  });
});
