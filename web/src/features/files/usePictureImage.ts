/**
 * The address a picture is drawn from, with its fallbacks: the thumbnail as WebP, then as JPEG
 * (a browser that cannot show WebP), then a fresh link once (the old one may have expired);
 * failing again, the picture is `broken` and the card falls back to the plain file. Without a
 * thumbnail it reads the file itself, with the same one fresh link. Avatars go through the same
 * steps (`useImageFallback`), falling back to the initial.
 */
import { useState } from 'react';
import type { Media } from '../../api/types';
import { thumbnailFor, thumbnailVariants, type AttachedFile } from './attachment';
import { usePictureLink, type FileSource, type LinkSource } from './links';

/** The variants to try, best first, for a view `side` pixels across (`undefined`: the file itself). */
export function pictureVariants(media: Media | undefined, side: number, view: 'card' | 'full'): (string | undefined)[] {
  // A full view of an animated GIF plays the file itself; a card shows its first frame.
  const thumb = view === 'full' && media?.animated ? null : thumbnailFor(media, side, view === 'card');
  return thumb ? thumbnailVariants(thumb) : [undefined];
}

interface Fallback {
  /** The variants this state is for: new ones start over. */
  key: string;
  step: number;
  refreshed: boolean;
  broken: boolean;
}

/**
 * Reads the first of `variants` (best first; `undefined` is the file itself) through a link for
 * `source`, and moves on to the next when the <img> fails to load, then to a fresh link once;
 * after that it is `broken`. `version` is the card's (a new one asks for a new link at once).
 */
export function useImageFallback(variants: (string | undefined)[], source: LinkSource, version: number, enabled: boolean) {
  const key = variants.join(',');
  const [state, setState] = useState<Fallback>({ key, step: 0, refreshed: false, broken: false });
  const current = state.key === key ? state : { key, step: 0, refreshed: false, broken: false };
  const variant = variants[Math.min(current.step, variants.length - 1)];
  const { link, processing } = usePictureLink(source, variant, version, enabled && !current.broken);
  return {
    url: link.data?.url,
    error: link.error,
    processing,
    broken: current.broken,
    /** The variant being read (`320.webp`), or undefined for the file itself. */
    variant,
    onLoad: () => {
      if (current.refreshed) setState({ ...current, refreshed: false });
    },
    onError: () => {
      if (current.step < variants.length - 1) setState({ ...current, step: current.step + 1 });
      else if (!current.refreshed) {
        setState({ ...current, refreshed: true });
        void link.refetch();
      } else setState({ ...current, broken: true });
    },
  };
}

export function usePictureImage(file: Pick<AttachedFile, 'media' | 'version'>, source: FileSource, side: number, view: 'card' | 'full', enabled: boolean) {
  return useImageFallback(pictureVariants(file.media, side, view), source, file.version, enabled);
}

export type PictureImage = ReturnType<typeof useImageFallback>;
