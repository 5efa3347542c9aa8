import { describe, expect, it } from 'vitest';
import type { CampaignContact } from '../../api/types';
import { countField, newCampaign, newParse, newTelegramLogin, newestFirst, rejectReason } from './automation';
import { qrDrawing } from './QrCode';
import { itemsOf, replaced, withItem, withoutItem, type Paged } from './lists';

const list = (...pages: number[][]): Paged<{ id: number; v?: string }> => ({
  pageParams: pages.map((_, i) => (i === 0 ? undefined : `c${i}`)),
  pages: pages.map((ids, i) => ({ items: ids.map((id) => ({ id })), next_cursor: i < pages.length - 1 ? `c${i + 1}` : null })),
});

describe('automation lists', () => {
  it('replaces an item where it is, else adds it at the end its list grows at', () => {
    const l = list([3, 2], [1]);
    expect(itemsOf(withItem(l, { id: 2, v: 'new' }, 'first'))).toEqual([{ id: 3 }, { id: 2, v: 'new' }, { id: 1 }]);
    expect(itemsOf(withItem(l, { id: 4 }, 'first')).map((x) => x.id)).toEqual([4, 3, 2, 1]);
    expect(itemsOf(withItem(l, { id: 4 }, 'last')).map((x) => x.id)).toEqual([3, 2, 1, 4]);
    expect(itemsOf(withItem(undefined, { id: 1 }, 'last'))).toEqual([{ id: 1 }]);
    expect(itemsOf(withoutItem(l, 2)).map((x) => x.id)).toEqual([3, 1]);
  });

  it('leaves a list alone when the replaced item is not loaded (the caller refetches)', () => {
    const l = list([1, 2]);
    expect(replaced(l, { id: 9 })).toBe(l);
    expect(replaced(undefined, { id: 9 })).toBeUndefined();
    expect(itemsOf(replaced(l, { id: 2, v: 'x' }))).toEqual([{ id: 1 }, { id: 2, v: 'x' }]);
  });
});

describe('automation forms and log', () => {
  it('reads counts from fields: empty is none, anything but a positive whole number is NaN', () => {
    expect(countField('')).toBeUndefined();
    expect(countField(' 50 ')).toBe(50);
    expect(countField('0')).toBeNaN();
    expect(countField('1.5')).toBeNaN();
  });

  it('starts a Telegram sign-in with the name trimmed and the daily limit only when given', () => {
    expect(newTelegramLogin(' Sales 1 ', '')).toEqual({ name: 'Sales 1' });
    expect(newTelegramLogin('Sales 1', '50')).toEqual({ name: 'Sales 1', daily_limit: 50 });
  });

  it('draws a QR code as runs of dark modules inside a quiet zone', () => {
    const { size, path } = qrDrawing('tg://login?token=AQID');
    // Version 2 (25 modules) and 2 modules of quiet zone a side.
    expect(size).toBe(29);
    // The top-left finder pattern: a run of 7 on its first row, at (2, 2).
    expect(path.startsWith('M2 2h7v1h-7z')).toBe(true);
    expect(path).not.toMatch(/M\d+ [01]h/);
    expect(qrDrawing('tg://login?token=AQIE').path).not.toBe(path);
  });

  it('sends a campaign with the link text only for modes that send a link, and pauses only when given', () => {
    const form = { name: ' Spring ', audienceId: '3', chatId: '42', accountIds: [1, 2], mode: 'invite' as const, linkText: 'Join: {link}', pauseMin: '', pauseMax: '' };
    expect(newCampaign(form)).toEqual({ name: 'Spring', audience_id: 3, target_chat_id: 42, account_ids: [1, 2], mode: 'invite' });
    expect(newCampaign({ ...form, mode: 'invite_then_link', pauseMin: '3600', pauseMax: '7200' })).toEqual({
      name: 'Spring',
      audience_id: 3,
      target_chat_id: 42,
      account_ids: [1, 2],
      mode: 'invite_then_link',
      link_text: 'Join: {link}',
      pause_min_secs: 3600,
      pause_max_secs: 7200,
    });
    expect(newParse({ accountId: '1', chatId: '42', source: 'members', maxPeople: '', audienceName: ' Club ' })).toEqual({ account_id: 1, source_chat_id: 42, source: 'members', audience_name: 'Club' });
  });

  it('orders the log by the latest attempt, leaving out people not tried yet', () => {
    const c = (id: number, updated_at: number, more: Partial<CampaignContact> = {}): CampaignContact => ({ id, kind: 'username', value: `p${id}`, attempts: 1, detail: '', updated_at, outcome: 'invited', ...more });
    const log = newestFirst([c(1, 10), c(2, 30), c(3, 5, { outcome: null, attempts: 0 }), c(4, 20, { outcome: null, detail: 'flood wait 30 s' }), c(5, 30)]);
    expect(log.map((x) => x.id)).toEqual([5, 2, 4, 1]);
  });

  it('knows the reasons the server rejects import lines for', () => {
    expect(rejectReason('a number without a +country code (give the import a region)')).toBe('automation.reject.noRegion');
    expect(rejectReason('neither a phone number nor a username')).toBe('automation.reject.neither');
    expect(rejectReason('something new')).toBeNull();
  });
});
