import { useI18n } from '../../i18n/index';
import { displayName, useUser } from '../../state/queries';
import { Icon } from '../../ui/Icon';

/** The line over a forwarded message: "Forwarded from Anna", the original's author by name. */
export function ForwardedFrom({ userId }: { userId: number }) {
  const { t } = useI18n();
  const author = useUser(userId);
  return (
    <span className="forwarded-from" data-testid="forwarded-from">
      <Icon name="share" size={13} />
      <span className="forwarded-from-text">{t('message.forwardedFrom', { name: displayName(author.data) })}</span>
    </span>
  );
}
