/**
 * A file in a message: its icon, name and size, and a download button; a picture shows
 * inline (at most 320 px, its shape kept). Both read the file through a link the server makes
 * for the message carrying it (`POST /files/{id}/link?chat_id=&seq=`: no token needed, valid
 * for ten minutes), asked for again once it has expired. A 404 means the file is gone (deleted,
 * or no longer visible): the card says so.
 */
import { useQuery, useQueryClient, type Query } from '@tanstack/react-query';
import { useEffect, useRef, useState, type RefObject } from 'react';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { FileLink } from '../../api/types';
import { formatSize } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Spinner, useErrorText } from '../../ui/common';
import { isRetryable } from '../../ui/errorText';
import { Icon } from '../../ui/Icon';
import { isImage, type FilePreview } from './attachment';

/** Where a sent file is read from: its id, through the message (chat and seq) carrying it. */
export interface FileSource {
  id: number;
  chatId: number;
  seq: number;
}

/** A link is asked for again this long before it expires. */
const LINK_MARGIN_MS = 30_000;

/** The answer that means the file is gone for this reader. */
export function isGone(e: unknown): boolean {
  return isApiError(e) && e.status === 404;
}

/** The query of a file's link: fresh until shortly before it expires. */
export function linkQuery(source: FileSource) {
  return {
    queryKey: keys.fileLink(source.id, source.chatId, source.seq),
    queryFn: () => api.fileLink(source.id, source.chatId, source.seq),
    staleTime: (q: Query<FileLink>) => (q.state.data ? Math.max(0, q.state.data.expires_at * 1000 - Date.now() - LINK_MARGIN_MS) : 0),
    retry: (failures: number, e: unknown) => failures < 2 && !isGone(e) && isRetryable(e),
  };
}

/** Saves what `url` points to under `name` (same origin: the browser downloads it). */
function saveLink(url: string, name: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Whether the element is in or near the scrolled view (always, without IntersectionObserver). */
function useNearView(ref: RefObject<Element | null>): boolean {
  const [near, setNear] = useState(typeof IntersectionObserver === 'undefined');
  useEffect(() => {
    const el = ref.current;
    if (near || !el || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setNear(true), { rootMargin: '600px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, [ref, near]);
  return near;
}

export function FileCard({ file, source }: { file: FilePreview; source?: FileSource }) {
  const { t, lang } = useI18n();
  const errorText = useErrorText();
  const qc = useQueryClient();
  const ref = useRef<HTMLDivElement>(null);
  const near = useNearView(ref);
  const picture = isImage(file) && source !== undefined;
  const link = useQuery({
    ...linkQuery(source ?? { id: 0, chatId: 0, seq: 0 }),
    enabled: picture && near,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const gone = isGone(link.error) || isGone(error);

  async function download() {
    if (!source) return;
    setBusy(true);
    setError(null);
    try {
      const { url } = await qc.fetchQuery(linkQuery(source));
      saveLink(url, file.name);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div ref={ref} className={`file-card${gone ? ' gone' : ''}`} data-testid="file-card" data-state={gone ? 'unavailable' : source ? 'ready' : 'sending'}>
      {picture && !gone ? <FilePicture name={file.name} url={link.data?.url} onBroken={() => void link.refetch()} /> : null}
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
        {source && !gone ? (
          <button
            type="button"
            className="icon-button file-download"
            onClick={() => void download()}
            disabled={busy}
            aria-label={t('files.downloadName', { name: file.name })}
            title={t('files.download')}
          >
            {busy ? <Spinner label={t('common.loading')} /> : <Icon name="download" size={18} />}
          </button>
        ) : null}
      </div>
      {error && !gone ? (
        <span className="file-error" role="alert">
          {errorText(error)}
        </span>
      ) : null}
    </div>
  );
}

/**
 * The picture, linking to itself at full size. A picture that fails to load asks for a new link
 * once (the old one may have expired); failing again, it gives way to the plain card.
 */
function FilePicture({ name, url, onBroken }: { name: string; url: string | undefined; onBroken: () => void }) {
  const { t } = useI18n();
  const refreshed = useRef(false);
  const [broken, setBroken] = useState(false);
  if (broken) return null;
  if (!url) {
    return (
      <span className="file-picture loading">
        <Spinner label={t('common.loading')} />
      </span>
    );
  }
  return (
    <a className="file-picture" href={url} target="_blank" rel="noopener noreferrer" aria-label={t('files.openImage', { name })}>
      <img
        src={url}
        alt={name}
        onLoad={() => {
          refreshed.current = false;
        }}
        onError={() => {
          if (refreshed.current) {
            setBroken(true);
            return;
          }
          refreshed.current = true;
          onBroken();
        }}
      />
    </a>
  );
}
