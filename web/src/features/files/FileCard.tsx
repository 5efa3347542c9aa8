/**
 * A file in a message: its icon, name and size, and a download button; a sound (a voice
 * message) shows its player above them (SoundPlayer), a video its poster that plays inline
 * (VideoPlayer), a picture itself (CardPicture: its box, blurhash and thumbnail once
 * processed; "Processing…" meanwhile), which opens the lightbox. Everything is read through links made for the message carrying the
 * file (links.ts). A 404 means the file is gone (deleted, or no longer visible): the card says
 * so. A picture the server could not process is the plain card (its original downloads).
 */
import { useRef, type ReactNode, type RefObject } from 'react';
import { formatSize } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { Spinner, useErrorText } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { useNearView } from '../../ui/useNearView';
import { isImage, pictureKind, playKind, type AttachedFile, type FilePreview } from './attachment';
import { CARD_SIDE, CardPicture } from './CardPicture';
import { isGone, useFileDownload, type FileSource } from './links';
import { SoundPlayer } from './SoundPlayer';
import { usePictureImage } from './usePictureImage';
import { hasPoster, VideoPlayer } from './VideoPlayer';

/** A sent file's card: `source` says where it is read from; `onOpen` opens its picture full-window. */
export function FileCard({ file, source, onOpen }: { file: FilePreview & { version?: number }; source?: FileSource; onOpen?: () => void }) {
  if (!source) return <FileCardView file={file} />;
  return <SentFileCard file={{ ...file, id: source.id, version: file.version ?? 1 }} source={source} onOpen={onOpen} />;
}

function SentFileCard({ file, source, onOpen }: { file: AttachedFile; source: FileSource; onOpen?: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const near = useNearView(ref);
  const plays = playKind(file);
  const picture = plays === 'none' && pictureKind(file) !== 'none';
  // A video's poster is its thumbnail, read like a picture's once the server has made it.
  const poster = plays === 'video' && hasPoster(file);
  const image = usePictureImage(file, source, CARD_SIDE, 'card', (picture || poster) && near);
  const download = useFileDownload(file.name, source);
  const gone = isGone(image.error) || isGone(download.error);
  const state = gone ? 'unavailable' : image.processing ? 'processing' : 'ready';
  const media = gone
    ? null
    : plays === 'sound'
      ? <SoundPlayer file={file} source={source} />
      : plays === 'video' && !image.broken
        ? <VideoPlayer file={file} source={source} poster={image} />
        : picture && !image.broken
          ? <CardPicture file={file} image={image} onOpen={onOpen} />
          : null;
  return <FileCardView file={file} cardRef={ref} state={state} media={media} download={download} />;
}

function FileCardView({
  file,
  cardRef,
  state = 'sending',
  media,
  download,
}: {
  file: FilePreview;
  cardRef?: RefObject<HTMLDivElement | null>;
  state?: 'sending' | 'ready' | 'processing' | 'unavailable';
  /** What shows above the name: a picture, a video's poster or a sound's player. */
  media?: ReactNode;
  download?: ReturnType<typeof useFileDownload>;
}) {
  const { t, lang } = useI18n();
  const errorText = useErrorText();
  const gone = state === 'unavailable';
  return (
    <div ref={cardRef} className={`file-card${gone ? ' gone' : ''}`} data-testid="file-card" data-state={state}>
      {media}
      <div className="file-row">
        <span className="file-icon" aria-hidden="true">
          <Icon name={gone ? 'alert' : isImage(file) ? 'image' : 'file'} size={20} />
        </span>
        <span className="file-info">
          <span className="file-name" title={file.name} dir="auto">
            {file.name}
          </span>
          {gone ? (
            <span className="file-size" title={t('files.unavailableHint')} data-testid="file-unavailable">
              {t('files.unavailable')}
            </span>
          ) : (
            <span className="file-size" data-testid="file-size">
              {formatSize(file.size, lang)}
            </span>
          )}
        </span>
        {download && !gone ? (
          <button
            type="button"
            className="icon-button file-download"
            onClick={download.download}
            disabled={download.busy}
            aria-label={t('files.downloadName', { name: file.name })}
            title={t('files.download')}
          >
            {download.busy ? <Spinner label={t('common.loading')} /> : <Icon name="download" size={18} />}
          </button>
        ) : null}
      </div>
      {download?.error && !gone ? (
        <span className="file-error" role="alert">
          {errorText(download.error)}
        </span>
      ) : null}
    </div>
  );
}
