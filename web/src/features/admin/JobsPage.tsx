/**
 * Administration → Background jobs: each module's queues (jobs per state, how far behind the
 * oldest due job is) and its jobs, newest first, filtered by state and queue, a page at a
 * time; "Retry now" and "Cancel" per job. Over the admin API (`/api/v1/admin/jobs`,
 * docs/jobs.md#operating); the filters live in the address (`?module=&state=&queue=&limit=`).
 */
import { useInfiniteQuery, useIsFetching, useMutation, useQuery, useQueryClient, type InfiniteData, type UseQueryResult } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { JobInfo, JobPage, JobState, ModuleJobs, QueueSummary } from '../../api/types';
import { useI18n, type Key } from '../../i18n/index';
import { formatExact, formatRelative } from '../../i18n/format';
import { keys } from '../../state/keys';
import { useAccount } from '../../state/queries';
import { Card, ErrorNote, Modal, Spinner } from '../../ui/common';
import { durationText } from '../../ui/errorText';
import { Icon } from '../../ui/Icon';

/** The states in the order the screen lists them. */
export const JOB_STATES = ['ready', 'running', 'dead', 'done', 'cancelled'] as const satisfies readonly JobState[];
type StateFilter = 'all' | JobState;
const FILTERS: readonly StateFilter[] = ['all', ...JOB_STATES];

const DEFAULT_LIMIT = 50;

/**
 * Draws the screen again every few seconds, so relative times ("in 59 minutes") move on by
 * themselves; each one reads the clock as it is drawn (also after a refresh or an action).
 */
function useTick(everyMs = 10_000): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
}

function isForbidden(e: unknown): boolean {
  return isApiError(e) && e.status === 403;
}

export function JobsPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const account = useAccount();
  const isAdmin = account.data?.is_admin === true;
  const overview = useQuery({ queryKey: keys.jobsOverview, queryFn: () => api.jobsOverview(), enabled: isAdmin });
  // The flag is read on every call: one taken away since the account was loaded answers 403.
  const forbidden = (account.data !== undefined && !isAdmin) || isForbidden(overview.error);
  const fetching = useIsFetching({ queryKey: keys.adminJobs }) > 0;

  let body;
  if (account.isPending) body = <div className="center pad"><Spinner label={t('common.loading')} /></div>;
  else if (account.isError) body = <Card><ErrorNote error={account.error} onRetry={() => void account.refetch()} /></Card>;
  else if (forbidden)
    body = (
      <Card testId="admin-only">
        <p className="admin-only" role="status">
          <Icon name="shield" size={18} /> {t('admin.onlyAdmins')}
        </p>
      </Card>
    );
  else body = <JobsBoard overview={overview} />;

  return (
    <div className="page jobs-page">
      <header className="chat-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate('/settings')} aria-label={t('common.back')}>
          <Icon name="back" />
        </button>
        <h1 className="page-title">{t('jobs.title')}</h1>
        {isAdmin && !forbidden ? (
          <button
            type="button"
            className="icon-button"
            onClick={() => void qc.invalidateQueries({ queryKey: keys.adminJobs })}
            aria-label={t('jobs.refresh')}
            title={t('jobs.refresh')}
            aria-busy={fetching}
            data-testid="jobs-refresh"
          >
            <Icon name="refresh" className={fetching ? 'spinning' : undefined} />
          </button>
        ) : null}
      </header>
      <div className="page-body">{body}</div>
    </div>
  );
}

