import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/errors';
import type { AvatarInfo } from '../../api/types';
import { renderUi } from '../../test/render';
import { Avatar } from '../../ui/Avatar';
import { avatarSide } from './AvatarPicture';

const HASH = 'LzFN}$p1N{%4KnXBjvXBA_Wto2SP';
const both: AvatarInfo = { file_id: 42, blurhash: HASH, sides: [128, 512] };
const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600;
/** Links named after the file and what they read, counted per call: `/link/42/128.webp#1`. */
function links() {
  let n = 0;
  return vi.spyOn(api, 'fileLink').mockImplementation(async (id, _chat, _seq, variant) => ({ url: `/link/${id}/${variant}#${++n}`, expires_at: inTenMinutes() }));
}
const picture = () => screen.queryByTestId('avatar-picture') as HTMLImageElement | null;

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('avatarSide', () => {
  it('takes the smallest side that covers the circle in device pixels, else the largest', () => {
    expect(avatarSide([128, 512], 40, 1)).toBe(128);
    expect(avatarSide([128, 512], 64, 2)).toBe(128);
    expect(avatarSide([128, 512], 80, 2)).toBe(512);
    expect(avatarSide([128, 512], 36, 3.5)).toBe(128);
    expect(avatarSide([128, 512], 48, 3)).toBe(512);
    expect(avatarSide([128, 512], 300, 2)).toBe(512);
    expect(avatarSide([128], 80, 2)).toBe(128);
    // Order in the answer does not matter; an unknown ratio counts as 1.
    expect(avatarSide([512, 128], 100, 0)).toBe(128);
    expect(avatarSide([], 40, 1)).toBeNull();
  });
});

describe('Avatar with a picture', () => {
  it('shows the initials alone without a picture', () => {
    const link = links();
    renderUi(<Avatar name="Anna Petrova" id={3} size={40} />);
    expect(screen.getByTestId('avatar').textContent).toBe('AP');
    expect(picture()).toBeNull();
    expect(link).not.toHaveBeenCalled();
  });

  it('draws the blurhash, then the thumbnail for its size through a link made without a message', async () => {
    const link = links();
    renderUi(<Avatar name="Anna" id={3} size={40} avatar={both} />);
    expect(screen.getByTestId('blurhash')).toBeTruthy();
    await waitFor(() => expect(picture()?.getAttribute('src')).toBe('/link/42/128.webp#1'));
    expect(link).toHaveBeenCalledWith(42, undefined, undefined, '128.webp');
    fireEvent.load(picture() as HTMLImageElement);
    expect(screen.queryByTestId('blurhash')).toBeNull();
    // The initial stays under the picture, for when it cannot be drawn.
    expect(screen.getByTestId('avatar').textContent).toBe('A');
  });

  it('reads the 512 px side on a dense screen', async () => {
    vi.stubGlobal('devicePixelRatio', 2);
    links();
    renderUi(<Avatar name="Anna" id={3} size={80} avatar={both} />);
    await waitFor(() => expect(picture()?.getAttribute('src')).toBe('/link/42/512.webp#1'));
  });

  it('falls back to JPEG, then a fresh link, then the initial alone', async () => {
    const link = links();
    renderUi(<Avatar name="Anna" id={3} size={40} avatar={both} />);
    await waitFor(() => expect(picture()?.getAttribute('src')).toBe('/link/42/128.webp#1'));
    fireEvent.error(picture() as HTMLImageElement);
    await waitFor(() => expect(picture()?.getAttribute('src')).toBe('/link/42/128.jpg#2'));
    fireEvent.error(picture() as HTMLImageElement);
    await waitFor(() => expect(picture()?.getAttribute('src')).toBe('/link/42/128.jpg#3'));
    expect(link).toHaveBeenCalledTimes(3);
    fireEvent.error(picture() as HTMLImageElement);
    await waitFor(() => expect(picture()).toBeNull());
    expect(screen.queryByTestId('blurhash')).toBeNull();
    expect(screen.getByTestId('avatar').textContent).toBe('A');
  });

  it('shows the initial when the picture is gone', async () => {
    vi.spyOn(api, 'fileLink').mockRejectedValue(new ApiError(404, { code: 'not_found', message: 'not found' }));
    renderUi(<Avatar name="Boris" id={4} size={40} avatar={both} />);
    await waitFor(() => expect(screen.queryByTestId('blurhash')).toBeNull());
    expect(picture()).toBeNull();
    expect(screen.getByTestId('avatar').textContent).toBe('B');
  });
});
