import type { ChatInfo, Message } from '../api/types';

/** A message in chat 1 from user 2; a test overrides only the fields it looks at. */
export const msg = (seq: number, over: Partial<Message> = {}): Message => ({
  chat_id: 1,
  seq,
  sender_id: 2,
  text: `m${seq}`,
  entities: [],
  created_at: 1000 + seq,
  deleted: false,
  ...over,
});

/** An empty direct chat where I may send messages. */
export const chat = (id: number, over: Partial<ChatInfo> = {}): ChatInfo => ({
  id,
  kind: 'direct',
  title: '',
  description: '',
  history_visibility: 'all',
  member_count: 2,
  created_at: 0,
  pts: 1,
  last_seq: 0,
  last_activity_at: id,
  my_role: 'member',
  my_permissions: ['send_messages'],
  read_seq: 0,
  unread_count: 0,
  ...over,
});
