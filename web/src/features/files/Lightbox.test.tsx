import { fireEvent, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { api } from '../../api/endpoints';
import type { Attachment, Media } from '../../api/types';
import type { Lang } from '../../i18n/index';
import { msg } from '../../test/fixtures';
import { renderUi } from '../../test/render';
import { chatPictures, Lightbox, type ChatPicture } from './Lightbox';

const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600;
const ready = (width: number, height: number, sides: number[], over: Partial<Media> = {}): Media => ({
  state: 'ready',
  width,
  height,
  blurhash: 'LzFN}$p1N{%4KnXBjvXBA_Wto2SP',
  animated: false,
  thumbnails: sides.map((side) => ({ side, width: Math.min(width, side), height: Math.round((Math.min(width, side) * height) / width) })),
  ...over,
});
const card = (id: number, name: string, content_type: string, media?: Media): Attachment => ({
  type: 'file',
  service: 'files',
  object_id: String(id),
  version: media ? 2 : 1,
  preview: { name, size: 1000, content_type, ...(media ? { media } : {}) } as unknown as Attachment['preview'],
});

const messages = [
  msg(1, { attachment: card(11, 'a.jpg', 'image/jpeg', ready(2000, 1000, [320, 1280])) }),
  msg(2, { attachment: card(12, 'notes.txt', 'text/plain') }),
  msg(3, { text: 'no file' }),
  msg(4, { attachment: card(14, 'b.jpg', 'image/jpeg', ready(3000, 2000, [320, 1280])) }),
  msg(5, { attachment: card(15, 'broken.png', 'image/png', { state: 'failed', error: 'bad' }) }),
  msg(6, { attachment: card(16, 'gone.png', 'image/png', ready(100, 100, [320])), deleted: true }),
  msg(7, { attachment: card(17, 'c.png', 'image/png', ready(200, 100, [320])) }),
  msg(8, { attachment: card(18, 'cat.gif', 'image/gif', ready(400, 300, [320], { animated: true })) }),
];
const pictures = chatPictures(messages);

/** Links named after the file and what they read: `/link/14/1280.webp`, `/link/17/file`. */
const links = () =>
  vi.spyOn(api, 'fileLink').mockImplementation(async (id, _chat, _seq, variant) => ({ url: `/link/${id}/${variant ?? 'file'}`, expires_at: inTenMinutes() }));

function Viewer({ start }: { start: number }) {
  const [seq, setSeq] = useState<number | null>(null);
  return (
    <>
      <button type="button" onClick={() => setSeq(start)}>
        open
      </button>
      {seq !== null ? <Lightbox pictures={pictures} seq={seq} onShow={setSeq} onClose={() => setSeq(null)} /> : null}
    </>
  );
}

function open(start: number, lang: Lang = 'en') {
  renderUi(<Viewer start={start} />, { lang });
  const opener = screen.getByRole('button', { name: 'open' });
  opener.focus();
  fireEvent.click(opener);
  return opener;
}

/** The name of the picture shown (the dialog's name). */
const shown = () => screen.getByRole('dialog').querySelector('.lightbox-title')?.textContent;
const key = (k: string, over: Partial<KeyboardEventInit> = {}) => fireEvent.keyDown(document.activeElement ?? document.body, { key: k, ...over });

describe('chatPictures', () => {
  it('lists the pictures of the history, oldest first, but not deleted ones or those the server could not read', () => {
    expect(pictures.map((p: ChatPicture) => [p.source.seq, p.file.name])).toEqual([
      [1, 'a.jpg'],
      [4, 'b.jpg'],
      [7, 'c.png'],
      [8, 'cat.gif'],
    ]);
    expect(pictures[1]?.source).toEqual({ id: 14, chatId: 1, seq: 4 });
  });
});

describe('Lightbox', () => {
  it('opens on the picture with its name and place, the 1280 px thumbnail, and the focus on close', async () => {
    links();
    open(4);
    const dialog = screen.getByRole('dialog', { name: 'b.jpg' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(screen.getByTestId('lightbox-count').textContent).toBe('2 of 4');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close the picture' }));
    // The box is reserved at the thumbnail's size (the stylesheet fits it to the window).
    const box = screen.getByTestId('lightbox-picture');
    expect([box.style.getPropertyValue('--w'), box.style.getPropertyValue('--h')]).toEqual(['1280', '853']);
    expect(screen.getByTestId('blurhash')).toBeTruthy();
    expect((await screen.findByRole('img', { name: 'b.jpg' })).getAttribute('src')).toBe('/link/14/1280.webp');
  });

  it('moves with ← and →, and the side buttons, stopping at either end', async () => {
    links();
    open(4);
    key('ArrowRight');
    expect(shown()).toBe('c.png');
    // No 1280 px thumbnail of a small picture: the file itself.
    expect((await screen.findByRole('img', { name: 'c.png' })).getAttribute('src')).toBe('/link/17/file');
    key('ArrowRight');
    expect(shown()).toBe('cat.gif');
    // An animated GIF plays: the file itself, not a still thumbnail.
    expect((await screen.findByRole('img', { name: 'cat.gif' })).getAttribute('src')).toBe('/link/18/file');
    expect(screen.queryByRole('button', { name: 'Next picture' })).toBeNull();
    key('ArrowRight');
    expect(shown()).toBe('cat.gif');
    key('ArrowLeft');
    key('ArrowLeft');
    key('ArrowLeft');
    expect(shown()).toBe('a.jpg');
    expect(screen.getByTestId('lightbox-count').textContent).toBe('1 of 4');
    expect(screen.queryByRole('button', { name: 'Previous picture' })).toBeNull();
    key('ArrowLeft');
    expect(shown()).toBe('a.jpg');
    // A modified arrow is left to the browser.
    key('ArrowRight', { altKey: true });
    expect(shown()).toBe('a.jpg');
    fireEvent.click(screen.getByRole('button', { name: 'Next picture' }));
    expect(shown()).toBe('b.jpg');
    fireEvent.click(screen.getByRole('button', { name: 'Previous picture' }));
    expect(shown()).toBe('a.jpg');
  });

  it('keeps the focus inside, closes with Esc and gives the focus back', () => {
    links();
    const opener = open(4);
    const buttons = screen.getByRole('dialog').querySelectorAll('button');
    const first = buttons[0] as HTMLElement;
    const last = buttons[buttons.length - 1] as HTMLElement;
    expect(first.getAttribute('aria-label')).toBe('Download b.jpg');
    expect(last.getAttribute('aria-label')).toBe('Next picture');
    last.focus();
    key('Tab');
    expect(document.activeElement).toBe(first);
    key('Tab', { shiftKey: true });
    expect(document.activeElement).toBe(last);
    key('Escape');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it('closes with its button or a click beside the picture', () => {
    links();
    open(1);
    fireEvent.click(screen.getByRole('button', { name: 'Close the picture' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'open' }));
    fireEvent.click(screen.getByRole('dialog').querySelector('.lightbox-stage') as HTMLElement);
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('downloads the file itself', async () => {
    const link = links();
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    open(4);
    fireEvent.click(screen.getByRole('button', { name: 'Download b.jpg' }));
    await waitFor(() => expect(clicked).toHaveLength(1));
    expect(clicked[0]?.getAttribute('href')).toBe('/link/14/file');
    expect(clicked[0]?.download).toBe('b.jpg');
    expect(link).toHaveBeenCalledWith(14, 1, 4, undefined);
  });

  it('speaks Russian', () => {
    links();
    open(4, 'ru');
    expect(screen.getByTestId('lightbox-count').textContent).toBe('2 из 4');
    for (const name of ['Закрыть картинку', 'Предыдущая картинка', 'Следующая картинка', 'Скачать b.jpg']) {
      expect(screen.getByRole('button', { name })).toBeTruthy();
    }
  });
});
