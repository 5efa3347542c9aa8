/**
 * A QR code drawn as SVG in the page: `uqr` (MIT, no network) encodes the text, and each row's
 * runs of dark modules become one path, so a scanner sees crisp squares at any size. Dark on
 * a white square with a quiet zone, in the dark theme too (scanners want that contrast).
 */
import { useMemo } from 'react';
import { encode } from 'uqr';

/** The quiet zone around the code, in modules (the standard asks for 4; phones read 2 well). */
const BORDER = 2;

export interface QrDrawing {
  /** Modules a side, quiet zone included. */
  size: number;
  /** The dark modules: one `M x y h n v 1 h -n z` a run. */
  path: string;
}

/** The modules of `text` as a path (medium error correction, as Telegram's own apps draw it). */
export function qrDrawing(text: string): QrDrawing {
  const qr = encode(text, { ecc: 'M', border: BORDER });
  let path = '';
  qr.data.forEach((row, y) => {
    for (let x = 0; x < row.length; ) {
      if (!row[x]) {
        x += 1;
        continue;
      }
      const from = x;
      while (row[x]) x += 1;
      path += `M${from} ${y}h${x - from}v1h${from - x}z`;
    }
  });
  return { size: qr.size, path };
}

/** The QR code of `text`; `label` names it for screen readers, `data-qr-url` holds the text it encodes. */
export function QrCode({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const { size, path } = useMemo(() => qrDrawing(text), [text]);
  return (
    <svg
      className="qr-code"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${size} ${size}`}
      shapeRendering="crispEdges"
      data-testid={testId}
      data-qr-url={text}
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
