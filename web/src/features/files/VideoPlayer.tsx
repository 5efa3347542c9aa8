/**
 * A video on a file card: its poster (the server's 320 px thumbnail of the first frame, its
 * blurhash until drawn: CardPicture) with a play mark and its length; a click plays it inline
 * in a <video controls> from a fresh link for the message (links.ts). A video the server has
 * not processed yet shows a plain box with the play mark (its owner may play it at once).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useI18n } from '../../i18n/index';
import { useErrorText } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { formatDuration, thumbnailFor, type AttachedFile } from './attachment';
import { CARD_SIDE, CardPicture, cardBoxStyle } from './CardPicture';
import { linkQuery, type FileSource } from './links';
import type { PictureImage } from './usePictureImage';

/** The play mark and the length, over the poster. */
function PlayMark({ durationMs }: { durationMs?: number | null }) {
  return (
    <>
      <span className="video-play" aria-hidden="true">
        <Icon name="play" size={28} />
      </span>
      {typeof durationMs === 'number' ? (
        <span className="picture-badge video-duration" data-testid="video-duration">
          {formatDuration(durationMs)}
        </span>
      ) : null}
    </>
  );
}

/** Whether a video's poster can be read: the server has made a thumbnail of it. */
export function hasPoster(file: Pick<AttachedFile, 'media'>): boolean {
  return thumbnailFor(file.media, CARD_SIDE) !== null;
}

export function VideoPlayer({ file, source, poster }: { file: AttachedFile; source: FileSource; poster: PictureImage }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const qc = useQueryClient();
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const durationMs = file.media?.state === 'ready' ? file.media.duration_ms : null;
  const label = t('files.playVideo', { name: file.name });

  async function play() {
    setError(null);
    try {
      setUrl((await qc.fetchQuery(linkQuery(source))).url);
    } catch (e) {
      setError(e);
    }
  }

  if (url) {
    return (
      <video className="file-video" style={cardBoxStyle(file)} src={url} poster={poster.url} controls autoPlay playsInline data-testid="file-video" aria-label={file.name}>
        <track kind="captions" />
      </video>
    );
  }
  return (
    <>
      {hasPoster(file) ? (
        <CardPicture file={file} image={poster} onOpen={() => void play()} label={label}>
          <PlayMark durationMs={durationMs} />
        </CardPicture>
      ) : (
        <button type="button" className="file-picture video-still" onClick={() => void play()} aria-label={label} data-testid="file-picture">
          <PlayMark durationMs={durationMs} />
        </button>
      )}
      {error ? (
        <span className="file-error" role="alert">
          {errorText(error)}
        </span>
      ) : null}
    </>
  );
}
