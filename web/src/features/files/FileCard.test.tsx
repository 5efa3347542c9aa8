import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/errors';
import type { Attachment } from '../../api/types';
import { renderUi } from '../../test/render';
import { attachedFile } from './attachment';
import { MessageSummary } from './MessageSummary';
import { FileCard } from './FileCard';

const notes = { name: 'notes.txt', size: 4096, content_type: 'text/plain' };
const cat = { name: 'cat.png', size: 1536, content_type: 'image/png' };
const source = { id: 7, chatId: 3, seq: 12 };
const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600;
const gone = () => new ApiError(404, { code: 'not_found', message: 'not found' });

afterEach(() => vi.restoreAllMocks());

describe('FileCard', () => {
  it('shows the name and size, and downloads through a fresh link for the message', async () => {
    const link = vi.spyOn(api, 'fileLink').mockResolvedValue({ url: '/api/v1/files/links/7?expires=1&signature=a', expires_at: inTenMinutes() });
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    renderUi(<FileCard file={notes} source={source} />);
    expect(screen.getByText('notes.txt')).toBeTruthy();
    expect(screen.getByTestId('file-size').textContent).toBe('4\u00a0KB');
    // Not a picture: no link is asked for until it is wanted.
    expect(link).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Download notes.txt' }));
    await waitFor(() => expect(clicked).toHaveLength(1));
    expect(link).toHaveBeenCalledWith(7, 3, 12);
    expect(clicked[0]?.getAttribute('href')).toBe('/api/v1/files/links/7?expires=1&signature=a');
    expect(clicked[0]?.download).toBe('notes.txt');
    // A second download within the link's life uses it again.
    fireEvent.click(screen.getByRole('button', { name: 'Download notes.txt' }));
    await waitFor(() => expect(clicked).toHaveLength(2));
    expect(link).toHaveBeenCalledTimes(1);
  });

  it('asks for a new link once the old one has expired', async () => {
    const link = vi
      .spyOn(api, 'fileLink')
      .mockResolvedValueOnce({ url: '/old', expires_at: Math.floor(Date.now() / 1000) - 1 })
      .mockResolvedValueOnce({ url: '/new', expires_at: inTenMinutes() });
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.getAttribute('href') ?? '');
    });
    renderUi(<FileCard file={notes} source={source} />);
    fireEvent.click(screen.getByRole('button', { name: 'Download notes.txt' }));
    await waitFor(() => expect(clicked).toEqual(['/old']));
    fireEvent.click(screen.getByRole('button', { name: 'Download notes.txt' }));
    await waitFor(() => expect(clicked).toEqual(['/old', '/new']));
    expect(link).toHaveBeenCalledTimes(2);
  });

  it('shows a picture inline, linking to it, and refreshes a link that stopped working', async () => {
    vi.spyOn(api, 'fileLink')
      .mockResolvedValueOnce({ url: '/first', expires_at: inTenMinutes() })
      .mockResolvedValueOnce({ url: '/second', expires_at: inTenMinutes() });
    renderUi(<FileCard file={cat} source={source} />);
    const img = (await screen.findByRole('img', { name: 'cat.png' })) as HTMLImageElement;
    expect(img.getAttribute('src')).toBe('/first');
    expect(screen.getByRole('link', { name: 'Open the picture cat.png' }).getAttribute('href')).toBe('/first');
    act(() => void fireEvent.error(img));
    await waitFor(() => expect(screen.getByRole('img', { name: 'cat.png' }).getAttribute('src')).toBe('/second'));
    // Failing again, the picture gives way to the plain card (still downloadable).
    act(() => void fireEvent.error(screen.getByRole('img', { name: 'cat.png' })));
    await waitFor(() => expect(screen.queryByRole('img', { name: 'cat.png' })).toBeNull());
    expect(screen.getByRole('button', { name: 'Download cat.png' })).toBeTruthy();
  });

  it('says a picture is unavailable when the server no longer has it for this reader', async () => {
    vi.spyOn(api, 'fileLink').mockRejectedValue(gone());
    renderUi(<FileCard file={cat} source={source} />);
    expect((await screen.findByTestId('file-unavailable')).textContent).toBe('File unavailable');
    expect(screen.getByTestId('file-card').dataset.state).toBe('unavailable');
    expect(screen.queryByRole('button', { name: /Download/ })).toBeNull();
    expect(screen.queryByRole('img')).toBeNull();
  });

  it('says a file is unavailable when its download finds it gone, and explains other errors', async () => {
    const link = vi.spyOn(api, 'fileLink').mockRejectedValueOnce(new ApiError(403, { code: 'forbidden', message: 'no' }));
    renderUi(<FileCard file={notes} source={source} />);
    fireEvent.click(screen.getByRole('button', { name: 'Download notes.txt' }));
    expect((await screen.findByRole('alert')).textContent).toBe('You are not allowed to do that.');
    link.mockRejectedValue(gone());
    fireEvent.click(screen.getByRole('button', { name: 'Download notes.txt' }));
    expect((await screen.findByTestId('file-unavailable')).textContent).toBe('File unavailable');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows a file still being sent without a download', () => {
    renderUi(<FileCard file={notes} />);
    expect(screen.getByTestId('file-card').dataset.state).toBe('sending');
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('speaks Russian', async () => {
    vi.spyOn(api, 'fileLink').mockRejectedValue(gone());
    renderUi(
      <>
        <FileCard file={notes} source={source} />
        <FileCard file={cat} source={{ ...source, seq: 13 }} />
      </>,
      { lang: 'ru' },
    );
    expect(screen.getByRole('button', { name: 'Скачать notes.txt' })).toBeTruthy();
    expect(screen.getAllByTestId('file-size')[0]?.textContent).toBe('4\u00a0КБ');
    expect((await screen.findByTestId('file-unavailable')).textContent).toBe('Файл недоступен');
  });
});

describe('attachedFile', () => {
  const card = (over: Partial<Attachment> = {}): Attachment => ({
    type: 'file',
    service: 'files',
    object_id: '42',
    version: 1,
    preview: { name: 'a.pdf', size: 10, content_type: 'application/pdf' } as unknown as Attachment['preview'],
    ...over,
  });

  it('reads a file card, and nothing else', () => {
    expect(attachedFile(card())).toEqual({ id: 42, name: 'a.pdf', size: 10, content_type: 'application/pdf' });
    expect(attachedFile(card({ type: 'poll' }))).toBeNull();
    expect(attachedFile(card({ service: 'tasks' }))).toBeNull();
    expect(attachedFile(card({ object_id: 'x' }))).toBeNull();
    expect(attachedFile(null)).toBeNull();
  });

  it('copes with a preview missing its fields', () => {
    expect(attachedFile(card({ preview: {} as Attachment['preview'] }))).toEqual({ id: 42, name: 'file', size: 0, content_type: 'application/octet-stream' });
  });

  it('sums a message up as its text, or its file without a caption', () => {
    const { container } = renderUi(
      <ul>
        <li>
          <MessageSummary message={{ text: 'look', attachment: card() }} />
        </li>
        <li>
          <MessageSummary message={{ text: '', attachment: card() }} />
        </li>
      </ul>,
    );
    expect([...container.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['look', 'a.pdf']);
    expect(screen.getByRole('img', { name: 'File' }).closest('li')?.textContent).toBe('a.pdf');
  });
});
