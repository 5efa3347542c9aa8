import { describe, expect, it } from 'vitest';
import { effectiveLevel, isMuted, levelChange, muteChange, mutedForever, mutedUntil, withSetting, MUTES } from './levels';

const NOW = 1_800_000_000_000;

describe('chat levels and mutes', () => {
  it('a chat follows its own level, else the default for its kind, else all', () => {
    expect(effectiveLevel(undefined, undefined, 'group')).toBe('all');
    expect(effectiveLevel(undefined, { defaults: { channel: 'none' } }, 'channel')).toBe('none');
    expect(effectiveLevel(undefined, { defaults: { channel: 'none' } }, 'group')).toBe('all');
    expect(effectiveLevel({ chat_id: 1, level: 'mentions' }, { defaults: { group: 'none' } }, 'group')).toBe('mentions');
  });

  it('is muted by a mute not over yet, or by the level none', () => {
    expect(isMuted({ chat_id: 1, muted_until: NOW + 1 }, undefined, 'direct', NOW)).toBe(true);
    expect(isMuted({ chat_id: 1, muted_until: NOW - 1 }, undefined, 'direct', NOW)).toBe(false);
    expect(mutedUntil({ chat_id: 1, muted_until: NOW - 1 }, NOW)).toBeNull();
    expect(isMuted({ chat_id: 1, level: 'none' }, undefined, 'group', NOW)).toBe(true);
    expect(isMuted(undefined, { defaults: { channel: 'none' } }, 'channel', NOW)).toBe(true);
    expect(isMuted({ chat_id: 1, level: 'mentions' }, undefined, 'group', NOW)).toBe(false);
  });

  it('a level change keeps the mute; a mute keeps the level (or the default: null)', () => {
    const setting = { chat_id: 1, level: 'mentions' as const, muted_until: Date.now() + 60_000 };
    expect(levelChange(setting, 'all')).toEqual({ level: 'all', muted_until: setting.muted_until });
    expect(levelChange(undefined, 'none')).toEqual({ level: 'none', muted_until: null });
    expect(muteChange(setting, 'mute8h', NOW)).toEqual({ level: 'mentions', muted_until: NOW + 8 * 3_600_000 });
    expect(muteChange(undefined, 'mute1h', NOW)).toEqual({ level: null, muted_until: NOW + 3_600_000 });
    expect(muteChange(setting, null)).toEqual({ level: 'mentions', muted_until: null });
    expect(mutedForever(NOW + MUTES.muteForever, NOW)).toBe(true);
    expect(mutedForever(NOW + MUTES.mute1d, NOW)).toBe(false);
  });

  it('the list keeps what the server answered: a setting of its own, or none', () => {
    const list = [{ chat_id: 1, level: 'none' as const }, { chat_id: 2, muted_until: NOW }];
    expect(withSetting(list, { chat_id: 1, level: 'mentions' })).toEqual([{ chat_id: 2, muted_until: NOW }, { chat_id: 1, level: 'mentions' }]);
    expect(withSetting(list, { chat_id: 2 })).toEqual([{ chat_id: 1, level: 'none' }]);
    expect(withSetting(undefined, { chat_id: 2, level: 'all' })).toBeUndefined();
  });
});
