import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { Publication, Schedule } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { known } from './automation';
import { PUBLICATION_STATES, SCHEDULE_STATES, browserZone, formatInZone, weekdayNames } from './autopost';
import { dropItem, storeItem } from './lists';
import { ConfirmButton, PagedList, StateBadge, useTick } from './parts';
import { ScheduleFormView } from './ScheduleForm';
import { useSchedules } from './queries';

/** Automation → Autopost: my schedules, newest first, with state, next slot and posts waiting; the form that makes one. */
export function SchedulesSection() {
  const { t } = useI18n();
  const schedules = useSchedules();
  useTick(30_000);
  return (
    <>
      <Card title={t('autopost.title')} className="auto-card" testId="autopost-schedules">
        <p className="muted small">{t('autopost.hint')}</p>
        <PagedList query={schedules} label={t('autopost.list')} empty={t('autopost.none')} testId="schedules">
          {(s) => <ScheduleRow key={s.id} schedule={s} />}
        </PagedList>
      </Card>
      <Card title={t('autopost.new')} className="auto-card" testId="autopost-new">
        <ScheduleFormView />
      </Card>
    </>
  );
}

function ScheduleRow({ schedule: s }: { schedule: Schedule }) {
  return (
    <li className="auto-row" data-testid="schedule" data-id={s.id} data-state={s.state}>
      <div className="auto-head">
        <Link to={`/automation/autopost/${s.id}`} className="auto-link person-text" data-testid="schedule-link">
          <span className="person-name" data-testid="schedule-name" dir="auto">
            {s.name}
          </span>
          <span className="muted small">
            <ScheduleWhen schedule={s} />
          </span>
        </Link>
        <ScheduleStateBadge schedule={s} />
      </div>
      <ScheduleFacts schedule={s} />
      <ScheduleActions schedule={s} onRemoved={() => undefined} />
    </li>
  );
}

export function ScheduleStateBadge({ schedule }: { schedule: Schedule }) {
  const { t } = useI18n();
  const state = known(SCHEDULE_STATES, schedule.state);
  return <StateBadge state={schedule.state} text={state ? t(`autopost.state.${state}`) : schedule.state} testId="schedule-state" />;
}

/** "09:00, 18:30 · Mon, Wed, Fri · Europe/Moscow". */
export function ScheduleWhen({ schedule: s }: { schedule: Schedule }) {
  const { t, lang } = useI18n();
  const names = weekdayNames(lang);
  const days = s.weekdays.length === 0 || s.weekdays.length === 7 ? t('autopost.everyDay') : names.filter((d) => s.weekdays.includes(d.day)).map((d) => d.short).join(', ');
  return (
    <span data-testid="schedule-when">
      {s.times.join(', ')} · {days} · {s.timezone}
    </span>
  );
}

/** The next slot (in the schedule's zone, and here when that differs), posts waiting, targets. */
export function ScheduleFacts({ schedule: s }: { schedule: Schedule }) {
  const { t, lang } = useI18n();
  const here = browserZone();
  return (
    <p className="small auto-meta">
      {s.next_slot_at ? (
        <span data-testid="schedule-next">
          {t('autopost.next', { when: formatInZone(s.next_slot_at, lang, s.timezone), zone: s.timezone })}
          {here !== s.timezone ? (
            <span className="muted" data-testid="schedule-next-local">
              {' '}
              · {t('autopost.nextLocal', { when: formatInZone(s.next_slot_at, lang) })}
            </span>
          ) : null}
        </span>
      ) : (
        <span className="muted" data-testid="schedule-next">
          {t('autopost.noNext')}
        </span>
      )}
      <span data-testid="schedule-waiting">{t('autopost.waiting', { count: s.posts_waiting })}</span>
      <span data-testid="schedule-target-count">{t('autopost.targetCount', { count: s.targets.length })}</span>
    </p>
  );
}

/** A publication's state in words. */
export function PublicationStateBadge({ publication }: { publication: Publication }) {
  const { t } = useI18n();
  const state = known(PUBLICATION_STATES, publication.state);
  return <StateBadge state={publication.state} text={state ? t(`autopost.pubState.${state}`) : publication.state} testId="publication-state" />;
}

/**
 * Start or stop, "Publish now" (the next approved post; what came of it is said under the
 * buttons and lands in the log), delete (confirmed; on its page it goes back to the list).
 */
export function ScheduleActions({ schedule: s, onRemoved }: { schedule: Schedule; onRemoved?: () => void }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const store = (now: Schedule) => {
    qc.setQueryData(keys.schedule(now.id), now);
    storeItem(qc, keys.schedules, now, 'first');
  };
  // Refused as `wrong_state` (started or stopped elsewhere meanwhile), or gone: show it as it is.
  const stale = (e: unknown) => {
    if (isApiError(e) && (e.code === 'wrong_state' || e.status === 404)) {
      void qc.invalidateQueries({ queryKey: keys.schedule(s.id) });
      void qc.invalidateQueries({ queryKey: keys.schedules });
    }
  };
  const toggle = useMutation({
    mutationFn: (what: 'start' | 'stop') => (what === 'start' ? api.startSchedule(s.id) : api.stopSchedule(s.id)),
    onSuccess: store,
    onError: stale,
  });
  const publish = useMutation({
    mutationFn: () => api.publishNow(s.id),
    onSuccess: (p) => {
      storeItem(qc, keys.scheduleLog(s.id), p, 'first');
      void qc.invalidateQueries({ queryKey: keys.schedule(s.id) });
      void qc.invalidateQueries({ queryKey: keys.schedules });
      void qc.invalidateQueries({ queryKey: keys.automationStats });
    },
    onError: stale,
  });
  const remove = useMutation({
    mutationFn: () => api.removeSchedule(s.id),
    onSuccess: () => {
      dropItem(qc, keys.schedules, s.id);
      qc.removeQueries({ queryKey: keys.schedule(s.id) });
      if (onRemoved) onRemoved();
      else navigate('/automation/autopost');
    },
    onError: stale,
  });
  const busy = toggle.isPending || publish.isPending || remove.isPending;
  const published = publish.data;
  return (
    <>
      <ErrorNote error={toggle.error ?? publish.error ?? remove.error} />
      {published && !publish.isPending ? (
        <p className="small auto-meta" role="status" data-testid="publish-result">
          <span>{t('autopost.publishedNow')}</span>
          <PublicationStateBadge publication={published} />
          {published.detail ? <span className="auto-detail">{published.detail}</span> : null}
        </p>
      ) : null}
      <div className="row auto-actions">
        {s.state === 'running' ? (
          <button type="button" className="button small" onClick={() => toggle.mutate('stop')} disabled={busy} data-testid="schedule-stop">
            <Icon name="pause" size={14} /> {t('autopost.stop')}
          </button>
        ) : (
          <button type="button" className="button small" onClick={() => toggle.mutate('start')} disabled={busy} data-testid="schedule-start">
            <Icon name="play" size={14} /> {t('autopost.start')}
          </button>
        )}
        <button type="button" className="button small" onClick={() => publish.mutate()} disabled={busy} data-testid="schedule-publish">
          <Icon name="send" size={14} /> {t('autopost.publishNow')}
        </button>
        <ConfirmButton
          label={t('common.delete')}
          ariaLabel={t('autopost.removeOne', { name: s.name })}
          title={t('autopost.removeTitle')}
          text={t('autopost.removeText', { name: s.name })}
          confirm={t('common.delete')}
          disabled={busy}
          testId="schedule-remove"
          onConfirm={() => remove.mutate()}
        />
      </div>
    </>
  );
}
