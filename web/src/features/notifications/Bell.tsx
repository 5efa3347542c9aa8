import { Link, useLocation } from 'react-router';
import { useI18n } from '../../i18n/index';
import { Icon } from '../../ui/Icon';
import { useNotifyEnabled, useNotifyUnread } from './cache';

/**
 * The bell in the chat list's header: the notifications page, with the unread count. Absent
 * when the server runs no notify service.
 */
export function NotificationsBell() {
  const { t } = useI18n();
  const enabled = useNotifyEnabled();
  const unread = useNotifyUnread();
  const active = useLocation().pathname === '/notifications';
  if (!enabled) return null;
  const label = unread > 0 ? t('notify.bellUnread', { count: unread }) : t('notify.title');
  return (
    <Link
      to="/notifications"
      className={`icon-button bell${active ? ' active' : ''}`}
      aria-label={label}
      title={label}
      aria-current={active ? 'page' : undefined}
      data-testid="notifications-bell"
    >
      <Icon name="bell" />
      {unread > 0 ? (
        <span className="badge" aria-hidden="true" data-testid="notifications-badge">
          {unread > 99 ? '99+' : unread}
        </span>
      ) : null}
    </Link>
  );
}
