/**
 * A picture full-window: the 1280 px thumbnail (or the file itself when there is none, and for
 * an animated GIF, which plays), over its blurhash while it loads. ← and → (or the side
 * buttons) move between the pictures of the loaded history, Esc (or ×, or a click beside the
 * picture) closes it; the focus stays inside while it is open and goes back to the picture
 * that opened it. The download button saves the file itself.
 */
import { useEffect, useId, useRef, type CSSProperties } from 'react';
import { createPortal } from 'react-dom';
import type { Message } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { Spinner, useErrorText, useFocusTrap } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { attachedFile, pictureKind, readySize, thumbnailFor, type AttachedFile } from './attachment';
import { BlurhashCanvas } from './Blurhash';
import { ProcessingPicture, useDrawn } from './CardPicture';
import { isGone, useFileDownload, type FileSource } from './links';
import { usePictureImage } from './usePictureImage';

/** The side of the thumbnail a full view reads. */
export const FULL_SIDE = 1280;

/** A picture of the history, as the lightbox moves through them. */
export interface ChatPicture {
  file: AttachedFile;
  source: FileSource;
}

/** The pictures the messages carry, oldest first (not deleted ones, nor those the server could not read). */
export function chatPictures(messages: Message[]): ChatPicture[] {
  return messages.flatMap((m) => {
    const file = m.deleted ? null : attachedFile(m.attachment);
    return file && pictureKind(file) !== 'none' ? [{ file, source: { id: file.id, chatId: m.chat_id, seq: m.seq } }] : [];
  });
}

export function Lightbox({ pictures, seq, onShow, onClose }: { pictures: ChatPicture[]; seq: number; onShow: (seq: number) => void; onClose: () => void }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const index = pictures.findIndex((p) => p.source.seq === seq);
  const picture = pictures[index];
  const prev = pictures[index - 1];
  const next = pictures[index + 1];
  useFocusTrap(ref, onClose, '.lightbox-close');

  // ← and → move; the message that was shown may go away (deleted): then it closes.
  useEffect(() => {
    if (!picture) {
      onClose();
      return;
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const to = e.key === 'ArrowLeft' ? prev : e.key === 'ArrowRight' ? next : undefined;
      if (!to) return;
      e.preventDefault();
      onShow(to.source.seq);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [picture, prev, next, onShow, onClose]);

  return createPortal(
    <div
      className="lightbox"
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      ref={ref}
      tabIndex={-1}
      data-testid="lightbox"
      onClick={(e) => e.target === e.currentTarget && onClose()}
    >
      <header className="lightbox-bar">
        <span className="lightbox-title" id={titleId} dir="auto" title={picture?.file.name}>
          {picture?.file.name}
        </span>
        {pictures.length > 1 ? (
          <span className="lightbox-count" data-testid="lightbox-count">
            {t('lightbox.position', { n: index + 1, count: pictures.length })}
          </span>
        ) : null}
        {picture ? <LightboxDownload key={picture.source.seq} picture={picture} /> : null}
        <button type="button" className="icon-button lightbox-close" onClick={onClose} aria-label={t('lightbox.close')} title={t('lightbox.close')}>
          <Icon name="close" />
        </button>
      </header>
      <div className="lightbox-stage" onClick={(e) => e.target === e.currentTarget && onClose()}>
        {picture ? <LightboxPicture key={picture.source.seq} picture={picture} /> : null}
        <LightboxStep label={t('lightbox.previous')} icon="back" side="prev" to={prev} onShow={onShow} />
        <LightboxStep label={t('lightbox.next')} icon="forward" side="next" to={next} onShow={onShow} />
      </div>
    </div>,
    document.body,
  );
}

/** The previous or next button, absent at either end. */
function LightboxStep({ label, icon, side, to, onShow }: { label: string; icon: 'back' | 'forward'; side: 'prev' | 'next'; to: ChatPicture | undefined; onShow: (seq: number) => void }) {
  if (!to) return null;
  return (
    <button type="button" className={`icon-button lightbox-step ${side}`} onClick={() => onShow(to.source.seq)} aria-label={label} title={label}>
      <Icon name={icon} size={28} />
    </button>
  );
}

function LightboxDownload({ picture }: { picture: ChatPicture }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const { busy, error, download } = useFileDownload(picture.file.name, picture.source);
  return (
    <>
      {error ? (
        <span className="lightbox-error" role="alert">
          {errorText(error)}
        </span>
      ) : null}
      <button type="button" className="icon-button" onClick={download} disabled={busy} aria-label={t('files.downloadName', { name: picture.file.name })} title={t('files.download')}>
        {busy ? <Spinner label={t('common.loading')} /> : <Icon name="download" />}
      </button>
    </>
  );
}

/** The size the full view reserves: the thumbnail's (or the file's) own, scaled down to the window by the stylesheet. */
function fullSize(file: AttachedFile): { width: number; height: number } | null {
  const size = readySize(file.media);
  if (!size) return null;
  const thumb = file.media?.animated ? null : thumbnailFor(file.media, FULL_SIDE, false);
  return thumb ?? size;
}

function LightboxPicture({ picture: { file, source } }: { picture: ChatPicture }) {
  const { t } = useI18n();
  const image = usePictureImage(file, source, FULL_SIDE, 'full', true);
  const { drawn, onDrawn } = useDrawn(image.url);
  const size = fullSize(file);
  const style = size ? ({ '--w': size.width, '--h': size.height } as CSSProperties) : undefined;
  if (image.processing) return <ProcessingPicture />;
  if (isGone(image.error) || image.broken || image.error) {
    return (
      <p className="lightbox-note" role="alert">
        {isGone(image.error) ? t('files.unavailable') : t('lightbox.failed')}
      </p>
    );
  }
  const hash = file.media?.blurhash;
  return (
    <div className={`lightbox-picture${size ? ' sized' : ''}`} style={style} data-testid="lightbox-picture" data-state={drawn ? 'drawn' : 'loading'}>
      {size && hash && !drawn ? <BlurhashCanvas hash={hash} width={size.width} height={size.height} /> : null}
      {!image.url && !hash ? <Spinner label={t('common.loading')} /> : null}
      {image.url ? (
        <img
          src={image.url}
          alt={file.name}
          onLoad={() => {
            onDrawn();
            image.onLoad();
          }}
          onError={image.onError}
        />
      ) : null}
    </div>
  );
}
