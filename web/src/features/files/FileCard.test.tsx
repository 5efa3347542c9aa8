import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/errors';
import type { Attachment, Media } from '../../api/types';
import { renderUi } from '../../test/render';
import { attachedFile, type FilePreview } from './attachment';
import { processingDelay } from './links';
import { MessageSummary } from './MessageSummary';
import { FileCard } from './FileCard';

const notes = { name: 'notes.txt', size: 4096, content_type: 'text/plain' };
const cat = { name: 'cat.png', size: 1536, content_type: 'image/png' };
const source = { id: 7, chatId: 3, seq: 12 };
const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600;
const gone = () => new ApiError(404, { code: 'not_found', message: 'not found' });
const processing = () => new ApiError(409, { code: 'media_processing', message: 'the picture is being processed: try again in a moment' });
const HASH = 'LzFN}$p1N{%4KnXBjvXBA_Wto2SP';
const ready: Media = {
  state: 'ready',
  width: 1600,
  height: 1200,
  blurhash: HASH,
  animated: false,
  thumbnails: [
    { side: 320, width: 320, height: 240 },
    { side: 1280, width: 1280, height: 960 },
  ],
};
/** A photo's card at a version: 1 until processed, 2 after. */
const photo = (media?: Media): FilePreview & { version: number } => ({
  name: 'photo.jpg',
  size: 20_000,
  content_type: 'image/jpeg',
  version: media && media.state !== 'pending' ? 2 : 1,
  ...(media ? { media } : {}),
});
/** Links named after what they read: `/link/320.webp`, `/link/file`. */
const linksByVariant = () =>
  vi.spyOn(api, 'fileLink').mockImplementation(async (_id, _chat, _seq, variant) => ({ url: `/link/${variant ?? 'file'}`, expires_at: inTenMinutes() }));

/** A card whose file changes (a newer version of the message's card) with the "next card" button. */
function ChangingCard({ files }: { files: (FilePreview & { version: number })[] }) {
  const [i, setI] = useState(0);
  return (
    <>
      <button type="button" onClick={() => setI(i + 1)}>
        next card
      </button>
      <FileCard file={files[i] ?? photo()} source={source} />
    </>
  );
}

afterEach(() => vi.restoreAllMocks());

