import { decode } from 'blurhash';
import { render } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { BlurhashCanvas, placeholderSize } from './Blurhash';

const HASH = 'LzFN}$p1N{%4KnXBjvXBA_Wto2SP';

/** A 2D context that keeps what was drawn. */
function fakeContext() {
  const drawn: ImageData[] = [];
  const ctx = {
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }) as ImageData,
    putImageData: (image: ImageData) => drawn.push(image),
  };
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(ctx as unknown as CanvasRenderingContext2D);
  return drawn;
}

describe('BlurhashCanvas', () => {
  it('decodes the hash into a small canvas of the picture’s shape', () => {
    const drawn = fakeContext();
    const { container } = render(<BlurhashCanvas hash={HASH} width={1600} height={1200} />);
    const canvas = container.querySelector('canvas') as HTMLCanvasElement;
    expect([canvas.width, canvas.height]).toEqual([32, 24]);
    expect(canvas.getAttribute('aria-hidden')).toBe('true');
    expect(drawn).toHaveLength(1);
    expect(drawn[0]?.data).toEqual(decode(HASH, 32, 24));
    // Not a grey nothing: the hash's colours.
    expect(new Set(drawn[0]?.data).size).toBeGreaterThan(10);
  });

  it('draws nothing for a hash that is not one', () => {
    const drawn = fakeContext();
    const { container } = render(<BlurhashCanvas hash="not a hash" width={10} height={10} />);
    expect(container.querySelector('canvas')).toBeNull();
    expect(drawn).toHaveLength(0);
  });

  it('keeps the shape, at most 32 pixels a side', () => {
    expect(placeholderSize(100, 400)).toEqual({ w: 8, h: 32 });
    expect(placeholderSize(4000, 10)).toEqual({ w: 32, h: 1 });
    expect(placeholderSize(16, 16)).toEqual({ w: 32, h: 32 });
  });
});
