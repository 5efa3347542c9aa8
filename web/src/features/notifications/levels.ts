/**
 * What a user hears of each chat (docs/notifications.md): a chat's own level, else the
 * user's default for its kind, and a mute until some time whatever the level. The chats with
 * a setting of their own come in one list (`GET /notifications/chats`), so the chat list
 * shows every muted chat without asking per chat.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import type { ChatInfo, ChatSetting, ChatSettingUpdate, Level, NotifySettings } from '../../api/types';
import { keys } from '../../state/keys';

const HOUR = 3_600_000;

/** The mute choices, in ms from now; `forever` is a mute far enough away to never end. */
export const MUTES = { mute1h: HOUR, mute8h: 8 * HOUR, mute1d: 24 * HOUR, muteForever: 100 * 365 * 24 * HOUR } as const;
export type MuteChoice = keyof typeof MUTES;

/** A mute this far away is "until turned back on" (shown without a time). */
const FOREVER_AFTER = 10 * 365 * 24 * HOUR;

export const LEVELS: readonly Level[] = ['all', 'mentions', 'none'];

/** The level a chat follows: its own, else the default for its kind, else all. */
export function effectiveLevel(setting: ChatSetting | undefined, settings: NotifySettings | undefined, kind: ChatInfo['kind']): Level {
  return setting?.level ?? settings?.defaults?.[kind] ?? 'all';
}

/** Until when the chat is muted, if it is now. */
export function mutedUntil(setting: ChatSetting | undefined, now = Date.now()): number | null {
  const until = setting?.muted_until;
  return until && until > now ? until : null;
}

export function mutedForever(until: number, now = Date.now()): boolean {
  return until - now > FOREVER_AFTER;
}

/** Whether the chat says nothing now: muted for a while, or its level is none. */
export function isMuted(setting: ChatSetting | undefined, settings: NotifySettings | undefined, kind: ChatInfo['kind'], now = Date.now()): boolean {
  return mutedUntil(setting, now) !== null || effectiveLevel(setting, settings, kind) === 'none';
}

/** The change that sets `level` (keeping the mute), or mutes or unmutes (keeping the level). */
export function levelChange(setting: ChatSetting | undefined, level: Level): ChatSettingUpdate {
  return { level, muted_until: mutedUntil(setting) };
}

export function muteChange(setting: ChatSetting | undefined, mute: MuteChoice | null, now = Date.now()): ChatSettingUpdate {
  return { level: setting?.level ?? null, muted_until: mute ? now + MUTES[mute] : null };
}

/** The list with one chat's setting as the server answered it (gone when it has none). */
export function withSetting(list: ChatSetting[] | undefined, s: ChatSetting): ChatSetting[] | undefined {
  if (!list) return list;
  const rest = list.filter((x) => x.chat_id !== s.chat_id);
  return s.level || s.muted_until ? [...rest, s] : rest;
}

/** Every chat's own setting, by chat id. */
export function useChatSettings(enabled: boolean) {
  return useQuery({
    queryKey: keys.chatNotify,
    queryFn: api.chatNotifySettings,
    enabled,
    staleTime: 5 * 60_000,
    select: (list) => new Map(list.map((s) => [s.chat_id, s])),
  });
}

/** Quiet hours and the defaults per kind of chat. */
export function useNotifySettings(enabled: boolean) {
  return useQuery({ queryKey: keys.notifySettings, queryFn: api.notifySettings, enabled, staleTime: 5 * 60_000 });
}

/** Whether a chat of the list is muted (false for all until the settings are known). */
export function useMutedChats(enabled: boolean): (chat: ChatInfo) => boolean {
  const own = useChatSettings(enabled);
  const settings = useNotifySettings(enabled);
  return (chat) => enabled && own.isSuccess && isMuted(own.data.get(chat.id), settings.data, chat.kind);
}

/** Changes one chat's setting; the answer goes into the list at once. */
export function useSetChatNotify(chatId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (update: ChatSettingUpdate) => api.setChatNotify(chatId, update),
    onSuccess: (s) => qc.setQueryData<ChatSetting[]>(keys.chatNotify, (list) => withSetting(list, s)),
  });
}
