/**
 * A profile's or chat's picture (docs/files.md, "Avatars") inside the Avatar's circle: its
 * blurhash first, then the square thumbnail that fits the circle on this screen, read through a
 * link made for the file itself (anyone signed in reads an avatar). WebP, then JPEG, then a
 * fresh link once; failing that (or a file that is gone) nothing is drawn and the initial under
 * it shows.
 */
import type { AvatarInfo } from '../../api/types';
import { thumbnailVariants } from './attachment';
import { BlurhashCanvas } from './Blurhash';
import { useDrawn } from './CardPicture';
import { useImageFallback } from './usePictureImage';

/**
 * The thumbnail side an avatar `size` CSS pixels across reads on a screen of `dpr` device pixels
 * per CSS pixel: the smallest side at least that many pixels, else the largest; null when
 * there is none.
 */
export function avatarSide(sides: readonly number[], size: number, dpr = 1): number | null {
  const want = size * (dpr > 0 ? dpr : 1);
  const sorted = [...sides].filter((s) => s > 0).sort((a, b) => a - b);
  return sorted.find((s) => s >= want) ?? sorted.at(-1) ?? null;
}

function devicePixelRatio(): number {
  return typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;
}

export function AvatarPicture({ avatar, size }: { avatar: AvatarInfo; size: number }) {
  const side = avatarSide(avatar.sides, size, devicePixelRatio());
  const image = useImageFallback(side ? thumbnailVariants({ side }) : [], { id: avatar.file_id }, 0, side !== null);
  const { drawn, onDrawn } = useDrawn(image.url);
  if (side === null || image.broken || image.error) return null;
  return (
    <>
      {drawn ? null : <BlurhashCanvas hash={avatar.blurhash} width={1} height={1} />}
      {image.url ? (
        <img
          className="avatar-picture"
          src={image.url}
          alt=""
          width={size}
          height={size}
          data-file={avatar.file_id}
          data-testid="avatar-picture"
          onLoad={() => {
            onDrawn();
            image.onLoad();
          }}
          onError={image.onError}
        />
      ) : null}
    </>
  );
}
