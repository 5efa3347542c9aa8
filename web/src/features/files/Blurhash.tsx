/**
 * A picture's blurhash (https://blurha.sh, from the server's `media.blurhash`) drawn into a
 * small canvas that the stylesheet stretches over the picture's box: a blurred impression of
 * the picture while it loads. An invalid hash draws nothing (the box's own background shows).
 */
import { decode, isBlurhashValid } from 'blurhash';
import { useEffect, useRef } from 'react';

/** The canvas's long side, in pixels: enough for a blur, cheap to decode. */
const SIDE = 32;

/** The canvas's size for a `width`×`height` picture: its shape, at most SIDE a side. */
export function placeholderSize(width: number, height: number): { w: number; h: number } {
  const scale = SIDE / Math.max(width, height, 1);
  return { w: Math.max(1, Math.round(width * scale)), h: Math.max(1, Math.round(height * scale)) };
}

export function BlurhashCanvas({ hash, width, height }: { hash: string; width: number; height: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { w, h } = placeholderSize(width, height);
  const valid = isBlurhashValid(hash).result;
  useEffect(() => {
    const ctx = valid ? ref.current?.getContext('2d') : null;
    if (!ctx) return;
    const image = ctx.createImageData(w, h);
    image.data.set(decode(hash, w, h));
    ctx.putImageData(image, 0, 0);
  }, [hash, w, h, valid]);
  if (!valid) return null;
  return <canvas ref={ref} className="blurhash" width={w} height={h} aria-hidden="true" data-testid="blurhash" />;
}
