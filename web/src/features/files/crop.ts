/**
 * The square a person cuts out of a picture for an avatar, in the picture's own pixels: where
 * it starts, how it moves and grows (always inside the picture, never smaller than
 * `minSide`), and the size it is drawn at (at most 1024 px a side).
 */

export interface Square {
  /** Left and top edges, in the picture's pixels. */
  x: number;
  y: number;
  size: number;
}

export interface Picture {
  width: number;
  height: number;
}

/** The largest side an avatar is drawn at before uploading. */
export const MAX_OUTPUT_SIDE = 1024;
/** The smallest square one may choose (or the picture's short side, if smaller). */
export const MIN_SIDE = 48;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The smallest side a square of `picture` may have. */
export function minSide(picture: Picture): number {
  return Math.min(MIN_SIDE, picture.width, picture.height);
}

/** The largest square: the picture's short side. */
export function maxSide(picture: Picture): number {
  return Math.min(picture.width, picture.height);
}

/** The square a picture opens with: the largest one, in the middle (what the server would cut). */
export function centredSquare(picture: Picture): Square {
  const size = maxSide(picture);
  return { x: Math.round((picture.width - size) / 2), y: Math.round((picture.height - size) / 2), size };
}

/** `square` made to fit: its size within the limits, then moved inside the picture. */
export function clampSquare(square: Square, picture: Picture): Square {
  const size = clamp(square.size, minSide(picture), maxSide(picture));
  return { x: clamp(square.x, 0, picture.width - size), y: clamp(square.y, 0, picture.height - size), size };
}

/** The square moved by (dx, dy) picture pixels, stopping at the edges. */
export function moveSquare(square: Square, dx: number, dy: number, picture: Picture): Square {
  return clampSquare({ ...square, x: square.x + dx, y: square.y + dy }, picture);
}

/** The square at a new `size`, around the same centre (as far as the edges allow). */
export function resizeAround(square: Square, size: number, picture: Picture): Square {
  const next = clamp(size, minSide(picture), maxSide(picture));
  const cx = square.x + square.size / 2;
  const cy = square.y + square.size / 2;
  return clampSquare({ x: cx - next / 2, y: cy - next / 2, size: next }, picture);
}

/**
 * The square as its bottom-right corner is dragged by (dx, dy): the top-left corner stays, the
 * side follows the larger of the two moves, and stops where the picture ends.
 */
export function dragCorner(square: Square, dx: number, dy: number, picture: Picture): Square {
  const room = Math.min(picture.width - square.x, picture.height - square.y);
  const size = clamp(square.size + Math.max(dx, dy), minSide(picture), room);
  return { ...square, size };
}

/** How far a key moves or grows the square: 2 % of the picture's short side (10 % with Shift), at least a pixel. */
export function keyStep(picture: Picture, large: boolean): number {
  return Math.max(1, Math.round(maxSide(picture) * (large ? 0.1 : 0.02)));
}

/** What a key does to the square (arrows move it, + and − resize it), or null for other keys. */
export function squareForKey(square: Square, key: string, large: boolean, picture: Picture): Square | null {
  const step = keyStep(picture, large);
  switch (key) {
    case 'ArrowLeft':
      return moveSquare(square, -step, 0, picture);
    case 'ArrowRight':
      return moveSquare(square, step, 0, picture);
    case 'ArrowUp':
      return moveSquare(square, 0, -step, picture);
    case 'ArrowDown':
      return moveSquare(square, 0, step, picture);
    case '+':
    case '=':
      return resizeAround(square, square.size + step, picture);
    case '-':
    case '_':
      return resizeAround(square, square.size - step, picture);
    default:
      return null;
  }
}

/** The side the square is drawn at for uploading: its own, at most MAX_OUTPUT_SIDE. */
export function outputSide(square: Square): number {
  return Math.max(1, Math.min(MAX_OUTPUT_SIDE, Math.round(square.size)));
}

/** The square as percentages of the picture, to place the selection over the shown picture. */
export function squareStyle(square: Square, picture: Picture): { left: string; top: string; width: string; height: string } {
  const pc = (v: number, of: number) => `${(v / of) * 100}%`;
  return { left: pc(square.x, picture.width), top: pc(square.y, picture.height), width: pc(square.size, picture.width), height: pc(square.size, picture.height) };
}

/**
 * Draws the square of `image` into a canvas of outputSide pixels and encodes it as JPEG (on
 * white: a transparent PNG's clear parts would turn black).
 */
export function cropToJpeg(image: CanvasImageSource, square: Square, quality = 0.9): Promise<Blob> {
  const side = outputSide(square);
  const canvas = document.createElement('canvas');
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d');
  if (!ctx) return Promise.reject(new Error('this browser cannot draw the picture'));
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, side, side);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, square.x, square.y, square.size, square.size, 0, 0, side, side);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('this browser cannot encode the picture'))), 'image/jpeg', quality),
  );
}
