/**
 * Avatars that find their own picture: a person's from their profile (asked for once the
 * avatar comes near the view, so a long member list does not ask for every profile at once),
 * and a chat's: a group's or channel's own, a direct chat's the other member's.
 */
import { useRef } from 'react';
import type { ChatInfo } from '../../api/types';
import { displayName, useUser } from '../../state/queries';
import { Avatar } from '../../ui/Avatar';
import { useNearView } from '../../ui/useNearView';

/** A person's avatar; `name` is shown until (or instead of) the profile's. */
export function UserAvatar({ userId, name, size, online }: { userId: number; name?: string; size?: number; online?: boolean }) {
  const ref = useRef<HTMLSpanElement>(null);
  const near = useNearView(ref);
  const user = useUser(near ? userId : null);
  return <Avatar ref={ref} name={name ?? displayName(user.data)} id={userId} size={size} online={online} avatar={user.data?.avatar} />;
}

/** A chat's avatar, named `title`. */
export function ChatAvatar({ chat, title, size, online }: { chat: ChatInfo; title: string; size?: number; online?: boolean }) {
  const peer = useUser(chat.kind === 'direct' ? chat.peer_id : null);
  const avatar = chat.kind === 'direct' ? peer.data?.avatar : chat.avatar;
  return <Avatar name={title} id={chat.id} size={size} online={online} avatar={avatar} />;
}
