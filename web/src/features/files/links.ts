/**
 * Reading a sent file: through a link the server makes for the message carrying it
 * (`POST /files/{id}/link?chat_id=&seq=[&variant=320.webp]`: no token needed, valid for ten
 * minutes), asked for again once it has expired. An avatar, which anyone signed in may read,
 * gets its link without a message (`POST /files/{id}/link?variant=128.webp`). A 404 means the
 * file is gone (deleted, or no longer visible); a 409 `media_processing` that a picture is
 * still being processed (only its owner reads it meanwhile): asked again after a while, and
 * whenever its card changes.
 */
import { useQuery, useQueryClient, type Query } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { FileLink } from '../../api/types';
import { keys } from '../../state/keys';
import { isRetryable } from '../../ui/errorText';

/** Where a sent file is read from: its id, through the message (chat and seq) carrying it. */
export interface FileSource {
  id: number;
  chatId: number;
  seq: number;
}

/** What a link is made for: a file through the message carrying it, or an avatar by itself. */
export type LinkSource = Pick<FileSource, 'id'> & Partial<Pick<FileSource, 'chatId' | 'seq'>>;

/** A link is asked for again this long before it expires. */
const LINK_MARGIN_MS = 30_000;
/** While a picture is processed its link is asked for again after 1 s, 2 s, 4 s… up to this. */
const PROCESSING_MAX_DELAY_MS = 15_000;

/** The answer that means the file is gone for this reader. */
export function isGone(e: unknown): boolean {
  return isApiError(e) && e.status === 404;
}

/** The answer that means the picture is still being processed (retry shortly). */
export function isProcessing(e: unknown): boolean {
  return isApiError(e) && e.code === 'media_processing';
}

/** The query of a link to a file, or to its thumbnail `variant`: fresh until shortly before it expires. */
export function linkQuery(source: LinkSource, variant?: string) {
  return {
    queryKey: keys.fileLink(source.id, source.chatId, source.seq, variant),
    queryFn: () => api.fileLink(source.id, source.chatId, source.seq, variant),
    staleTime: (q: Query<FileLink>) => (q.state.data ? Math.max(0, q.state.data.expires_at * 1000 - Date.now() - LINK_MARGIN_MS) : 0),
    retry: (failures: number, e: unknown) => failures < 2 && !isGone(e) && isRetryable(e),
  };
}

/** The delay before asking again for the link of a picture being processed. */
export function processingDelay(failures: number): number {
  return Math.min(PROCESSING_MAX_DELAY_MS, 1000 * 2 ** Math.max(0, failures - 1));
}

/**
 * The link a picture is shown from (the file, or its thumbnail `variant`), asked for once
 * `enabled`. While the picture is processed (`409`) it is asked for again with a growing delay,
 * and at once when the card's `version` changes (a query of its own per version).
 * `processing` tells the card to say so.
 */
export function usePictureLink(source: LinkSource, variant: string | undefined, version: number, enabled: boolean) {
  const base = linkQuery(source, variant);
  const link = useQuery({
    ...base,
    queryKey: keys.fileLink(source.id, source.chatId, source.seq, variant, version),
    enabled,
    retry: (failures, e) => (isProcessing(e) ? true : base.retry(failures, e)),
    retryDelay: processingDelay,
  });
  const processing = !link.data && (isProcessing(link.error) || isProcessing(link.failureReason));
  return { link, processing };
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

/** Downloading a sent file under its name, through a fresh link: busy while it asks, and the error. */
export function useFileDownload(name: string, source: FileSource | undefined) {
  const qc = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function download() {
    if (!source) return;
    setBusy(true);
    setError(null);
    try {
      const { url } = await qc.fetchQuery(linkQuery(source));
      saveLink(url, name);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, download: () => void download() };
}
