import { describe, expect, it } from 'vitest';
import { translate, type Key, type Lang, type Vars } from '../../i18n/index';
import { ApiError } from '../../api/errors';
import { PushError } from './push';
import { entryLine, pushErrorText, workerLines } from './text';

const tr = (lang: Lang) => (key: Key, vars?: Vars) => translate(lang, key, vars);

describe('what an entry says', () => {
  it('one line per kind, with the message’s beginning where there is one', () => {
    const t = tr('en');
    expect(entryLine('mention', 'hi @anna', t)).toBe('Mentioned you: hi @anna');
    expect(entryLine('reply', 'yes', t)).toBe('Replied to you: yes');
    expect(entryLine('direct_message', 'are you there?', t)).toBe('are you there?');
    expect(entryLine('direct_message', '', t)).toBe('New message');
    expect(entryLine('reaction', '👍', t)).toBe('Reacted 👍 to your message');
    expect(entryLine('added_to_chat', '', t)).toBe('Added you to the chat');
  });

  it('a push without the text (hide_content) says only what happened; in Russian too', () => {
    const t = tr('ru');
    expect(entryLine('mention', undefined, t)).toBe('Вас упомянули');
    expect(entryLine('reaction', undefined, t)).toBe('Реакция на ваше сообщение');
    expect(entryLine('reaction', '🎉', t)).toBe('Реакция 🎉 на ваше сообщение');
    expect(entryLine('direct_message', undefined, t)).toBe('Новое сообщение');
  });

  it('gives the service worker each kind’s line as a template and without the text', () => {
    const lines = workerLines(tr('en'));
    expect(lines).toEqual({
      mention: ['Mentioned you: {preview}', 'Mentioned you'],
      reply: ['Replied to you: {preview}', 'Replied to you'],
      direct_message: ['{preview}', 'New message'],
      reaction: ['Reacted {preview} to your message', 'Reacted to your message'],
      added_to_chat: ['Added you to the chat', 'Added you to the chat'],
    });
  });

  it('explains why push cannot be turned on; other errors as the API says', () => {
    const t = tr('en');
    const other = () => 'api error';
    expect(pushErrorText(new PushError('denied'), t, other)).toMatch(/^Notifications are blocked for this site/);
    expect(pushErrorText(new PushError('unsupported'), t, other)).toBe('This browser cannot receive push notifications.');
    expect(pushErrorText(new PushError('failed'), tr('ru'), other)).toMatch(/^Браузеру не удалось включить уведомления/);
    expect(pushErrorText(new ApiError(409, { code: 'too_many_push_subscriptions', message: '' }), t, other)).toBe('api error');
  });
});
