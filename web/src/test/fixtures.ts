import type { ChatInfo, ContentPost, ContentSource, Message, Notification } from '../api/types';

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

/**
 * A message of bot 9 with its `reply_markup` as the Bot API has it (the spec says only
 * "object", which the generated types read as an empty one).
 */
export const botMsg = (seq: number, markup: unknown, over: Partial<Message> = {}): Message =>
  msg(seq, { sender_id: 9, reply_markup: markup as Message['reply_markup'], ...over });

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

/** An unread notification: user 5 mentioned me in "Book club" (chat 7) at message id × 10. */
export const note = (id: number, over: Partial<Notification> = {}): Notification => ({
  id,
  kind: 'mention',
  chat_id: 7,
  seq: id * 10,
  actor_id: 5,
  chat_title: 'Book club',
  preview: `text ${id}`,
  created_at: 1000 + id,
  ...over,
});

/** A book of the content pipeline, read and not summarised (5 blocks in 3 chapters). */
export const source = (id: number, over: Partial<ContentSource> = {}): ContentSource => ({
  id,
  name: `book${id}.fb2`,
  format: 'fb2',
  state: 'ready',
  title: 'Тестовая книга',
  chapters: 3,
  blocks: 5,
  chars: 10337,
  summaries: { running: false, done: 0, queued: 0, failed: 0, tokens_in: 0, tokens_out: 0 },
  created_at: Date.UTC(2026, 4, 1),
  ...over,
});

/** A draft post of book 1 made from a template: the part's title in bold over its summary. */
export const contentPost = (id: number, over: Partial<ContentPost> = {}): ContentPost => ({
  id,
  source_id: 1,
  block_id: 10 + id,
  block_title: 'Глава 2 (part 1)',
  chapter_title: 'Глава 2',
  part: 1,
  parts: 2,
  state: 'draft',
  text: 'Глава 2 (part 1)\n\nThe hero leaves at dawn.',
  entities: [{ type: 'bold', offset: 0, length: 16 }],
  markdown: '**Глава 2 (part 1)**\n\nThe hero leaves at dawn.',
  length: 41,
  targets: [
    { target: 'hybrid', max_length: 4096, fits: true },
    { target: 'telegram', max_length: 4096, fits: true },
  ],
  made_by: 'template',
  created_at: Date.UTC(2026, 4, 2),
  updated_at: Date.UTC(2026, 4, 2),
  ...over,
});
