import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../api/client';
import { api, endpoints } from '../../api/endpoints';
import type { Attachment, HistoryPage, Media } from '../../api/types';
import { msg } from '../../test/fixtures';
import { jsonResponse, renderUi } from '../../test/render';
import { Session } from '../auth/session';
import type { History } from '../realtime/apply';
import { ChatFiles, newestFiles } from './ChatFiles';

const ready: Media = { state: 'ready', width: 400, height: 300, blurhash: 'LzFN}$p1N{%4KnXBjvXBA_Wto2SP', animated: false, thumbnails: [{ side: 320, width: 320, height: 240 }] };
const card = (id: number, name: string, content_type: string, media?: Media): Attachment => ({
  type: 'file',
  service: 'files',
  object_id: String(id),
  version: media ? 2 : 1,
  preview: { name, size: 1000, content_type, ...(media ? { media } : {}) } as unknown as Attachment['preview'],
});
const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600;

/** What `?with_attachment=true` answers: the newest page, then an older one (each oldest first). */
const newest: HistoryPage = {
  messages: [msg(5, { attachment: card(15, 'photo.jpg', 'image/jpeg', ready) }), msg(8, { attachment: card(18, 'report.pdf', 'application/pdf') })],
  has_more: true,
};
const older: HistoryPage = { messages: [msg(2, { attachment: card(12, 'notes.txt', 'text/plain') })], has_more: false };

afterEach(() => vi.restoreAllMocks());

function mockApi() {
  vi.spyOn(api, 'user').mockImplementation(async (id) => ({ id, username: `u${id}`, display_name: `Person ${id}`, bio: '', created_at: 1 }));
  vi.spyOn(api, 'fileLink').mockImplementation(async (id, _chat, _seq, variant) => ({ url: `/link/${id}/${variant ?? 'file'}`, expires_at: inTenMinutes() }));
  return vi.spyOn(api, 'chatFiles').mockImplementation(async (_id, before) => (before === undefined ? newest : older));
}

const names = () => screen.getAllByTestId('chat-file').map((li) => li.querySelector('.file-name')?.textContent);

describe('a chat’s files', () => {
  it('are the history with with_attachment=true, older pages with before=', async () => {
    const fetchMock = vi.fn(async (_req: Request) => jsonResponse(200, { messages: [], has_more: false }));
    const s = new Session(vi.fn());
    s.accept({ access_token: 't', expires_in: 900, session_id: 4, user: { id: 1, username: 'alice' } });
    const c = endpoints(createClient(s, fetchMock as unknown as typeof fetch));
    await c.chatFiles(3);
    await c.chatFiles(3, 40);
    const asked = fetchMock.mock.calls.map(([req]) => new URL(req.url));
    expect(asked.map((u) => u.pathname)).toEqual(['/api/v1/chats/3/messages', '/api/v1/chats/3/messages']);
    expect(asked.map((u) => Object.fromEntries(u.searchParams))).toEqual([
      { limit: '20', with_attachment: 'true' },
      { before: '40', limit: '20', with_attachment: 'true' },
    ]);
    s.clear();
  });

  it('lists the loaded pages newest first, without deleted messages or other cards', () => {
    const task = { type: 'card', service: 'tasks', object_id: 'k1', version: 1, preview: {} } as Attachment;
    const data: History = {
      pages: [
        { messages: [msg(7, { attachment: card(17, 'a.txt', 'text/plain') }), msg(9, { attachment: card(19, 'b.txt', 'text/plain') })], has_more: true },
        { messages: [msg(3, { attachment: card(13, 'c.txt', 'text/plain'), deleted: true }), msg(4, { attachment: task }), msg(5, { attachment: card(15, 'd.txt', 'text/plain') })], has_more: false },
      ],
      pageParams: [undefined, { before: 7 }],
    };
    expect(newestFiles(data).map((f) => [f.message.seq, f.file.name])).toEqual([
      [9, 'b.txt'],
      [7, 'a.txt'],
      [5, 'd.txt'],
    ]);
    expect(newestFiles(undefined)).toEqual([]);
  });

  it('asks for the chat’s files only, newest first, and loads older ones on request', async () => {
    const chatFiles = mockApi();
    renderUi(<ChatFiles chatId={1} />);
    await waitFor(() => expect(names()).toEqual(['report.pdf', 'photo.jpg']));
    expect(chatFiles).toHaveBeenCalledWith(1, undefined);
    // Who sent it, and when.
    await waitFor(() => expect(screen.getAllByTestId('chat-file')[0]?.textContent).toContain('Person 2'));

    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(names()).toEqual(['report.pdf', 'photo.jpg', 'notes.txt']));
    expect(chatFiles).toHaveBeenLastCalledWith(1, 5);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('opens a picture in the lightbox; a file has its download button', async () => {
    mockApi();
    renderUi(<ChatFiles chatId={1} />);
    const open = await screen.findByRole('button', { name: 'Open the picture photo.jpg' });
    expect(screen.getByRole('button', { name: 'Download report.pdf' })).toBeTruthy();
    fireEvent.click(open);
    const box = await screen.findByTestId('lightbox');
    expect(within(box).getByText('photo.jpg')).toBeTruthy();
  });

  it('says so when the chat has no files, in Russian too', async () => {
    vi.spyOn(api, 'chatFiles').mockResolvedValue({ messages: [], has_more: false });
    renderUi(<ChatFiles chatId={1} />, { lang: 'ru' });
    expect(await screen.findByText('В этом чате пока нет файлов.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Файлы и медиа' })).toBeTruthy();
  });
});
