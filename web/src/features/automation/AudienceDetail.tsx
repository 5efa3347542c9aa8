import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import type { AudienceEntry } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { ImportForm } from './ImportForm';
import { dropItem, storeItem, usePaged } from './lists';
import { ConfirmButton, CsvButton, PagedList, When } from './parts';

/** One audience: its people page by page, more imported into it, its CSV, and deleting it. */
export function AudienceDetail({ id }: { id: number }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const audience = useQuery({ queryKey: keys.audience(id), queryFn: () => api.audience(id) });
  const entries = usePaged<AudienceEntry>(keys.audienceEntries(id), (cursor) => api.audienceEntries(id, cursor));
  const remove = useMutation({
    mutationFn: () => api.removeAudience(id),
    onSuccess: () => {
      dropItem(qc, keys.audiences, id);
      // Campaigns made from it lost their people's values (and a running one was cancelled).
      void qc.invalidateQueries({ queryKey: keys.campaigns });
      navigate('/automation/audiences');
    },
  });
  const a = audience.data;
  if (!a) {
    return <Card className="auto-card">{audience.isPending ? <Spinner label={t('common.loading')} /> : <ErrorNote error={audience.error} onRetry={() => void audience.refetch()} />}</Card>;
  }
  return (
    <>
      <Card title={a.name} className="auto-card" testId="audience-detail">
        <Link to="/automation/audiences" className="small">
          <Icon name="back" size={14} /> {t('automation.allAudiences')}
        </Link>
        <p className="muted small">
          <span data-testid="audience-detail-size">{t('automation.people', { count: a.size })}</span> · {t('automation.created')} <When ms={a.created_at} />
        </p>
        <div className="row auto-actions">
          <CsvButton path={`/automation/audiences/${id}/export`} name={`audience-${id}.csv`} label={t('automation.exportCsv')} testId="audience-export" />
          <ConfirmButton
            label={t('common.delete')}
            ariaLabel={t('automation.removeAudienceOne', { name: a.name })}
            title={t('automation.removeAudienceTitle')}
            text={t('automation.removeAudienceText', { name: a.name })}
            confirm={t('common.delete')}
            disabled={remove.isPending}
            testId="audience-remove"
            onConfirm={() => remove.mutate()}
          />
        </div>
        <ErrorNote error={remove.error} />
        <h3 className="section-title">{t('automation.entries')}</h3>
        <PagedList query={entries} label={t('automation.entries')} empty={t('automation.entriesNone')} testId="entries" className="auto-entries">
          {(e) => (
            <li key={e.id} className="auto-entry" data-testid="entry">
              <span className="muted small">{t(e.kind === 'phone' ? 'automation.kindPhone' : 'automation.kindUsername')}</span> <code>{e.kind === 'username' ? `@${e.value}` : e.value}</code>
            </li>
          )}
        </PagedList>
      </Card>
      <Card title={t('automation.importMoreTitle')} className="auto-card" testId="audience-import">
        <ImportForm
          named={false}
          testId="import-more-form"
          send={async ({ text, region }) => {
            const made = await api.importEntries(id, { text, region: region || null });
            qc.setQueryData(keys.audience(id), made.audience);
            storeItem(qc, keys.audiences, made.audience, 'first');
            void qc.invalidateQueries({ queryKey: keys.audienceEntries(id) });
            return made.report;
          }}
        />
      </Card>
    </>
  );
}

