import { Link } from 'react-router';
import { useI18n } from '../../i18n/index';
import { Card } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { useAutomationEnabled } from './queries';

/** The "Automation" card of the settings page: only when the server runs the automation service. */
export function AutomationLink() {
  const { t } = useI18n();
  if (useAutomationEnabled() !== true) return null;
  return (
    <Card title={t('automation.title')} testId="automation-section">
      <Link to="/automation/accounts" className="admin-link" data-testid="automation-link">
        <Icon name="megaphone" />
        <span className="person-text">
          <span className="person-name">{t('automation.linkTitle')}</span>
          <span className="muted small">{t('automation.linkHint')}</span>
        </span>
        <Icon name="forward" size={18} />
      </Link>
    </Card>
  );
}
