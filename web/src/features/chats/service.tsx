/**
 * Service messages (docs/api.md "Service messages"): what happened in a group or channel,
 * drawn as a centred grey line ("Anna added Boris") in the history and as the chat list's
 * preview, in the UI language, with names resolved like everywhere else.
 */
import { useQueries } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import type { ChatInfo, Message } from '../../api/types';
import type { components } from '../../api/schema';
import { useI18n, type Key, type Lang } from '../../i18n/index';
import { keys } from '../../state/keys';
import { displayName } from '../../state/queries';
import { Icon } from '../../ui/Icon';

export type ServiceAction = components['schemas']['ServiceAction'];

/** The users a service message names: who acted, then whom it is about. */
export function serviceUserIds(m: Pick<Message, 'sender_id' | 'action'>): number[] {
  const a = m.action;
  if (!a) return [];
  if (a.type === 'members_added') return [m.sender_id, ...a.user_ids.filter((id) => id !== m.sender_id)];
  if (a.type === 'member_left') return a.user_id === m.sender_id ? [m.sender_id] : [m.sender_id, a.user_id];
  return [m.sender_id];
}

/** "Boris, Carol and Dan" in the UI language. */
export function joinNames(names: string[], lang: Lang): string {
  try {
    return new Intl.ListFormat(lang, { type: 'conjunction' }).format(names);
  } catch {
    return names.join(', ');
  }
}

/** The line a service message shows, given a name for each user id. */
export function serviceText(
  m: Pick<Message, 'sender_id' | 'action'>,
  kind: ChatInfo['kind'] | undefined,
  nameOf: (id: number) => string,
  t: (key: Key, vars?: Record<string, string | number>) => string,
  lang: Lang,
): string {
  const a = m.action;
  if (!a) return '';
  const name = nameOf(m.sender_id);
  const channel = kind === 'channel';
  switch (a.type) {
    case 'chat_created':
      return t(channel ? 'service.channelCreated' : 'service.groupCreated', { name, title: a.title });
    case 'title_changed':
      return t(channel ? 'service.channelRenamed' : 'service.groupRenamed', { name, title: a.title });
    case 'members_added': {
      const others = a.user_ids.filter((id) => id !== m.sender_id);
      if (others.length === 0) return t('service.joinedByLink', { name });
      return t('service.added', { name, users: joinNames(others.map(nameOf), lang), count: others.length });
    }
    case 'member_left':
      if (a.user_id === m.sender_id) return t(channel ? 'service.leftChannel' : 'service.left', { name });
      return t('service.removed', { name, user: nameOf(a.user_id) });
    case 'message_pinned':
      return t(channel ? 'service.pinnedChannel' : 'service.pinned', { name });
    default:
      return t('service.unknown');
  }
}

/** The text of a service message (null for ordinary ones), names loaded as needed. */
export function useServiceText(m: Pick<Message, 'sender_id' | 'action'> | null | undefined, kind: ChatInfo['kind'] | undefined): string | null {
  const { t, lang } = useI18n();
  const ids = m?.action ? serviceUserIds(m) : [];
  const users = useQueries({
    queries: ids.map((id) => ({
      queryKey: keys.user(id),
      queryFn: () => api.user(id),
      staleTime: 5 * 60_000,
    })),
  });
  if (!m?.action) return null;
  const names = new Map(ids.map((id, i) => [id, displayName(users[i]?.data)]));
  return serviceText(m, kind, (id) => names.get(id) ?? '…', t, lang);
}

/** The message a service line points at (the one pinned), if any. */
export function serviceTarget(m: Pick<Message, 'action'>): number | null {
  return m.action?.type === 'message_pinned' ? m.action.seq : null;
}

/**
 * A service line; those who may delete others' messages (admins) may delete it too. A line
 * about a pinned message shows that message when clicked (`onJump`).
 */
export function ServiceMessage({
  message,
  kind,
  onDelete,
  onJump,
}: {
  message: Message;
  kind: ChatInfo['kind'];
  onDelete?: (m: Message) => void;
  onJump?: (seq: number) => void;
}) {
  const { t } = useI18n();
  const text = useServiceText(message, kind);
  const target = serviceTarget(message);
  return (
    <div className="service-message" data-seq={message.seq} data-testid="service-message" role="note">
      {target !== null && onJump ? (
        <button type="button" className="service-jump" onClick={() => onJump(target)}>
          {text}
        </button>
      ) : (
        <span>{text}</span>
      )}
      {onDelete ? (
        <button type="button" className="icon-button small service-delete" onClick={() => onDelete(message)} aria-label={t('message.delete')} title={t('message.delete')}>
          <Icon name="trash" size={14} />
        </button>
      ) : null}
    </div>
  );
}
