/** Finding a chat by its name, as the chat list's search and the forward picker do. */
import { useQueryClient } from '@tanstack/react-query';
import type { ChatInfo, Profile } from '../../api/types';
import { fold } from '../../i18n/format';
import { keys } from '../../state/keys';

/**
 * Whether a chat's name contains `text`, ignoring case and ё/е: its title, and for a direct
 * chat the other person's display name and username (`peer`, when known).
 */
export function chatNameMatches(chat: ChatInfo, text: string, peer?: Pick<Profile, 'display_name' | 'username'>): boolean {
  const needle = fold(text.trim());
  if (!needle) return true;
  return fold([chat.title, peer?.display_name, peer?.username].filter(Boolean).join(' ')).includes(needle);
}

/** `chatNameMatches` with direct chats' peers taken from the profiles already loaded. */
export function useChatNameMatcher(): (chat: ChatInfo, text: string) => boolean {
  const qc = useQueryClient();
  return (chat, text) => {
    const peer = chat.kind === 'direct' && chat.peer_id ? qc.getQueryData<Profile>(keys.user(chat.peer_id)) : undefined;
    return chatNameMatches(chat, text, peer);
  };
}
