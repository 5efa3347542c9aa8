import { describe, expect, it } from 'vitest';
import type { Message } from '../../api/types';
import { chat, msg } from '../../test/fixtures';
import { chatNameMatches } from './chatMatch';
import { canPostIn, forwardItem } from './forward';
import { sendBody } from './outbox';

const fileCard = (name: string): Message['attachment'] => ({
  type: 'file',
  service: 'files',
  object_id: '42',
  version: 2,
  preview: { name, size: 2048, content_type: 'application/pdf' } as unknown as NonNullable<Message['attachment']>['preview'],
});

describe('forwarding', () => {
  it('makes an outbox item that names the original and shows its text and file meanwhile', () => {
    const original = msg(7, { chat_id: 3, sender_id: 5, text: 'the report', attachment: fileCard('report.pdf') });
    expect(forwardItem(original, 9, 1, 'n1', 1234)).toEqual({
      nonce: 'n1',
      user_id: 1,
      chat_id: 9,
      text: 'the report',
      created_at: 1234,
      forward: { chat_id: 3, seq: 7 },
      forwarded_from: 5,
      file: { name: 'report.pdf', size: 2048, content_type: 'application/pdf' },
    });
  });

  it('a forward of a forward names the first author', () => {
    const item = forwardItem(msg(2, { sender_id: 5, forwarded_from: 8 }), 9, 1, 'n2');
    expect(item.forwarded_from).toBe(8);
    expect(item.file).toBeUndefined();
  });

  it('sends a forward as the address of its original, with no text or file of its own', () => {
    const item = { ...forwardItem(msg(7, { chat_id: 3, text: 'hello', attachment: fileCard('a.pdf') }), 9, 1, 'n3'), reply_to: 4 };
    expect(sendBody(item)).toEqual({ nonce: 'n3', reply_to: 4, text: '', forward: { chat_id: 3, seq: 7 } });
    // An ordinary message keeps its text and attach token.
    expect(sendBody({ nonce: 'n4', user_id: 1, chat_id: 9, text: 'hi', attach: 'tok', created_at: 1 })).toEqual({ nonce: 'n4', text: 'hi', attach: 'tok' });
  });

  it('offers only chats I may write in', () => {
    expect(canPostIn(chat(1))).toBe(true);
    expect(canPostIn(chat(2, { kind: 'channel', my_permissions: [] }))).toBe(false);
  });

  it('finds a chat by its title or, for a direct chat, the person’s names (any case, ё as е)', () => {
    const group = chat(1, { kind: 'group', title: 'Ёлки и палки' });
    const direct = chat(2, { peer_id: 7 });
    const peer = { display_name: 'Boris Petrov', username: 'bpetrov' };
    expect(chatNameMatches(group, 'елки')).toBe(true);
    expect(chatNameMatches(group, '  ')).toBe(true);
    expect(chatNameMatches(group, 'boris')).toBe(false);
    expect(chatNameMatches(direct, 'PETROV', peer)).toBe(true);
    expect(chatNameMatches(direct, 'bpet', peer)).toBe(true);
    expect(chatNameMatches(direct, 'anna', peer)).toBe(false);
  });
});
