import { describe, expect, it } from 'vitest';
import { botMsg, msg } from '../../test/fixtures';
import { inlineRows, pressOutcome, replyKeyboard, safeUrl } from './keyboard';

const inline = { inline_keyboard: [[{ text: 'Yes', callback_data: 'vote:yes' }, { text: 'No', callback_data: 'vote:no' }], [{ text: 'Docs', url: 'https://example.com/docs' }]] };
const keys = (rows: unknown[][], more: Record<string, unknown> = {}) => ({ keyboard: rows, ...more });

describe('bot keyboards', () => {
  it('reads an inline keyboard row by row; buttons it cannot press or open are left out', () => {
    expect(inlineRows(botMsg(1, inline))).toEqual([
      [
        { text: 'Yes', callback_data: 'vote:yes' },
        { text: 'No', callback_data: 'vote:no' },
      ],
      [{ text: 'Docs', url: 'https://example.com/docs' }],
    ]);
    expect(inlineRows(botMsg(1, { inline_keyboard: [[{ text: ' ', callback_data: 'x' }, { text: 'pay' }], 'no', [{ text: 'Ok', callback_data: 'ok' }]] }))).toEqual([
      [{ text: 'Ok', callback_data: 'ok' }],
    ]);
    expect(inlineRows(msg(1))).toEqual([]);
    expect(inlineRows(botMsg(1, keys([['A']])))).toEqual([]);
    // A deleted message has no buttons, whatever it carried.
    expect(inlineRows(botMsg(1, inline, { deleted: true }))).toEqual([]);
  });

  it('shows the latest reply keyboard until a later message removes it; inline keyboards and plain messages leave it', () => {
    const board = botMsg(2, keys([['Red', { text: 'Green' }], [{ text: 'Blue' }]], { one_time_keyboard: true, resize_keyboard: true, input_field_placeholder: 'Pick a colour' }));
    expect(replyKeyboard([msg(1), board])).toEqual({ seq: 2, rows: [['Red', 'Green'], ['Blue']], oneTime: true, placeholder: 'Pick a colour' });
    expect(replyKeyboard([msg(1), board, msg(3), botMsg(4, inline), botMsg(5, { force_reply: true })])?.seq).toBe(2);
    expect(replyKeyboard([board, botMsg(3, { remove_keyboard: true })])).toBeNull();
    // A newer keyboard replaces it; one put back after a removal shows again.
    const newer = botMsg(6, keys([['One', 'Two']]));
    expect(replyKeyboard([board, botMsg(3, { remove_keyboard: true }), newer])).toEqual({ seq: 6, rows: [['One', 'Two']], oneTime: false });
    // A deleted keyboard message does not count; neither does an empty keyboard.
    expect(replyKeyboard([board, { ...newer, deleted: true }])?.seq).toBe(2);
    expect(replyKeyboard([botMsg(1, keys([[]]))])).toBeNull();
    expect(replyKeyboard([])).toBeNull();
  });

  it('opens only http and https addresses', () => {
    expect(safeUrl('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(safeUrl('http://example.com')).toBe('http://example.com/');
    expect(safeUrl('javascript:alert(1)')).toBeNull();
    expect(safeUrl('tg://resolve?domain=x')).toBeNull();
    expect(safeUrl('data:text/html,hi')).toBeNull();
    expect(safeUrl('not a url')).toBeNull();
    expect(safeUrl(null)).toBeNull();
  });

  it('reads the bot’s answer to a press: a notice, an alert, a link, nothing, or no answer in time', () => {
    expect(pressOutcome({ answered: false })).toEqual({ kind: 'unanswered' });
    expect(pressOutcome({ answered: true, text: 'Counted', show_alert: false })).toEqual({ kind: 'notice', text: 'Counted', url: null });
    expect(pressOutcome({ answered: true, text: 'Sure?', show_alert: true, url: 'https://example.com/' })).toEqual({ kind: 'alert', text: 'Sure?', url: 'https://example.com/' });
    expect(pressOutcome({ answered: true, text: '', url: 'https://example.com/game' })).toEqual({ kind: 'link', url: 'https://example.com/game' });
    expect(pressOutcome({ answered: true, text: null, url: 'javascript:alert(1)' })).toEqual({ kind: 'silent' });
    expect(pressOutcome({ answered: true })).toEqual({ kind: 'silent' });
  });
});
