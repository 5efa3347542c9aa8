import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { ContentSource, SummaryEstimate } from '../../api/types';
import { formatNumber } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { formatUsd, unsummarised } from './content';
import { storeItem } from './lists';
import { ProgressBar, StateBadge } from './parts';
import { useEstimate } from './queries';

/**
 * Summarising a ready book: how far it is (N of M blocks, tokens so far, failures), what the
 * rest would take before it starts (blocks, the model or the offline summariser, tokens, cost
 * when prices are set, minutes at the allowed rate), Start and Stop, and why the provider
 * stopped a run. Frames move it live; the book is asked again every few seconds while it runs.
 */
export function SummarisePanel({ source }: { source: ContentSource }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const s = source.summaries;
  const left = unsummarised(source);
  const estimate = useEstimate(source.id, !s.running && left > 0);
  const store = (now: ContentSource) => {
    qc.setQueryData(keys.contentSource(source.id), now);
    storeItem(qc, keys.contentSources, now, 'first');
    void qc.invalidateQueries({ queryKey: keys.contentEstimate(source.id) });
    // the blocks' states (queued, or not any more)
    void qc.invalidateQueries({ queryKey: [...keys.contentSource(source.id), 'blocks'] });
    void qc.invalidateQueries({ queryKey: keys.contentChapters(source.id) });
  };
  const act = useMutation({
    mutationFn: (what: 'start' | 'stop') => (what === 'start' ? api.startSummaries(source.id) : api.stopSummaries(source.id)),
    onSuccess: store,
    onError: (e) => {
      // `wrong_state`: the book changed meanwhile; show it as it is
      if (isApiError(e) && (e.code === 'wrong_state' || e.status === 404)) void qc.invalidateQueries({ queryKey: keys.contentSource(source.id), exact: true });
    },
  });
  const n = (x: number) => formatNumber(x, lang);
  return (
    <Card title={t('content.summaries')} className="auto-card" testId="summaries">
      <p className="muted small">{t('content.summariesHint')}</p>
      <div className="auto-head">
        <span className="small" data-testid="summaries-progress">
          {t('content.summarisedOf', { done: s.done, count: source.blocks })}
        </span>
        {s.running ? <StateBadge state="running" text={t('content.running')} testId="summaries-running" /> : null}
      </div>
      <ProgressBar value={s.done} max={source.blocks} label={t('content.summariesProgress')} />
      <p className="small auto-meta muted">
        {s.queued > 0 ? <span data-testid="summaries-queued">{t('content.queuedCount', { count: s.queued })}</span> : null}
        {s.failed > 0 ? <span data-testid="summaries-failed">{t('content.failedCount', { count: s.failed })}</span> : null}
        {s.tokens_in > 0 || s.tokens_out > 0 ? <span data-testid="summaries-tokens">{t('content.tokensSpent', { in: n(s.tokens_in), out: n(s.tokens_out) })}</span> : null}
      </p>
      {s.error ? (
        <p className="error-note" role="alert" data-testid="summaries-error">
          <Icon name="alert" size={16} /> {t('content.runStopped')} <span className="auto-detail">{s.error}</span>
        </p>
      ) : null}
      {!s.running && left === 0 ? (
        <p className="small" data-testid="summaries-done">
          <Icon name="check" size={14} /> {t('content.allSummarised')}
        </p>
      ) : null}
      {!s.running && left > 0 ? (
        estimate.data ? (
          <Estimate estimate={estimate.data} />
        ) : estimate.isPending ? (
          <Spinner label={t('common.loading')} />
        ) : (
          <ErrorNote error={estimate.error} onRetry={() => void estimate.refetch()} />
        )
      ) : null}
      <ErrorNote error={act.error} />
      <div className="row auto-actions">
        {s.running ? (
          <button type="button" className="button small" onClick={() => act.mutate('stop')} disabled={act.isPending} data-testid="summaries-stop">
            <Icon name="stop" size={14} /> {t('content.stop')}
          </button>
        ) : left > 0 ? (
          <button type="button" className="button small primary" onClick={() => act.mutate('start')} disabled={act.isPending || !estimate.data} data-testid="summaries-start">
            <Icon name="play" size={14} /> {t('content.start', { count: estimate.data?.blocks ?? left })}
          </button>
        ) : null}
      </div>
    </Card>
  );
}

/** What a run would take, said before it starts. */
function Estimate({ estimate }: { estimate: SummaryEstimate }) {
  const { t, lang } = useI18n();
  const offline = estimate.by === 'offline';
  const n = (x: number) => formatNumber(x, lang);
  return (
    <div className="auto-report stack" data-testid="estimate" data-by={estimate.by}>
      <p className="small">
        <span data-testid="estimate-blocks">{t('content.estimateBlocks', { count: estimate.blocks })}</span>
      </p>
      <p className="small" data-testid="estimate-by">
        {offline ? t('content.byOffline') : t('content.byModel', { model: estimate.by })}
      </p>
      {!offline ? (
        <p className="small auto-meta">
          <span data-testid="estimate-tokens">{t('content.estimateTokens', { in: n(estimate.tokens_in), out: n(estimate.tokens_out) })}</span>
          <span data-testid="estimate-cost">{estimate.cost_usd != null ? t('content.estimateCost', { cost: formatUsd(estimate.cost_usd, lang) }) : t('content.costUnknown')}</span>
          <span data-testid="estimate-minutes">{t('content.estimateMinutes', { count: estimate.minutes })}</span>
        </p>
      ) : null}
    </div>
  );
}
