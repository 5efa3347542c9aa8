import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/errors';
import type { AvatarInfo, FileInfo } from '../../api/types';
import { renderUi } from '../../test/render';
import { AvatarEditor } from './AvatarEditor';
import { cropToJpeg } from './crop';
import { uploadFile } from './upload';

vi.mock('./crop', async (original) => ({ ...(await original<typeof import('./crop')>()), cropToJpeg: vi.fn() }));
vi.mock('./upload', async (original) => ({ ...(await original<typeof import('./upload')>()), uploadFile: vi.fn() }));

const JPEG = new Blob(['jpeg bytes'], { type: 'image/jpeg' });
const avatar: AvatarInfo = { file_id: 42, blurhash: 'LzFN}$p1N{%4KnXBjvXBA_Wto2SP', sides: [128] };
const file = (over: Partial<FileInfo>): FileInfo => ({ id: 42, name: 'avatar.jpg', content_type: 'image/jpeg', size: 10, sha256: '', created_at: 1, avatar: true, ...over });

beforeEach(() => {
  URL.createObjectURL = vi.fn(() => 'blob:picked');
  URL.revokeObjectURL = vi.fn();
  vi.mocked(cropToJpeg).mockResolvedValue(JPEG);
  vi.spyOn(api, 'fileLink').mockResolvedValue({ url: '/link', expires_at: Math.floor(Date.now() / 1000) + 600 });
});
afterEach(() => vi.restoreAllMocks());

/** Picks a 300×200 picture with the file input; the dialog shows it once "loaded". */
async function pickPicture() {
  const input = screen.getByTestId('avatar-input') as HTMLInputElement;
  fireEvent.change(input, { target: { files: [new File(['png'], 'me.png', { type: 'image/png' })] } });
  const img = await screen.findByRole<HTMLImageElement>('img', { name: 'me.png' });
  Object.defineProperty(img, 'naturalWidth', { value: 300 });
  Object.defineProperty(img, 'naturalHeight', { value: 200 });
  fireEvent.load(img);
  return screen.findByTestId('crop-square');
}

describe('AvatarEditor', () => {
  it('crops the picked picture where the keys moved the square, uploads it as an avatar, waits for it and saves its token', async () => {
    vi.mocked(uploadFile).mockResolvedValue(file({ media: { state: 'pending' } }));
    const info = vi.spyOn(api, 'file').mockResolvedValue(file({ media: { state: 'ready' }, attach_token: 'tok-1' }));
    const save = vi.fn(async () => undefined);
    renderUi(<AvatarEditor name="Anna" id={3} avatar={null} save={save} />);
    expect(screen.queryByRole('button', { name: 'Remove photo' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Set a photo' })).toBeTruthy();

    const square = await pickPicture();
    // The centred square, then 10 % of 200 px to the left (Shift+←), then smaller (−: 2 % = 4 px).
    expect(square.dataset.square).toBe('50,0,200');
    fireEvent.keyDown(square, { key: 'ArrowLeft', shiftKey: true });
    expect(square.dataset.square).toBe('30,0,200');
    fireEvent.keyDown(square, { key: '-' });
    expect(square.dataset.square).toBe('32,2,196');
    fireEvent.change(screen.getByTestId('crop-size'), { target: { value: '100' } });
    expect(square.dataset.square).toBe('80,50,100');

    fireEvent.click(screen.getByRole('button', { name: 'Save photo' }));
    await waitFor(() => expect(uploadFile).toHaveBeenCalled());
    expect(vi.mocked(cropToJpeg).mock.calls[0]?.[1]).toEqual({ x: 80, y: 50, size: 100 });
    const [sent, opts] = vi.mocked(uploadFile).mock.calls[0] ?? [];
    expect(sent?.type).toBe('image/jpeg');
    expect(sent?.size).toBe(JPEG.size);
    expect(opts?.purpose).toBe('avatar');
    // Processing: the file is asked for again until it is ready.
    expect((await screen.findByTestId('avatar-progress')).dataset.step).toBe('processing');
    await waitFor(() => expect(save).toHaveBeenCalledWith('tok-1'), { timeout: 3000 });
    expect(info).toHaveBeenCalledWith(42);
    await waitFor(() => expect(screen.queryByTestId('crop-dialog')).toBeNull());
  });

  it('says why in the dialog when the server could not process the picture, in Russian', async () => {
    vi.mocked(uploadFile).mockResolvedValue(file({ media: { state: 'failed', error: 'bad' } }));
    const save = vi.fn(async () => undefined);
    renderUi(<AvatarEditor name="Anna" id={3} avatar={null} save={save} />, { lang: 'ru' });
    await pickPicture();
    fireEvent.click(screen.getByRole('button', { name: 'Сохранить фото' }));
    expect((await screen.findByTestId('avatar-error')).textContent).toContain('Эту картинку не удалось прочитать. Попробуйте другую.');
    expect(save).not.toHaveBeenCalled();
    // Still open: another square or Cancel.
    expect(screen.getByTestId('crop-dialog')).toBeTruthy();
  });

  it('shows a refused token under the picture’s field rule, and a file the browser cannot read', async () => {
    vi.mocked(uploadFile).mockResolvedValue(file({ media: { state: 'ready' }, attach_token: 'tok' }));
    const save = vi.fn().mockRejectedValue(new ApiError(422, { code: 'validation_failed', field: 'avatar', message: 'the token expired: get the file again for a fresh one' }));
    renderUi(<AvatarEditor name="Anna" id={3} avatar={null} save={save} />);
    await pickPicture();
    fireEvent.click(screen.getByRole('button', { name: 'Save photo' }));
    expect((await screen.findByTestId('avatar-error')).textContent).toContain('The upload is too old: upload the picture again.');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('crop-dialog')).toBeNull();

    fireEvent.change(screen.getByTestId('avatar-input'), { target: { files: [new File(['%PDF'], 'doc.pdf', { type: 'application/pdf' })] } });
    fireEvent.error(await screen.findByRole('img', { name: 'doc.pdf' }));
    expect((await screen.findByRole('alert')).textContent).toContain('This file cannot be opened as a picture');
    expect((screen.getByRole('button', { name: 'Save photo' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('removes the picture with an empty token', async () => {
    const save = vi.fn(async () => undefined);
    renderUi(<AvatarEditor name="Anna" id={3} avatar={avatar} save={save} />);
    expect(screen.getByRole('button', { name: 'Change photo' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Remove photo' }));
    await waitFor(() => expect(save).toHaveBeenCalledWith(''));
  });
});
