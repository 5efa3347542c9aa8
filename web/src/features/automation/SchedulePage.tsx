import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../../api/endpoints';
import type { Delivery, Publication, Schedule } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { known } from './automation';
import { DELIVERY_STATES, TRIGGERS } from './autopost';
import { storeItem } from './lists';
import { PagedList, StateBadge, When, useTick } from './parts';
import { ScheduleFormView } from './ScheduleForm';
import { PublicationStateBadge, ScheduleActions, ScheduleFacts, ScheduleStateBadge, ScheduleWhen } from './SchedulesSection';
import { useSchedule, useScheduleLog, useSources } from './queries';
import { itemsOf } from './lists';

/**
 * One schedule: what it does and when (its next slot in its zone and here), start/stop,
 * "Publish now", delete; its settings; and its post log, newest first, each publication with a
 * delivery per target (sent or failed, the message id, "plain text" when the target refused the
 * formatting, the error) and "Republish". `automation.autopost_updated` frames move it.
 */
export function SchedulePage({ id }: { id: number }) {
  const { t } = useI18n();
  const schedule = useSchedule(id);
  useTick(30_000);
  const s = schedule.data;
  if (!s) {
    return <Card className="auto-card">{schedule.isPending ? <Spinner label={t('common.loading')} /> : <ErrorNote error={schedule.error} onRetry={() => void schedule.refetch()} />}</Card>;
  }
  return (
    <>
      <Card title={s.name} className="auto-card" testId="schedule-page">
        <Link to="/automation/autopost" className="small" data-testid="back-to-schedules">
          <Icon name="back" size={14} /> {t('autopost.all')}
        </Link>
        <div className="auto-head">
          <span className="muted small">
            <ScheduleWhen schedule={s} />
          </span>
          <ScheduleStateBadge schedule={s} />
        </div>
        <ScheduleFacts schedule={s} />
        <ScheduleSummary schedule={s} />
        <ScheduleActions schedule={s} />
      </Card>
      <Card title={t('autopost.log')} className="auto-card" testId="schedule-log">
        <p className="muted small">{t('autopost.logHint')}</p>
        <PublicationLog id={id} />
      </Card>
      <Card title={t('autopost.settings')} className="auto-card" testId="schedule-settings">
        <ScheduleFormView saved={s} />
      </Card>
    </>
  );
}

/** Its book and targets. */
function ScheduleSummary({ schedule: s }: { schedule: Schedule }) {
  const { t } = useI18n();
  const sources = itemsOf(useSources().data);
  const book = s.source_id ? (sources.find((b) => b.id === s.source_id)?.name ?? `#${s.source_id}`) : t('autopost.allBooks');
  return (
    <div className="small stack autopost-summary">
      <span data-testid="schedule-book-name">
        {t('autopost.book')}: <span dir="auto">{book}</span>
        {s.random_order ? <span className="muted"> · {t('autopost.randomOrder')}</span> : null}
      </span>
      <ul className="plain-list" aria-label={t('autopost.targets')} data-testid="schedule-target-list">
        {s.targets.map((target) => (
          <li key={target.id} data-testid="schedule-target-item">
            <Icon name="megaphone" size={12} /> {target.account_name} → <code>{target.chat_id}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

function PublicationLog({ id }: { id: number }) {
  const { t } = useI18n();
  const log = useScheduleLog(id);
  return (
    <PagedList query={log} label={t('autopost.log')} empty={t('autopost.logNone')} testId="publications" className="autopost-log">
      {(p) => <PublicationRow key={p.id} publication={p} />}
    </PagedList>
  );
}

function PublicationRow({ publication: p }: { publication: Publication }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const trigger = known(TRIGGERS, p.trigger);
  const again = useMutation({
    mutationFn: () => api.republish(p.id),
    onSuccess: (now) => {
      storeItem(qc, keys.scheduleLog(p.schedule_id), now, 'first');
      void qc.invalidateQueries({ queryKey: keys.schedule(p.schedule_id), exact: true });
      void qc.invalidateQueries({ queryKey: keys.automationStats });
    },
  });
  return (
    <li className="auto-row" data-testid="publication" data-id={p.id} data-state={p.state}>
      <div className="auto-head">
        <span className="person-text">
          <span className="muted small">
            {trigger ? t(`autopost.trigger.${trigger}`) : p.trigger} · <When ms={p.created_at} />
          </span>
        </span>
        <PublicationStateBadge publication={p} />
      </div>
      {p.preview ? (
        <p className="small autopost-preview" dir="auto" data-testid="publication-preview">
          {p.preview}
        </p>
      ) : null}
      {p.detail ? (
        <p className="small auto-detail" data-testid="publication-detail">
          {p.detail}
        </p>
      ) : null}
      {p.deliveries.length ? (
        <ul className="plain-list autopost-deliveries" aria-label={t('autopost.deliveries')}>
          {p.deliveries.map((d) => (
            <DeliveryRow key={d.id} delivery={d} />
          ))}
        </ul>
      ) : null}
      <ErrorNote error={again.error} />
      {p.post_id !== null && p.post_id !== undefined && p.state !== 'publishing' ? (
        <div className="row auto-actions">
          <button type="button" className="button small" onClick={() => again.mutate()} disabled={again.isPending} data-testid="publication-republish">
            <Icon name="refresh" size={14} /> {t('autopost.republish')}
          </button>
        </div>
      ) : null}
    </li>
  );
}

function DeliveryRow({ delivery: d }: { delivery: Delivery }) {
  const { t } = useI18n();
  const state = known(DELIVERY_STATES, d.state);
  return (
    <li className="auto-log-row" data-testid="delivery" data-state={d.state}>
      <span className="auto-log-who">
        {d.account_name} → <code>{d.chat_id}</code>
      </span>
      <StateBadge state={d.state} text={state ? t(`autopost.delivery.${state}`) : d.state} testId="delivery-state" />
      <span className="muted small auto-log-time auto-meta">
        {d.message_id !== null && d.message_id !== undefined ? <span data-testid="delivery-message">{t('autopost.messageId', { id: d.message_id })}</span> : null}
        {d.plain_text ? (
          <span className="job-state auto-state state-plain" title={t('autopost.plainTextHint')} data-testid="delivery-plain">
            {t('autopost.plainText')}
          </span>
        ) : null}
        {d.sent_at ? <When ms={d.sent_at} /> : null}
      </span>
      {d.error ? (
        <span className="small auto-detail auto-log-detail" data-testid="delivery-error">
          {d.error}
        </span>
      ) : null}
    </li>
  );
}
