/**
 * A round picture for a person or chat: the initials of `name` on a colour picked by `id`,
 * and over them the profile's or chat's own picture when it has one (`avatar`).
 */
import type { Ref } from 'react';
import type { AvatarInfo } from '../api/types';
import { AvatarPicture } from '../features/files/AvatarPicture';

const HUES = [211, 262, 330, 14, 32, 152, 187, 290];

/** Up to two initials of a name, "?" for none. */
export function initials(name: string): string {
  return (
    name
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .map((w) => w[0]?.toUpperCase() ?? '')
      .join('') || '?'
  );
}

export function Avatar({
  name,
  id,
  size = 40,
  online,
  avatar,
  ref,
}: {
  name: string;
  id: number;
  size?: number;
  online?: boolean;
  /** The picture to draw over the initials, if any. */
  avatar?: AvatarInfo | null;
  ref?: Ref<HTMLSpanElement>;
}) {
  const hue = HUES[Math.abs(id) % HUES.length];
  return (
    <span ref={ref} className="avatar" style={{ width: size, height: size, fontSize: size * 0.4, ['--hue' as string]: hue }} aria-hidden="true" data-testid="avatar">
      {initials(name)}
      {avatar ? <AvatarPicture key={avatar.file_id} avatar={avatar} size={size} /> : null}
      {online ? <span className="avatar-online" /> : null}
    </span>
  );
}