/** Clicks button `name` once it is enabled: a download keeps its button busy until handed over. */
async function clickWhenReady(name: string): Promise<void> {
  const button = () => screen.getByRole<HTMLButtonElement>('button', { name });
  await waitFor(() => expect(button().disabled).toBe(false));
  fireEvent.click(button());
}

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
    expect(link).toHaveBeenCalledWith(7, 3, 12, undefined);
    expect(clicked[0]?.getAttribute('href')).toBe('/api/v1/files/links/7?expires=1&signature=a');
    expect(clicked[0]?.download).toBe('notes.txt');
    // A second download within the link's life uses it again.
    await clickWhenReady('Download notes.txt');
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
    await clickWhenReady('Download notes.txt');
    await waitFor(() => expect(clicked).toEqual(['/old']));
    await clickWhenReady('Download notes.txt');
    await waitFor(() => expect(clicked).toEqual(['/old', '/new']));
    expect(link).toHaveBeenCalledTimes(2);
  });

  it('shows a picture not processed by the server as it was sent, and refreshes a link that stopped working', async () => {
    vi.spyOn(api, 'fileLink')
      .mockResolvedValueOnce({ url: '/first', expires_at: inTenMinutes() })
      .mockResolvedValueOnce({ url: '/second', expires_at: inTenMinutes() });
    const open = vi.fn();
    renderUi(<FileCard file={cat} source={source} onOpen={open} />);
    const img = (await screen.findByRole('img', { name: 'cat.png' })) as HTMLImageElement;
    expect(img.getAttribute('src')).toBe('/first');
    fireEvent.click(screen.getByRole('button', { name: 'Open the picture cat.png' }));
    expect(open).toHaveBeenCalledTimes(1);
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
    await clickWhenReady('Download notes.txt');
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

describe('FileCard with a processed picture', () => {
  it('reserves the picture’s box, draws its blurhash, then the 320 px WebP thumbnail (JPEG when WebP fails)', async () => {
    const link = linksByVariant();
    renderUi(<FileCard file={photo(ready)} source={source} />);
    // Before any answer: the box has the picture's shape, and the placeholder fills it.
    const box = screen.getByRole('button', { name: 'Open the picture photo.jpg' });
    expect(box.style.width).toBe('320px');
    expect(box.style.aspectRatio).toBe('320 / 240');
    expect(screen.getByTestId('blurhash')).toBeTruthy();
    const img = (await screen.findByRole('img', { name: 'photo.jpg' })) as HTMLImageElement;
    expect(img.getAttribute('src')).toBe('/link/320.webp');
    expect(link).toHaveBeenCalledWith(7, 3, 12, '320.webp');
    act(() => void fireEvent.error(img));
    await waitFor(() => expect(screen.getByRole('img', { name: 'photo.jpg' }).getAttribute('src')).toBe('/link/320.jpg'));
    expect(screen.getByTestId('blurhash')).toBeTruthy();
    act(() => void fireEvent.load(screen.getByRole('img', { name: 'photo.jpg' })));
    expect(screen.queryByTestId('blurhash')).toBeNull();
    expect(screen.getByTestId('file-picture').dataset.state).toBe('drawn');
    expect(screen.getByTestId('file-card').dataset.state).toBe('ready');
  });

  it('keeps a small picture at its own size', () => {
    linksByVariant();
    const small: Media = { ...ready, width: 80, height: 120, thumbnails: [{ side: 320, width: 80, height: 120 }] };
    renderUi(<FileCard file={photo(small)} source={source} />);
    const box = screen.getByRole('button', { name: 'Open the picture photo.jpg' });
    expect([box.style.width, box.style.aspectRatio]).toEqual(['80px', '80 / 120']);
  });

  it('says “Processing…” while the server answers 409, then shows the thumbnail once the card’s version changes', async () => {
    const link = vi.spyOn(api, 'fileLink').mockImplementation(async (_id, _chat, _seq, variant) => {
      if (!variant) throw processing();
      return { url: `/link/${variant}`, expires_at: inTenMinutes() };
    });
    renderUi(<ChangingCard files={[photo({ state: 'pending' }), photo(ready)]} />);
    expect((await screen.findByTestId('picture-processing')).textContent).toBe('Processing…');
    expect(screen.getByTestId('file-card').dataset.state).toBe('processing');
    // Not an error, and not "unavailable": the download stays.
    expect(screen.queryByTestId('file-unavailable')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('button', { name: 'Download photo.jpg' })).toBeTruthy();
    expect(link).toHaveBeenCalledWith(7, 3, 12, undefined);

    fireEvent.click(screen.getByRole('button', { name: 'next card' }));
    const img = await screen.findByRole('img', { name: 'photo.jpg' });
    expect(img.getAttribute('src')).toBe('/link/320.webp');
    expect(screen.queryByTestId('picture-processing')).toBeNull();
    expect(screen.getByTestId('file-card').dataset.state).toBe('ready');
  });

  it('asks again at once when the card changes, even for the same picture (no thumbnails)', async () => {
    const link = vi.spyOn(api, 'fileLink').mockRejectedValueOnce(processing()).mockResolvedValue({ url: '/link/file', expires_at: inTenMinutes() });
    renderUi(<ChangingCard files={[photo({ state: 'pending' }), photo({ ...ready, thumbnails: [] })]} />);
    await screen.findByTestId('picture-processing');
    fireEvent.click(screen.getByRole('button', { name: 'next card' }));
    // Sooner than the next try after a 409 (a second).
    expect((await screen.findByRole('img', { name: 'photo.jpg' }, { timeout: 500 })).getAttribute('src')).toBe('/link/file');
    expect(link).toHaveBeenCalledTimes(2);
  });

  it('asks again after a short wait while the picture is processed', async () => {
    const link = vi.spyOn(api, 'fileLink').mockRejectedValueOnce(processing()).mockResolvedValue({ url: '/link/file', expires_at: inTenMinutes() });
    renderUi(<FileCard file={photo({ state: 'pending' })} source={source} />);
    await screen.findByTestId('picture-processing');
    const img = await screen.findByRole('img', { name: 'photo.jpg' }, { timeout: 3000 });
    expect(img.getAttribute('src')).toBe('/link/file');
    expect(link).toHaveBeenCalledTimes(2);
    // The waits grow, up to 15 s.
    expect([1, 2, 3, 4, 5, 6, 10].map(processingDelay)).toEqual([1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  });

  it('shows its owner a picture still being processed, as sent', async () => {
    linksByVariant();
    renderUi(<FileCard file={photo({ state: 'pending' })} source={source} />);
    expect((await screen.findByRole('img', { name: 'photo.jpg' })).getAttribute('src')).toBe('/link/file');
    expect(screen.queryByTestId('picture-processing')).toBeNull();
  });

  it('is the plain card when the server could not read the picture', async () => {
    const link = linksByVariant();
    renderUi(<FileCard file={photo({ state: 'failed', error: 'not a picture' })} source={source} onOpen={vi.fn()} />);
    expect(screen.queryByTestId('file-picture')).toBeNull();
    expect(screen.queryByRole('img', { name: 'photo.jpg' })).toBeNull();
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.getAttribute('href') ?? '');
    });
    fireEvent.click(screen.getByRole('button', { name: 'Download photo.jpg' }));
    await waitFor(() => expect(clicked).toEqual(['/link/file']));
    expect(link).toHaveBeenCalledTimes(1);
  });

  it('shows an animated GIF’s first frame with a badge', async () => {
    linksByVariant();
    renderUi(<FileCard file={{ ...photo({ ...ready, animated: true }), name: 'cat.gif', content_type: 'image/gif' }} source={source} />);
    expect((await screen.findByRole('img', { name: 'cat.gif' })).getAttribute('src')).toBe('/link/320.webp');
    expect(screen.getByTestId('file-picture').textContent).toBe('GIF');
  });

  it('says “Processing…” in Russian', async () => {
    vi.spyOn(api, 'fileLink').mockRejectedValue(processing());
    renderUi(<FileCard file={photo({ state: 'pending' })} source={source} />, { lang: 'ru' });
    expect((await screen.findByTestId('picture-processing')).textContent).toBe('Обработка…');
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
    expect(attachedFile(card())).toEqual({ id: 42, version: 1, name: 'a.pdf', size: 10, content_type: 'application/pdf' });
    expect(attachedFile(card({ type: 'poll' }))).toBeNull();
    expect(attachedFile(card({ service: 'tasks' }))).toBeNull();
    expect(attachedFile(card({ object_id: 'x' }))).toBeNull();
    expect(attachedFile(null)).toBeNull();
  });

  it('copes with a preview missing its fields', () => {
    expect(attachedFile(card({ preview: {} as Attachment['preview'] }))).toEqual({ id: 42, version: 1, name: 'file', size: 0, content_type: 'application/octet-stream' });
  });

  it('reads a picture’s media, and ignores media that makes no sense', () => {
    const preview = (media: unknown) => ({ name: 'p.jpg', size: 10, content_type: 'image/jpeg', media }) as unknown as Attachment['preview'];
    expect(attachedFile(card({ version: 2, preview: preview(ready) }))).toEqual({ id: 42, version: 2, name: 'p.jpg', size: 10, content_type: 'image/jpeg', media: ready });
    expect(attachedFile(card({ preview: preview({ state: 'pending' }) }))?.media).toEqual({ state: 'pending' });
    expect(attachedFile(card({ preview: preview({ state: 'failed', error: 'bad' }) }))?.media).toEqual({ state: 'failed', error: 'bad' });
    // Ready without a size, or thumbnails that are not thumbnails.
    expect(attachedFile(card({ preview: preview({ state: 'ready', width: 0, height: 5 }) }))?.media).toBeUndefined();
    const [small, large] = ready.thumbnails ?? [];
    expect(attachedFile(card({ preview: preview({ ...ready, thumbnails: [{ side: 'x' }, large, small] }) }))?.media?.thumbnails).toEqual([small, large]);
    expect(attachedFile(card({ preview: preview('ready') }))?.media).toBeUndefined();
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
