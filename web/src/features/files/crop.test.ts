import { describe, expect, it } from 'vitest';
import { centredSquare, clampSquare, dragCorner, keyStep, maxSide, minSide, moveSquare, outputSide, resizeAround, squareForKey, squareStyle } from './crop';

const wide = { width: 300, height: 200 };
const tall = { width: 600, height: 1000 };
const tiny = { width: 30, height: 20 };

describe('crop math', () => {
  it('opens on the largest square in the middle, as the server would cut it', () => {
    expect(centredSquare(wide)).toEqual({ x: 50, y: 0, size: 200 });
    expect(centredSquare(tall)).toEqual({ x: 0, y: 200, size: 600 });
    expect(centredSquare({ width: 301, height: 200 })).toEqual({ x: 51, y: 0, size: 200 });
  });

  it('limits the side to the picture’s short side and 48 px (or less, for a tiny picture)', () => {
    expect([minSide(wide), maxSide(wide)]).toEqual([48, 200]);
    expect([minSide(tiny), maxSide(tiny)]).toEqual([20, 20]);
    expect(clampSquare({ x: -5, y: 190, size: 500 }, wide)).toEqual({ x: 0, y: 0, size: 200 });
    expect(clampSquare({ x: 290, y: 190, size: 10 }, wide)).toEqual({ x: 252, y: 152, size: 48 });
  });

  it('moves the square and stops at the edges', () => {
    const start = { x: 100, y: 50, size: 100 };
    expect(moveSquare(start, 30, -20, wide)).toEqual({ x: 130, y: 30, size: 100 });
    expect(moveSquare(start, -500, 500, wide)).toEqual({ x: 0, y: 100, size: 100 });
    expect(moveSquare(start, 500, -500, wide)).toEqual({ x: 200, y: 0, size: 100 });
  });

  it('resizes around the centre, pushed back inside near an edge', () => {
    expect(resizeAround({ x: 100, y: 50, size: 100 }, 60, wide)).toEqual({ x: 120, y: 70, size: 60 });
    // Growing at the left edge: the centre cannot stay, the square stays inside.
    expect(resizeAround({ x: 0, y: 50, size: 100 }, 160, wide)).toEqual({ x: 0, y: 20, size: 160 });
    expect(resizeAround({ x: 0, y: 0, size: 100 }, 9999, wide)).toEqual({ x: 0, y: 0, size: 200 });
    expect(resizeAround({ x: 100, y: 50, size: 100 }, 1, wide).size).toBe(48);
  });

  it('a dragged corner keeps the top-left corner and follows the larger move, up to the picture’s end', () => {
    const start = { x: 100, y: 20, size: 80 };
    expect(dragCorner(start, 30, 10, wide)).toEqual({ x: 100, y: 20, size: 110 });
    expect(dragCorner(start, -10, 40, wide)).toEqual({ x: 100, y: 20, size: 120 });
    // 180 px of height left below y = 20.
    expect(dragCorner(start, 500, 500, wide)).toEqual({ x: 100, y: 20, size: 180 });
    expect(dragCorner(start, -500, -500, wide)).toEqual({ x: 100, y: 20, size: 48 });
  });

  it('arrow keys move by 2 % of the short side (10 % with Shift), + and − resize; other keys do nothing', () => {
    const start = { x: 50, y: 0, size: 200 };
    expect(keyStep(wide, false)).toBe(4);
    expect(keyStep(wide, true)).toBe(20);
    expect(keyStep(tiny, false)).toBe(1);
    expect(squareForKey(start, 'ArrowLeft', false, wide)).toEqual({ x: 46, y: 0, size: 200 });
    expect(squareForKey(start, 'ArrowRight', true, wide)).toEqual({ x: 70, y: 0, size: 200 });
    expect(squareForKey(start, 'ArrowDown', false, wide)).toEqual(start);
    expect(squareForKey(start, '-', true, wide)).toEqual({ x: 60, y: 10, size: 180 });
    expect(squareForKey({ x: 60, y: 10, size: 180 }, '+', false, wide)).toEqual({ x: 58, y: 8, size: 184 });
    expect(squareForKey(start, 'Enter', false, wide)).toBeNull();
  });

  it('draws at the square’s own size, at most 1024 px', () => {
    expect(outputSide({ x: 0, y: 0, size: 200.4 })).toBe(200);
    expect(outputSide({ x: 0, y: 0, size: 3000 })).toBe(1024);
    expect(outputSide({ x: 0, y: 0, size: 0.2 })).toBe(1);
  });

  it('places the selection over the shown picture in percentages', () => {
    expect(squareStyle({ x: 75, y: 50, size: 150 }, wide)).toEqual({ left: '25%', top: '25%', width: '50%', height: '75%' });
  });
});
