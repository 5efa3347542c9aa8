import { Link } from 'react-router';
import { useI18n } from '../../i18n/index';
import { useAccount } from '../../state/queries';
import { Card } from '../../ui/common';
import { Icon } from '../../ui/Icon';

/** The "Administration" card of the settings page: shown to administrators only. */
export function AdminSection() {
  const { t } = useI18n();
  const account = useAccount();
  if (account.data?.is_admin !== true) return null;
  return (
    <Card title={t('admin.title')} testId="admin-section">
      <Link to="/admin/jobs" className="admin-link" data-testid="admin-jobs-link">
        <Icon name="clock" />
        <span className="person-text">
          <span className="person-name">{t('admin.jobsLink')}</span>
          <span className="muted small">{t('admin.jobsHint')}</span>
        </span>
        <Icon name="forward" size={18} />
      </Link>
    </Card>
  );
}
