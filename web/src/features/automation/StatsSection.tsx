import { useMemo, useState } from 'react';
import type { Stats } from '../../api/types';
import { formatNumber } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { Chart, CHART_COLORS } from '../../ui/Chart';
import { Card, ErrorNote, Spinner } from '../../ui/common';
import { CAMPAIGN_STATES, OUTCOMES, known } from './automation';
import { INVITE_SERIES, POST_SERIES, RANGES, browserZone, daySeries, dayTotal, formatDayLabel, timeZones } from './autopost';
import { CsvButton, ProgressBar, StateBadge } from './parts';
import { useStats } from './queries';

const POST_COLORS = ['#27ae60', '#eb5757'];

/**
 * Automation → Statistics: over the last 7, 30 or 90 days in a time zone, invites per day by
 * outcome and posts per day (charts, and the same numbers in a table), each campaign's outcomes,
 * each account's use today against its limit, what waits now, and the CSV of it all.
 */
export function StatsSection() {
  const { t } = useI18n();
  const [days, setDays] = useState<number>(30);
  const [tz, setTz] = useState(browserZone);
  const zones = useMemo(() => timeZones(), []);
  const stats = useStats(days, tz);
  const s = stats.data;
  return (
    <>
      <Card title={t('stats.title')} className="auto-card" testId="automation-stats">
        <p className="muted small">{t('stats.hint')}</p>
        <div className="row auto-actions stats-controls">
          <div className="tabs stats-range" role="group" aria-label={t('stats.range')}>
            {RANGES.map((n) => (
              <button key={n} type="button" className={`tab${days === n ? ' active' : ''}`} aria-pressed={days === n} onClick={() => setDays(n)} data-testid={`stats-range-${n}`}>
                {t('stats.days', { count: n })}
              </button>
            ))}
          </div>
          <label className="stats-zone small">
            <span>{t('autopost.timezone')}</span>
            <select value={tz} onChange={(e) => setTz(e.target.value)} data-testid="stats-timezone">
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          </label>
          <CsvButton path={`/automation/stats/export?days=${days}&tz=${encodeURIComponent(tz)}`} name="automation-stats.csv" label={t('automation.exportCsv')} testId="stats-export" />
        </div>
        {s ? <Overview stats={s} /> : stats.isPending ? <Spinner label={t('common.loading')} /> : <ErrorNote error={stats.error} onRetry={() => void stats.refetch()} />}
      </Card>
      {s ? (
        <>
          <DaysCard stats={s} />
          <CampaignsCard stats={s} />
          <AccountsCard stats={s} />
        </>
      ) : null}
    </>
  );
}

/** The range's dates, posts published, and what waits now. */
function Overview({ stats: s }: { stats: Stats }) {
  const { t, lang } = useI18n();
  const n = (x: number) => formatNumber(x, lang);
  return (
    <>
      <p className="small muted" data-testid="stats-range-dates">
        {t('stats.from', { from: formatDayLabel(s.from, lang), to: formatDayLabel(s.to, lang), tz: s.tz })}
      </p>
      <dl className="job-counts" aria-label={t('stats.overview')} data-testid="stats-overview">
        <div className="job-count">
          <dt>{t('stats.postsPublished')}</dt>
          <dd data-testid="stats-posts-published">{n(s.posts_published)}</dd>
        </div>
        <div className="job-count">
          <dt>{t('stats.contactsPending')}</dt>
          <dd data-testid="stats-contacts-pending">{n(s.queue.contacts_pending)}</dd>
        </div>
        <div className="job-count">
          <dt>{t('stats.postsApproved')}</dt>
          <dd data-testid="stats-posts-approved">{n(s.queue.posts_approved)}</dd>
        </div>
        <div className="job-count">
          <dt>{t('stats.deliveriesPending')}</dt>
          <dd data-testid="stats-deliveries-pending">{n(s.queue.deliveries_pending)}</dd>
        </div>
      </dl>
    </>
  );
}

