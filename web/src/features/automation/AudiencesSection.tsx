import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../../api/endpoints';
import type { Audience } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { ImportForm } from './ImportForm';
import { storeItem } from './lists';
import { PagedList, When } from './parts';
import { useAudiences } from './queries';

/** Automation → Audiences: my lists of people, newest first, and the form that imports a new one. */
export function AudiencesSection() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const audiences = useAudiences();
  return (
    <>
      <Card title={t('automation.audiences')} className="auto-card" testId="automation-audiences">
        <p className="muted small">{t('automation.audiencesHint')}</p>
        <PagedList query={audiences} label={t('automation.audiencesList')} empty={t('automation.audiencesNone')} testId="audiences">
          {(a) => <AudienceRow key={a.id} audience={a} />}
        </PagedList>
      </Card>
      <Card title={t('automation.importTitle')} className="auto-card" testId="automation-import">
        <ImportForm
          named
          testId="import-form"
          send={async ({ name, text, region }) => {
            const made = await api.createAudience({ name: name.trim(), text, region: region || null });
            storeItem(qc, keys.audiences, made.audience, 'first');
            return made.report;
          }}
        />
      </Card>
    </>
  );
}

function AudienceRow({ audience }: { audience: Audience }) {
  const { t } = useI18n();
  return (
    <li className="auto-row" data-testid="audience" data-id={audience.id}>
      <Link to={`/automation/audiences/${audience.id}`} className="admin-link auto-link" data-testid="audience-link">
        <Icon name="users" />
        <span className="person-text">
          <span className="person-name" data-testid="audience-name">
            {audience.name}
          </span>
          <span className="muted small">
            <span data-testid="audience-size">{t('automation.people', { count: audience.size })}</span> · <When ms={audience.created_at} />
          </span>
        </span>
        <Icon name="forward" size={18} />
      </Link>
    </li>
  );
}
