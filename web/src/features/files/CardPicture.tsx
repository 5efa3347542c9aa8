/**
 * The picture on a file card. A processed picture has its box from its size (at most 320 px,
 * its shape kept) before anything loads, so the history does not jump; its blurhash fills the
 * box until the 320 px thumbnail is drawn, and an animated GIF shows its first frame with a
 * "GIF" badge (the lightbox plays it). A picture not processed yet is read as it was sent:
 * its owner sees it at once, anyone else "Processing…" until the server is done.
 * A click opens the lightbox.
 */
import { useState, type CSSProperties, type ReactNode } from 'react';
import { useI18n } from '../../i18n/index';
import { Spinner } from '../../ui/common';
import { fitBox, readySize, type AttachedFile } from './attachment';
import { BlurhashCanvas } from './Blurhash';
import type { PictureImage } from './usePictureImage';

/** The largest side of a picture in a card, in CSS pixels. */
export const CARD_SIDE = 320;

/** "Processing…" in the picture's place, while the server prepares it. */
export function ProcessingPicture({ style }: { style?: CSSProperties }) {
  const { t } = useI18n();
  return (
    <span className="file-picture processing" style={style} role="status" data-testid="picture-processing" title={t('files.processingHint')}>
      <span className="spinner" aria-hidden="true" />
      <span>{t('files.processing')}</span>
    </span>
  );
}

/** Whether the <img> has been drawn, for the placeholder under it; starts over with a new address. */
export function useDrawn(url: string | undefined) {
  const [drawn, setDrawn] = useState<string | undefined>(undefined);
  return { drawn: url !== undefined && drawn === url, onDrawn: () => setDrawn(url) };
}

/** The style that gives a picture of `file`'s size its box in a card before it loads (none while unmeasured). */
export function cardBoxStyle(file: Pick<AttachedFile, 'media'>): CSSProperties | undefined {
  const size = readySize(file.media);
  const box = size ? fitBox(size.width, size.height, CARD_SIDE) : null;
  // The box keeps its shape when the bubble is narrower than the picture.
  return box ? { width: box.width, aspectRatio: `${box.width} / ${box.height}` } : undefined;
}

/**
 * `label` names what a click does (opening the picture by default); `children` go over the
 * picture (a video's play mark and length).
 */
export function CardPicture({ file, image, onOpen, label, children }: { file: AttachedFile; image: PictureImage; onOpen?: () => void; label?: string; children?: ReactNode }) {
  const { t } = useI18n();
  const { drawn, onDrawn } = useDrawn(image.url);
  const size = readySize(file.media);
  const box = size ? fitBox(size.width, size.height, CARD_SIDE) : null;
  const boxStyle = cardBoxStyle(file);
  if (image.processing) return <ProcessingPicture style={boxStyle} />;
  const hash = file.media?.blurhash;
  const waiting = !image.url && !box;
  return (
    <button
      type="button"
      className={`file-picture${box ? ' sized' : ''}${waiting ? ' loading' : ''}${drawn ? ' drawn' : ''}`}
      style={boxStyle}
      onClick={onOpen}
      aria-label={label ?? t('files.openImage', { name: file.name })}
      data-testid="file-picture"
      data-state={drawn ? 'drawn' : 'loading'}
    >
      {size && hash && !drawn ? <BlurhashCanvas hash={hash} width={size.width} height={size.height} /> : null}
      {waiting ? <Spinner label={t('common.loading')} /> : null}
      {image.url ? (
        <img
          src={image.url}
          alt={file.name}
          {...(box ? { width: box.width, height: box.height } : {})}
          onLoad={() => {
            onDrawn();
            image.onLoad();
          }}
          onError={image.onError}
        />
      ) : null}
      {file.media?.animated ? (
        <span className="picture-badge" aria-hidden="true">
          {t('files.gif')}
        </span>
      ) : null}
      {children}
    </button>
  );
}
