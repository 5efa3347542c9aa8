import { useEffect } from 'react';
import { useParams } from 'react-router';
import { useChats } from '../state/queries';
import { useStore } from '../state/store';
import { connection } from '../features/realtime/state';
import { useI18n } from '../i18n/index';
import { Sidebar } from '../features/chats/Sidebar';
import { ChatView } from '../features/chats/ChatView';
import { SettingsPage } from '../features/settings/SettingsPage';
import { Icon } from '../ui/Icon';
import { JobsPage } from '../features/admin/JobsPage';
import { AutomationPage } from '../features/automation/AutomationPage';
import { NotificationsPage } from '../features/notifications/NotificationsPage';
import { useNotifyEnabled, useNotifyUnread } from '../features/notifications/cache';
import { useWorkerLink } from '../features/notifications/worker';
import { DeclinedNotices } from '../features/chats/JoinRequestsPanel';

/** Shown while the socket is down or catching up; gone once missed events are applied. */
export function ReconnectBanner() {
  const { t } = useI18n();
  const { status, everOnline } = useStore(connection);
  if (status === 'online' || !everOnline) return null;
  return (
    <div className="banner" role="status" aria-live="polite" data-testid="reconnect-banner">
      <span className="spinner small" aria-hidden="true" />
      {status === 'syncing' ? t('live.syncing') : t('live.reconnecting')}
    </div>
  );
}

function Empty() {
  const { t } = useI18n();
  return (
    <div className="empty-main">
      <Icon name="message" size={48} />
      <p>{t('chat.pickOne')}</p>
    </div>
  );
}

/**
 * The tab title: "(3) Hybrid" while three chats have unread messages, and "🔔2" for unread
 * notifications: "(3) 🔔2 Hybrid", "🔔2 Hybrid".
 */
export function tabTitle(unreadChats: number, unreadNotifications: number): string {
  const parts = [unreadChats > 0 ? `(${unreadChats})` : '', unreadNotifications > 0 ? `🔔${unreadNotifications}` : '', 'Hybrid'];
  return parts.filter(Boolean).join(' ');
}

function useUnreadTitle() {
  const chats = useChats();
  const unread = (chats.data ?? []).reduce((n, c) => n + (c.unread_count > 0 ? 1 : 0), 0);
  const notes = useNotifyUnread();
  useEffect(() => {
    document.title = tabTitle(unread, notes);
  }, [unread, notes]);
}

export function Shell({ page }: { page?: 'settings' | 'jobs' | 'notifications' | 'automation' }) {
  useUnreadTitle();
  useWorkerLink(useNotifyEnabled());
  const { chatId } = useParams();
  const id = chatId ? Number(chatId) : null;
  const view = page ? 'page' : id ? 'chat' : 'list';
  return (
    <div className="shell" data-view={view}>
      <ReconnectBanner />
      <Sidebar activeId={id} />
      <main className="main" id="main">
        {page === 'settings' ? (
          <SettingsPage />
        ) : page === 'notifications' ? (
          <NotificationsPage />
        ) : page === 'jobs' ? (
          <JobsPage />
        ) : page === 'automation' ? (
          <AutomationPage />
        ) : id && Number.isFinite(id) ? (
          <ChatView key={id} chatId={id} />
        ) : (
          <Empty />
        )}
      </main>
      <DeclinedNotices />
    </div>
  );
}