/** The two charts and the table of the same numbers, a row per day and the totals under them. */
function DaysCard({ stats: s }: { stats: Stats }) {
  const { t, lang } = useI18n();
  const n = (x: number) => formatNumber(x, lang);
  const labels = s.days.map((d) => formatDayLabel(d.day, lang));
  const invites = INVITE_SERIES.map((o, i) => ({ label: t(`automation.outcome.${o}`), values: daySeries(s.days, o), color: CHART_COLORS[i % CHART_COLORS.length] ?? '#888' }));
  const posts = POST_SERIES.map((f, i) => ({ label: t(`stats.${f}`), values: daySeries(s.days, f), color: POST_COLORS[i] ?? '#888' }));
  const columns = [...INVITE_SERIES, ...POST_SERIES];
  const head = (c: (typeof columns)[number]) => (c === 'posts_sent' || c === 'posts_failed' ? t(`stats.${c}`) : t(`automation.outcome.${c}`));
  return (
    <Card title={t('stats.perDay')} className="auto-card" testId="stats-days">
      <h3 className="stats-chart-title">{t('stats.invitesChart')}</h3>
      <Chart labels={labels} series={invites} label={t('stats.invitesChart')} testId="stats-invites-chart" />
      <h3 className="stats-chart-title">{t('stats.postsChart')}</h3>
      <Chart labels={labels} series={posts} kind="bar" height={180} label={t('stats.postsChart')} testId="stats-posts-chart" />
      <div className="table-scroll" tabIndex={0} role="region" aria-label={t('stats.table')}>
        <table className="stats-table" data-testid="stats-table">
          <caption className="visually-hidden">{t('stats.table')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('stats.day')}</th>
              {columns.map((c) => (
                <th key={c} scope="col" data-col={c}>
                  {head(c)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {[...s.days].reverse().map((d) => (
              <tr key={d.day} data-day={d.day} data-testid="stats-row">
                <th scope="row">{formatDayLabel(d.day, lang)}</th>
                {columns.map((c) => (
                  <td key={c} data-col={c} className={d[c] ? '' : 'muted'}>
                    {n(d[c])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr data-testid="stats-total">
              <th scope="row">{t('stats.total')}</th>
              {columns.map((c) => (
                <td key={c} data-col={c}>
                  {n(dayTotal(s.days, c))}
                </td>
              ))}
            </tr>
          </tfoot>
        </table>
      </div>
    </Card>
  );
}

function CampaignsCard({ stats: s }: { stats: Stats }) {
  const { t, lang } = useI18n();
  const n = (x: number) => formatNumber(x, lang);
  return (
    <Card title={t('stats.campaigns')} className="auto-card" testId="stats-campaigns">
      {s.campaigns.length === 0 ? (
        <p className="muted small" data-testid="stats-campaigns-none">
          {t('stats.campaignsNone')}
        </p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label={t('stats.campaigns')}>
          <table className="stats-table">
            <thead>
              <tr>
                <th scope="col">{t('automation.campaignName')}</th>
                <th scope="col">{t('stats.state')}</th>
                <th scope="col">{t('stats.people')}</th>
                {OUTCOMES.map((o) => (
                  <th key={o} scope="col">
                    {t(`automation.outcome.${o}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {s.campaigns.map((c) => {
                const state = known(CAMPAIGN_STATES, c.state);
                return (
                  <tr key={c.id} data-testid="stats-campaign" data-id={c.id}>
                    <th scope="row" dir="auto">
                      {c.name}
                    </th>
                    <td>
                      <StateBadge state={c.state} text={state ? t(`automation.campaignState.${state}`) : c.state} testId="stats-campaign-state" />
                    </td>
                    <td data-col="total">{n(c.total)}</td>
                    {OUTCOMES.map((o) => (
                      <td key={o} data-col={o} className={c.outcomes[o] ? '' : 'muted'}>
                        {n(c.outcomes[o] ?? 0)}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

/** Each account's actions today against its daily limit, as a bar and "12 of 50". */
function AccountsCard({ stats: s }: { stats: Stats }) {
  const { t, lang } = useI18n();
  return (
    <Card title={t('stats.accounts')} className="auto-card" testId="stats-accounts">
      {s.accounts.length === 0 ? (
        <p className="muted small">{t('stats.accountsNone')}</p>
      ) : (
        <ul className="plain-list auto-list" aria-label={t('stats.accounts')}>
          {s.accounts.map((a) => (
            <li key={a.id} className="auto-row" data-testid="stats-account" data-id={a.id}>
              <div className="auto-head">
                <span className="person-name" dir="auto">
                  {a.name}
                </span>
                <span className="muted small" data-testid="stats-account-usage">
                  {t('stats.usage', { used: formatNumber(a.used_today, lang), limit: formatNumber(a.daily_limit, lang) })}
                </span>
              </div>
              <ProgressBar value={a.used_today} max={a.daily_limit} label={t('stats.usageOf', { name: a.name })} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
