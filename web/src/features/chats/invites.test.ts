import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors';
import type { InviteLink } from '../../api/types';
import { translate, type Key, type Lang, type Vars } from '../../i18n/index';
import { errorText } from '../../ui/errorText';
import { inviteForm, inviteOptions, inviteUrl, isWorking, withLink } from './invites';

const tr = (lang: Lang) => (key: Key, vars?: Vars) => translate(lang, key, vars);
const NOW = 1_000_000_000;
const link = (code: string, more: Partial<InviteLink> = {}): InviteLink => ({ code, chat_id: 1, created_at: 1, created_by: 1, revoked: false, uses: 0, ...more });

describe('invite links', () => {
  it('give the join page’s address', () => {
    expect(inviteUrl('a/b c', 'https://chat.example.com')).toBe('https://chat.example.com/join/a%2Fb%20c');
  });

  it('work until revoked, expired or used up', () => {
    expect(isWorking(link('a'), NOW)).toBe(true);
    expect(isWorking(link('a', { revoked: true }), NOW)).toBe(false);
    expect(isWorking(link('a', { expires_at: NOW + 1 }), NOW)).toBe(true);
    expect(isWorking(link('a', { expires_at: NOW }), NOW)).toBe(false);
    expect(isWorking(link('a', { usage_limit: 2, uses: 1 }), NOW)).toBe(true);
    expect(isWorking(link('a', { usage_limit: 2, uses: 2 }), NOW)).toBe(false);
  });

  it('send a new link’s terms: the name trimmed, an expiry, a limit', () => {
    const blank = inviteForm();
    expect(blank).toEqual({ name: '', approval: false, expiry: 0, limit: '' });
    expect(inviteOptions(blank, undefined, NOW)).toEqual({ name: '', needs_approval: false });
    expect(inviteOptions({ name: ' Friends ', approval: false, expiry: 86_400, limit: '10' }, undefined, NOW)).toEqual({
      name: 'Friends',
      needs_approval: false,
      expires_in_secs: 86_400,
      usage_limit: 10,
    });
  });

  it('send no usage limit on a link that needs approval', () => {
    expect(inviteOptions({ name: 'Site', approval: true, expiry: 0, limit: '5' }, undefined, NOW)).toEqual({ name: 'Site', needs_approval: true });
  });

  it('edit a link with all its terms: an expiry kept as the seconds left, at least a minute', () => {
    const l = link('a', { name: 'Friends', needs_approval: true, expires_at: NOW + 3_600_500 });
    const form = inviteForm(l);
    expect(form).toEqual({ name: 'Friends', approval: true, expiry: 'keep', limit: '' });
    expect(inviteOptions(form, l, NOW)).toEqual({ name: 'Friends', needs_approval: true, expires_in_secs: 3601 });
    expect(inviteOptions(form, { ...l, expires_at: NOW + 10_000 }, NOW).expires_in_secs).toBe(60);
    // Never: no expiry sent, which removes it.
    expect(inviteOptions({ ...form, expiry: 0 }, l, NOW)).toEqual({ name: 'Friends', needs_approval: true });
    const limited = link('b', { usage_limit: 3 });
    expect(inviteOptions({ ...inviteForm(limited), limit: '' }, limited, NOW)).toEqual({ name: '', needs_approval: false });
    expect(inviteOptions(inviteForm(limited), limited, NOW)).toEqual({ name: '', needs_approval: false, usage_limit: 3 });
  });

  it('keep the list newest first: an edited link in place, a new one on top', () => {
    const list = [link('b'), link('a')];
    expect(withLink(list, link('a', { name: 'Renamed' })).map((l) => [l.code, l.name])).toEqual([
      ['b', undefined],
      ['a', 'Renamed'],
    ]);
    expect(withLink(list, link('c')).map((l) => l.code)).toEqual(['c', 'b', 'a']);
    expect(withLink(undefined, link('c')).map((l) => l.code)).toEqual(['c']);
  });

  it('say the server’s rules for a link, in both languages', () => {
    const name = new ApiError(422, { code: 'validation_failed', message: 'at most 32 characters on one line', field: 'name' });
    expect(errorText(name, tr('en'), { inField: true })).toBe('One line of at most 32 characters.');
    expect(errorText(name, tr('ru'), { inField: true })).toBe('Одна строка не длиннее 32 символов.');
    const limit = new ApiError(422, { code: 'validation_failed', message: 'a link that needs approval has no usage limit', field: 'usage_limit' });
    expect(errorText(limit, tr('en'))).toBe('Usage limit: a link that needs approval has no usage limit.');
    expect(errorText(new ApiError(409, { code: 'too_many_join_requests', message: '…' }), tr('ru'))).toBe('Вступления в этот чат уже ждут слишком многие. Попробуйте позже.');
  });
});
