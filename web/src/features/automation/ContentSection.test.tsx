import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FileInfo } from '../../api/types';
import { source } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { uploadFile, type UploadOptions } from '../files/upload';
import { ContentSection } from './ContentSection';
import { applyAutomationFrame } from './frames';

vi.mock('../files/upload', async (original) => ({ ...(await original<typeof import('../files/upload')>()), uploadFile: vi.fn() }));

const BASE = '/api/v1/automation/sources';
const SETTINGS = { base_url: 'https://api.openai.com/v1', has_api_key: false, model: '', summary_prompt: 'S {text}', post_prompt: 'P {summary}', price_in: 0, price_out: 0, requests_per_minute: 20 };
const rows = () => screen.queryAllByTestId('source');
const row = (id: number) => rows().find((r) => r.dataset.id === String(id)) as HTMLElement;
const fileInfo = (id: number, name: string): FileInfo => ({ id, name, content_type: 'text/plain', size: 18499, sha256: '', created_at: 0, avatar: false, attach_token: 't' }) as FileInfo;

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
  vi.mocked(uploadFile).mockReset();
});

describe('Automation → Content: books', () => {
  it('lists books with their states, counts, summaries and errors, a page at a time', async () => {
    const calls = serve({
      [`GET ${BASE}`]: (req) =>
        new URL(req.url).searchParams.get('cursor') === 'c2'
          ? jsonResponse(200, { items: [source(1, { state: 'failed', error: 'the book has no text', chapters: 0, blocks: 0, chars: 0, title: '' })], next_cursor: null })
          : jsonResponse(200, {
              items: [source(3, { state: 'extracting', chapters: 0, blocks: 0, chars: 0, title: '' }), source(2, { summaries: { running: true, done: 2, queued: 3, failed: 1, tokens_in: 0, tokens_out: 0 } })],
              next_cursor: 'c2',
            }),
      'GET /api/v1/automation/content/settings': () => jsonResponse(200, SETTINGS),
    });
    renderUi(<ContentSection />);
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(within(row(3)).getByTestId('source-state').textContent).toBe('Reading');
    expect(row(3).dataset.state).toBe('extracting');
    expect(within(row(3)).queryByTestId('source-counts')).toBeNull();
    expect(within(row(2)).getByTestId('source-state').textContent).toBe('Ready');
    expect(within(row(2)).getByTestId('source-counts').textContent).toBe('3 chapters · 5 blocks · 10,337 characters');
    expect(within(row(2)).getByTestId('source-summaries').textContent).toBe('2 of 5 blocks summarised');
    expect(within(row(2)).getByTestId('source-running').textContent).toBe('Summarising');
    expect((within(row(2)).getByRole('progressbar', { name: 'Blocks summarised' }) as HTMLProgressElement).value).toBe(2);
    expect(within(row(2)).getByTestId('source-link').getAttribute('href')).toBe('/automation/content/2');
    expect(within(row(2)).getByTestId('source-link').textContent).toContain('Тестовая книга');
    fireEvent.click(screen.getByTestId('sources-more'));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(within(row(1)).getByTestId('source-state').textContent).toBe('Failed');
    expect(within(row(1)).getByTestId('source-error').textContent).toBe('the book has no text');
    expect(calls.filter((c) => c.startsWith(`GET ${BASE}`))).toEqual([`GET ${BASE}?limit=50`, `GET ${BASE}?cursor=c2&limit=50`]);
  });

  it('uploads a book with its progress, adds it as extracting, and a frame shows it ready', async () => {
    let ready = false;
    const added: unknown[] = [];
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: ready ? [source(7, { name: 'book.fb2' })] : [], next_cursor: null }),
      [`POST ${BASE}`]: async (req) => {
        added.push(await req.json());
        return jsonResponse(201, source(7, { name: 'book.fb2', state: 'extracting', chapters: 0, blocks: 0, chars: 0, title: '' }));
      },
      'GET /api/v1/automation/content/settings': () => jsonResponse(200, SETTINGS),
    });
    let finish: (info: FileInfo) => void = () => undefined;
    let options: UploadOptions = {};
    vi.mocked(uploadFile).mockImplementation((_file, opts = {}) => {
      options = opts;
      return new Promise((resolve) => {
        finish = resolve;
      });
    });
    const { qc } = renderUi(<ContentSection />);
    await screen.findByTestId('sources-none');
    const book = new File(['<FictionBook/>'], 'book.fb2', { type: '' });
    fireEvent.change(screen.getByTestId('book-file'), { target: { files: [book] } });
    await waitFor(() => expect(uploadFile).toHaveBeenCalled());
    expect(vi.mocked(uploadFile).mock.calls[0]?.[0]).toBe(book);
    act(() => options.onProgress?.(512, 2048));
    expect(screen.getByTestId('book-upload-progress').textContent).toBe('512\u00a0B of 2\u00a0KB');
    expect((screen.getByRole('progressbar', { name: 'Uploading book.fb2' }) as HTMLProgressElement).value).toBe(512);
    expect((screen.getByTestId('book-pick') as HTMLButtonElement).disabled).toBe(true);
    act(() => finish(fileInfo(99, 'book.fb2')));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(added).toEqual([{ file_id: 99 }]);
    expect(within(row(7)).getByTestId('source-state').textContent).toBe('Reading');
    expect(screen.queryByTestId('book-uploading')).toBeNull();

    // The book was read: its frame has the list asked again.
    ready = true;
    act(() => applyAutomationFrame(qc, { type: 'automation.content_updated', source_id: 7 }));
    await waitFor(() => expect(within(row(7)).getByTestId('source-state').textContent).toBe('Ready'));
    expect(within(row(7)).getByTestId('source-counts').textContent).toBe('3 chapters · 5 blocks · 10,337 characters');
  });

  it('says a file that is no book, in Russian, and deletes a book once confirmed', async () => {
    const calls = serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [source(1)], next_cursor: null }),
      [`POST ${BASE}`]: () =>
        jsonResponse(422, { error: { code: 'validation_failed', message: 'photo.png (image/png) is not a book this server reads: TXT, FB2 (also zipped), EPUB or PDF', field: 'file_id' } }),
      [`DELETE ${BASE}/1`]: () => new Response(null, { status: 204 }),
      'GET /api/v1/automation/content/settings': () => jsonResponse(200, SETTINGS),
    });
    vi.mocked(uploadFile).mockResolvedValue(fileInfo(5, 'photo.png'));
    renderUi(<ContentSection />, { lang: 'ru' });
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(within(row(1)).getByTestId('source-counts').textContent).toBe('3 главы · 5 блоков · 10\u00a0337 символов');
    fireEvent.change(screen.getByTestId('book-file'), { target: { files: [new File(['x'], 'photo.png')] } });
    const alert = await within(screen.getByTestId('book-upload')).findByRole('alert');
    expect(alert.textContent).toContain('Файл книги: сервер не читает такие книги: нужен TXT, FB2 (можно в zip), EPUB или PDF.');

    fireEvent.click(screen.getByRole('button', { name: 'Удалить книгу book1.fb2' }));
    const dialog = screen.getByRole('dialog', { name: 'Удалить книгу?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Отмена' }));
    expect(calls.some((c) => c.startsWith('DELETE'))).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Удалить книгу book1.fb2' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Удалить' }));
    await waitFor(() => expect(rows()).toHaveLength(0));
    expect(calls).toContain(`DELETE ${BASE}/1`);
  });
});
