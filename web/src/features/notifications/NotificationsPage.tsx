import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useNavigate } from 'react-router';
import type { Notification } from '../../api/types';
import { formatExact, formatListTime } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { displayName, useUser } from '../../state/queries';
import { ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { UserAvatar } from '../chats/ChatAvatar';
import { unreadOf, useNotifications } from './cache';
import { useOpenEntry, readUpTo } from './open';
import { wantPushPrompt } from './prompt';
import { PushPrompt } from './PushPrompt';
import { entryLine } from './text';

/**
 * The notifications, newest first, a page at a time ("Load more"): who did what, where, with
 * the message's beginning; unread ones marked. An entry opens its chat at the message and
 * reads the list up to it; "Mark all read" reads them all. Live frames keep it current.
 */
export function NotificationsPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const list = useNotifications();
  const open = useOpenEntry();
  const readAll = useMutation({ mutationFn: () => readUpTo(qc), onError: () => qc.invalidateQueries({ queryKey: keys.notifications }) });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const unread = unreadOf(list.data);
  // Someone who looks at their notifications may want them when the tab is closed too.
  useEffect(() => wantPushPrompt(), []);
  return (
    <div className="page notifications-page">
      <header className="chat-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate('/')} aria-label={t('common.back')}>
          <Icon name="back" />
        </button>
        <h1 className="page-title">{t('notify.title')}</h1>
        {unread > 0 ? (
          <button
            type="button"
            className="button small"
            onClick={() => readAll.mutate()}
            disabled={readAll.isPending}
            aria-label={t('notify.markAllRead')}
            title={t('notify.markAllRead')}
            data-testid="mark-all-read"
          >
            <Icon name="checks" size={16} /> <span className="hide-narrow">{t('notify.markAllRead')}</span>
          </button>
        ) : null}
      </header>
      <div className="page-body">
        <PushPrompt enabled={list.isSuccess} />
        {list.isPending ? <Spinner label={t('common.loading')} /> : null}
        <ErrorNote error={list.error ?? readAll.error} onRetry={() => void list.refetch()} />
        {list.isSuccess && items.length === 0 ? <p className="empty-list">{t('notify.none')}</p> : null}
        {items.length > 0 ? (
          <ul className="plain-list notify-list" aria-label={t('notify.title')}>
            {items.map((n) => (
              <NotificationRow key={n.id} entry={n} onOpen={open} />
            ))}
          </ul>
        ) : null}
        {list.hasNextPage ? (
          <button type="button" className="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage} data-testid="notifications-more">
            {list.isFetchingNextPage ? <Spinner label={t('common.loading')} /> : null} {t('notify.more')}
          </button>
        ) : null}
      </div>
    </div>
  );
}

function NotificationRow({ entry, onOpen }: { entry: Notification; onOpen: (entry: Notification) => void }) {
  const { t, lang } = useI18n();
  const actor = useUser(entry.actor_id);
  const name = displayName(actor.data);
  const unread = !entry.read_at;
  return (
    <li>
      <button
        type="button"
        className={`notify-row${unread ? ' unread' : ''}`}
        onClick={() => onOpen(entry)}
        data-testid="notification"
        data-id={entry.id}
        data-kind={entry.kind}
        data-unread={unread || undefined}
      >
        <UserAvatar userId={entry.actor_id} name={name} size={40} />
        <span className="notify-text">
          <span className="chat-row-top">
            <span className="notify-who">
              <span className="person-name">{name}</span>
              {entry.chat_title ? <span className="notify-chat">{entry.chat_title}</span> : null}
            </span>
            <time className="chat-row-time" dateTime={new Date(entry.created_at).toISOString()} title={formatExact(entry.created_at, lang)}>
              {formatListTime(entry.created_at, lang)}
            </time>
          </span>
          <span className="notify-line" dir="auto">
            {entryLine(entry.kind, entry.preview, t)}
          </span>
        </span>
        {unread ? <span className="notify-dot" role="img" aria-label={t('notify.unread')} /> : null}
      </button>
    </li>
  );
}
