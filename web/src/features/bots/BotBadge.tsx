import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';

/** The "bot" mark after a bot's name (its profile says `is_bot`). */
export function BotBadge() {
  const { t } = useI18n();
  return (
    <span className="tag bot-tag" data-testid="bot-badge">
      {t('bots.badge')}
    </span>
  );
}

/**
 * The mark for user `userId` when their profile says they are a bot. The profile is fetched
 * when missing, unless `cachedOnly` (member lists: their avatars fetch profiles as they come
 * near the view, and the mark follows then, with no request of its own).
 */
export function BotBadgeOf({ userId, cachedOnly = false }: { userId: number | null | undefined; cachedOnly?: boolean }) {
  const id = userId ?? 0;
  const user = useQuery({
    queryKey: keys.user(id),
    queryFn: () => api.user(id),
    enabled: !cachedOnly && id > 0,
    staleTime: 5 * 60_000,
  });
  return user.data?.is_bot ? <BotBadge /> : null;
}