function JobsBoard({ overview }: { overview: UseQueryResult<ModuleJobs[]> }) {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  useTick();
  if (overview.isPending) return <div className="center pad"><Spinner label={t('common.loading')} /></div>;
  if (overview.isError) return <Card><ErrorNote error={overview.error} onRetry={() => void overview.refetch()} /></Card>;
  const modules = overview.data;
  if (modules.length === 0) {
    return (
      <Card>
        <p className="muted" data-testid="jobs-no-modules">{t('jobs.noModules')}</p>
      </Card>
    );
  }

  const asked = params.get('module');
  const current = modules.find((m) => m.module === asked) ?? (modules[0] as ModuleJobs);
  const askedState = params.get('state');
  const state: StateFilter = FILTERS.includes(askedState as StateFilter) ? (askedState as StateFilter) : 'all';
  const queue = params.get('queue') ?? '';
  const askedLimit = Number(params.get('limit'));
  const limit = Number.isInteger(askedLimit) && askedLimit >= 1 && askedLimit <= 200 ? askedLimit : DEFAULT_LIMIT;

  function setFilter(patch: { module?: string; state?: StateFilter; queue?: string }) {
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        for (const [name, value] of Object.entries(patch)) {
          if (value === undefined) continue;
          if (value === '' || (name === 'state' && value === 'all')) next.delete(name);
          else next.set(name, value);
        }
        return next;
      },
      { replace: true },
    );
  }

  return (
    <>
      {modules.map((m) => (
        <ModuleCard key={m.module} module={m} />
      ))}
      <Card title={t('jobs.listOf', { module: current.module })} className="jobs-card" testId="jobs-card">
        <div className="jobs-filters">
          {modules.length > 1 ? (
            <label className="select-field">
              <span>{t('jobs.module')}</span>
              <select value={current.module} onChange={(e) => setFilter({ module: e.target.value, queue: '' })} data-testid="jobs-module">
                {modules.map((m) => (
                  <option key={m.module} value={m.module}>
                    {m.module}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <label className="select-field">
            <span>{t('jobs.queue')}</span>
            <select value={queue} onChange={(e) => setFilter({ queue: e.target.value })} data-testid="jobs-queue">
              <option value="">{t('jobs.allQueues')}</option>
              {[...new Set([...current.queues.map((q) => q.queue), ...(queue ? [queue] : [])])].map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="filters jobs-states" role="group" aria-label={t('jobs.stateFilter')}>
          {FILTERS.map((f) => (
            <button key={f} type="button" className={`chip${state === f ? ' active' : ''}`} aria-pressed={state === f} onClick={() => setFilter({ state: f })}>
              {t(`jobs.filter.${f}`)}
            </button>
          ))}
        </div>
        <JobList key={`${current.module}/${state}/${queue}/${limit}`} module={current.module} state={state} queue={queue} limit={limit} />
      </Card>
    </>
  );
}

function ModuleCard({ module }: { module: ModuleJobs }) {
  const { t } = useI18n();
  return (
    <Card title={module.module} className="module-card" testId="jobs-module-card">
      {module.queues.length === 0 ? <p className="muted small">{t('jobs.noQueues')}</p> : null}
      <ul className="plain-list queue-list">
        {module.queues.map((q) => (
          <QueueRow key={q.queue} queue={q} />
        ))}
      </ul>
    </Card>
  );
}

function QueueRow({ queue }: { queue: QueueSummary }) {
  const { t } = useI18n();
  const behindMs = queue.oldest_due_ms != null ? Math.max(0, Date.now() - queue.oldest_due_ms) : null;
  // whole minutes waited so far (durationText rounds up, as "try again in" should)
  const behindSecs = behindMs === null ? 0 : behindMs < 60_000 ? behindMs / 1000 : Math.floor(behindMs / 60_000) * 60;
  return (
    <li className="queue-row" data-testid="queue-row" data-queue={queue.queue}>
      <span className="queue-name" title={queue.queue}>
        {queue.queue}
      </span>
      <dl className="job-counts" aria-label={t('jobs.countsOf', { queue: queue.queue })}>
        {JOB_STATES.map((s) => (
          <div key={s} className={`job-count state-${s}${queue[s] > 0 ? ' nonzero' : ''}`} data-state={s} data-testid="job-count">
            <dt>{t(`jobs.filter.${s}`)}</dt>
            <dd>{queue[s]}</dd>
          </div>
        ))}
      </dl>
      <p className={`small ${behindMs !== null ? 'queue-behind' : 'muted'}`} data-testid="queue-lag">
        {behindMs !== null ? t('jobs.behind', { time: durationText(behindSecs, t) }) : t('jobs.upToDate')}
      </p>
    </li>
  );
}

type Pages = InfiniteData<JobPage, string | undefined>;

function JobList({ module, state, queue, limit }: { module: string; state: StateFilter; queue: string; limit: number }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const list = useInfiniteQuery({
    queryKey: keys.jobList(module, state, queue, limit),
    queryFn: ({ pageParam }) => api.jobs(module, { state: state === 'all' ? undefined : state, queue, cursor: pageParam, limit }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

  /** A job as the server answered: its row everywhere it is listed, and the counts. */
  function changed(job: JobInfo) {
    qc.setQueriesData<Pages>({ queryKey: ['admin-jobs', 'list', module] }, (data) =>
      data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((j) => (j.id === job.id ? job : j)) })) } : data,
    );
    void qc.invalidateQueries({ queryKey: keys.jobsOverview });
  }

  if (list.isPending) return <div className="center pad"><Spinner label={t('common.loading')} /></div>;
  if (list.isError && !list.data) return <ErrorNote error={list.error} onRetry={() => void list.refetch()} />;
  const seen = new Set<number>();
  const items = list.data.pages.flatMap((p) => p.items).filter((j) => !seen.has(j.id) && Boolean(seen.add(j.id)));
  return (
    <>
      {items.length === 0 ? (
        <p className="muted" data-testid="jobs-empty">
          {state === 'all' && !queue ? t('jobs.none') : t('jobs.noneFiltered')}
        </p>
      ) : (
        <ul className="plain-list job-list" data-testid="job-list">
          {items.map((job) => (
            <JobRow key={job.id} job={job} module={module} onChanged={changed} />
          ))}
        </ul>
      )}
      {list.isFetchNextPageError ? <ErrorNote error={list.error} onRetry={() => void list.fetchNextPage()} /> : null}
      {list.hasNextPage ? (
        <button type="button" className="button wide" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage} data-testid="jobs-load-more">
          {list.isFetchingNextPage ? <span className="spinner small" aria-hidden="true" /> : null}
          {t('jobs.loadMore')}
        </button>
      ) : null}
    </>
  );
}

/** "Due in 59 minutes": the words of `label` around a time, exact (with seconds) on hover. */
function When({ label, ms, testId }: { label: Key; ms: number; testId?: string }) {
  const { t, lang } = useI18n();
  const [before = '', after = ''] = t(label).split('{time}');
  return (
    <span data-testid={testId}>
      {before}
      <time dateTime={new Date(ms).toISOString()} title={formatExact(ms, lang)}>
        {formatRelative(ms, lang)}
      </time>
      {after}
    </span>
  );
}

function JobRow({ job, module, onChanged }: { job: JobInfo; module: string; onChanged: (job: JobInfo) => void }) {
  const { t } = useI18n();
  const [confirming, setConfirming] = useState(false);
  const closeConfirm = useCallback(() => setConfirming(false), []);
  const action = useMutation({
    mutationFn: (which: 'retry' | 'cancel') => (which === 'retry' ? api.retryJob(module, job.id) : api.cancelJob(module, job.id)),
    onSuccess: (answer) => onChanged(answer),
    onError: (e) => {
      // Someone or something changed the job meanwhile (409): show it as it is now.
      if (isApiError(e) && e.status === 409) api.job(module, job.id).then(onChanged, () => undefined);
    },
  });
  const canRetry = job.state === 'ready' || job.state === 'dead' || job.state === 'cancelled';
  const canCancel = job.state === 'ready' || job.state === 'running';
  const finished = job.state === 'done' || job.state === 'dead' || job.state === 'cancelled';
  return (
    <li className="job-row" data-testid="job-row" data-job-id={job.id} data-state={job.state}>
      <div className="job-head">
        <span className="job-id">#{job.id}</span>
        <span className="job-queue" title={job.queue}>
          {job.queue}
        </span>
        <span className={`job-state state-${job.state}`} data-testid="job-state">
          {t(`jobs.state.${job.state}`)}
        </span>
      </div>
      <div className="job-meta small muted">
        <span data-testid="job-attempts">{t('jobs.attempts', { n: job.attempts, max: job.max_attempts })}</span>
        {finished ? (
          <When label="jobs.finished" ms={job.updated_at} testId="job-when" />
        ) : job.state === 'running' ? (
          <When label="jobs.started" ms={job.updated_at} testId="job-when" />
        ) : (
          <When label="jobs.due" ms={job.run_at} testId="job-when" />
        )}
        <When label="jobs.created" ms={job.created_at} testId="job-created" />
      </div>
      {job.last_error ? (
        <p className="job-error" data-testid="job-error">
          <strong>{t('jobs.lastError')}:</strong> {job.last_error}
        </p>
      ) : null}
      <ErrorNote error={action.error} />
      {canRetry || canCancel ? (
        <div className="row job-actions">
          {canRetry ? (
            <button type="button" className="button small" onClick={() => action.mutate('retry')} disabled={action.isPending}>
              <Icon name="refresh" size={14} /> {t('jobs.retry')}
            </button>
          ) : null}
          {canCancel ? (
            <button type="button" className="button small ghost danger-text" onClick={() => setConfirming(true)} disabled={action.isPending}>
              {t('jobs.cancel')}
            </button>
          ) : null}
        </div>
      ) : null}
      {confirming ? (
        <Modal title={t('jobs.cancelTitle', { id: job.id })} onClose={closeConfirm}>
          <p>{t('jobs.cancelText')}</p>
          <div className="modal-actions">
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              {t('jobs.keep')}
            </button>
            <button
              type="button"
              className="button danger"
              onClick={() => {
                setConfirming(false);
                action.mutate('cancel');
              }}
              data-testid="confirm-cancel"
            >
              {t('jobs.cancelConfirm')}
            </button>
          </div>
        </Modal>
      ) : null}
    </li>
  );
}
