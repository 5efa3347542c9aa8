/**
 * Forwarding a message into another chat: it goes through the outbox like any message, as
 * `forward: {chat_id, seq}` (the server copies the text, entities and file: a forwarded file is
 * the same file), and its pending bubble shows the original's text and file meanwhile.
 */
import type { ChatInfo, Message } from '../../api/types';
import { attachedFile } from '../files/attachment';
import type { OutboxItem } from './outbox';

/** Chats a message can be forwarded to: those I may write in (not a channel I only read). */
export function canPostIn(chat: ChatInfo): boolean {
  return chat.my_permissions.includes('send_messages');
}

/** Who wrote a message first: a forward of a forward names the original author. */
export function originalAuthor(message: Message): number {
  return message.forwarded_from ?? message.sender_id;
}

/** The outbox item that forwards `message` into chat `to`, sent by `me`. */
export function forwardItem(message: Message, to: number, me: number, nonce: string, now = Date.now()): OutboxItem {
  const file = attachedFile(message.attachment);
  return {
    nonce,
    user_id: me,
    chat_id: to,
    text: message.text,
    created_at: now,
    forward: { chat_id: message.chat_id, seq: message.seq },
    forwarded_from: originalAuthor(message),
    ...(file ? { file: { name: file.name, size: file.size, content_type: file.content_type } } : {}),
  };
}
