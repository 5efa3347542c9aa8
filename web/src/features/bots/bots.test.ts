import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors';
import type { Bot } from '../../api/types';
import { translate, type Key, type Lang, type Vars } from '../../i18n/index';
import { errorText } from '../../ui/errorText';
import { apiBase, getMeUrl, newBot, withBot, withoutBot, type BotList } from './bots';

const tr = (lang: Lang) => (key: Key, vars?: Vars) => translate(lang, key, vars);
const bot = (id: number, more: Partial<Bot> = {}): Bot => ({ id, username: `b${id}_bot`, name: `Bot ${id}`, privacy: true, created_at: 1, ...more });
const list = (...pages: Bot[][]): BotList => ({
  pageParams: pages.map((_, i) => (i === 0 ? undefined : `c${i}`)),
  pages: pages.map((items, i) => ({ items, next_cursor: i < pages.length - 1 ? `c${i + 1}` : null })),
});

describe('bots', () => {
  it('sends the name and username trimmed, without a leading @', () => {
    expect(newBot({ username: ' @Weather_Bot ', name: ' Weather ' })).toEqual({ username: 'Weather_Bot', name: 'Weather' });
  });

  it('keeps my bots without their tokens: a changed one in place, a new one after the last loaded', () => {
    const two = list([bot(1)], [bot(2)]);
    expect(withBot(two, { ...bot(1, { name: 'Renamed' }), token: '1:secret' })).toEqual(list([bot(1, { name: 'Renamed' })], [bot(2)]));
    expect(withBot(two, { ...bot(3), token: '3:secret' })).toEqual(list([bot(1)], [bot(2), bot(3)]));
    expect(withBot(undefined, { ...bot(4), token: '4:s' })).toEqual({ pageParams: [undefined], pages: [{ items: [bot(4)], next_cursor: null }] });
    expect(withoutBot(two, 2)).toEqual({ ...two, pages: [two.pages[0], { items: [], next_cursor: null }] });
    expect(withoutBot(undefined, 2)).toBeUndefined();
  });

  it('gives a library this server’s origin, and the call that checks a token', () => {
    expect(apiBase('https://chat.example.com/')).toBe('https://chat.example.com');
    expect(getMeUrl('7:abc', 'https://chat.example.com')).toBe('https://chat.example.com/bot7:abc/getMe');
    expect(getMeUrl('7:abc')).toBe(`${window.location.origin}/bot7:abc/getMe`);
  });

  it('says a bot username’s rule, and which field a name error is about, in both languages', () => {
    const username = new ApiError(422, { code: 'validation_failed', message: 'a bot\'s username is 5 to 32 characters and ends in "bot"', field: 'username' });
    expect(errorText(username, tr('en'), { inField: true })).toBe('A bot’s username is 5 to 32 characters and ends in “bot”.');
    expect(errorText(username, tr('ru'), { inField: true })).toBe('Имя пользователя бота — от 5 до 32 символов, в конце «bot».');
    const name = new ApiError(422, { code: 'validation_failed', message: 'must contain visible characters', field: 'name' });
    expect(errorText(name, tr('en'))).toBe('Name: must contain visible characters.');
    const many = new ApiError(409, { code: 'too_many_bots', message: 'you own 20 bots, as many as one may' });
    expect(errorText(many, tr('ru'))).toBe('У вас уже столько ботов, сколько можно: сначала удалите одного.');
  });
});
