import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { Campaign, CampaignContact, InboundHook } from '../../api/types';
import { formatRelative } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, CopyThenDone, ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { CAMPAIGN_STATES, MODES, OUTCOMES, WAITING, known, newestFirst } from './automation';
import { dropItem, storeItem } from './lists';
import { ChatTitle, ConfirmButton, CsvButton, PagedList, ProgressBar, StateBadge, When, useTick } from './parts';
import { useCampaign, useContacts } from './queries';

/** A campaign's state in words, with what a running one waits for. */
export function CampaignStateBadge({ campaign }: { campaign: Campaign }) {
  const { t } = useI18n();
  const state = known(CAMPAIGN_STATES, campaign.state);
  const waiting = campaign.state === 'running' ? known(WAITING, campaign.waiting) : null;
  return (
    <span className="auto-state-line">
      <StateBadge state={campaign.state} text={state ? t(`automation.campaignState.${state}`) : campaign.state} testId="campaign-state" />
      {waiting ? (
        <span className="muted small" data-testid="campaign-waiting">
          {t(`automation.waiting.${waiting}`)}
        </span>
      ) : null}
    </span>
  );
}

/** When the rest should be done at the pace so far ("ends in 5 minutes"), while it runs. */
export function Eta({ campaign }: { campaign: Campaign }) {
  const { t, lang } = useI18n();
  const eta = campaign.progress.eta;
  if (campaign.state !== 'running' || !eta) return null;
  return <span data-testid="campaign-eta">{t('automation.eta', { when: formatRelative(eta, lang) })}</span>;
}

/**
 * One campaign: its counters per outcome, the live log (the people tried, latest first, with
 * outcome, detail and time; moved by `automation.campaign_updated` frames), pause, resume,
 * cancel (confirmed), the CSV, delete once it has ended, and its inbound webhook.
 */
export function CampaignPage({ id }: { id: number }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const campaign = useCampaign(id);
  const c = campaign.data;
  const running = c?.state === 'running';
  const contacts = useContacts(id, running);
  useTick();
  const store = (now: Campaign) => {
    qc.setQueryData(keys.campaign(id), now);
    storeItem(qc, keys.campaigns, now, 'first');
  };
  // Refused as `wrong_state`: it moved on meanwhile (finished, cancelled elsewhere): show it as it is.
  const stale = (e: unknown) => {
    if (isApiError(e) && (e.code === 'wrong_state' || e.status === 404)) void qc.invalidateQueries({ queryKey: keys.campaign(id), exact: true });
  };
  const act = useMutation({
    mutationFn: (what: 'pause' | 'resume' | 'cancel') =>
      what === 'pause' ? api.pauseCampaign(id) : what === 'resume' ? api.resumeCampaign(id) : api.cancelCampaign(id),
    onSuccess: store,
    onError: stale,
  });
  const remove = useMutation({
    mutationFn: () => api.removeCampaign(id),
    onSuccess: () => {
      dropItem(qc, keys.campaigns, id);
      qc.removeQueries({ queryKey: keys.campaign(id) });
      navigate('/automation/campaigns');
    },
    onError: stale,
  });
  if (!c) {
    return <Card className="auto-card">{campaign.isPending ? <Spinner label={t('common.loading')} /> : <ErrorNote error={campaign.error} onRetry={() => void campaign.refetch()} />}</Card>;
  }
  const { total, settled, outcomes } = c.progress;
  const ended = c.state === 'finished' || c.state === 'cancelled';
  const mode = known(MODES, c.mode);
  const busy = act.isPending || remove.isPending;
  return (
    <>
      <Card title={c.name} className="auto-card" testId="campaign-page">
        <Link to="/automation/campaigns" className="small">
          <Icon name="back" size={14} /> {t('automation.allCampaigns')}
        </Link>
        <div className="auto-head">
          <span className="muted small">
            <ChatTitle id={c.target_chat_id} /> · {mode ? t(`automation.mode.${mode}`) : c.mode} · <When ms={c.created_at} />
          </span>
          <CampaignStateBadge campaign={c} />
        </div>
        <ProgressBar value={settled} max={total} label={t('automation.progress')} />
        <p className="small auto-meta">
          <span data-testid="campaign-progress">{t('automation.doneOf', { done: settled, count: total })}</span>
          <Eta campaign={c} />
        </p>
        <dl className="job-counts" aria-label={t('automation.outcomes')} data-testid="campaign-counters">
          <div className="job-count" data-outcome="pending" data-testid="counter">
            <dt>{t('automation.outcome.pending')}</dt>
            <dd>{Math.max(0, total - settled)}</dd>
          </div>
          {OUTCOMES.map((o) => (
            <div key={o} className={`job-count outcome-${o}${(outcomes[o] ?? 0) > 0 ? ' nonzero' : ''}`} data-outcome={o} data-testid="counter">
              <dt>{t(`automation.outcome.${o}`)}</dt>
              <dd>{outcomes[o] ?? 0}</dd>
            </div>
          ))}
        </dl>
        <ErrorNote error={act.error ?? remove.error} />
        <div className="row auto-actions">
          {c.state === 'running' ? (
            <button type="button" className="button small" onClick={() => act.mutate('pause')} disabled={busy} data-testid="campaign-pause">
              <Icon name="pause" size={14} /> {t('automation.pause')}
            </button>
          ) : null}
          {c.state === 'paused' ? (
            <button type="button" className="button small" onClick={() => act.mutate('resume')} disabled={busy} data-testid="campaign-resume">
              <Icon name="play" size={14} /> {t('automation.resume')}
            </button>
          ) : null}
          {!ended ? (
            <ConfirmButton
              label={t('automation.cancelCampaign')}
              title={t('automation.cancelTitle')}
              text={t('automation.cancelText', { name: c.name })}
              confirm={t('automation.cancelCampaign')}
              icon="stop"
              disabled={busy}
              testId="campaign-cancel"
              onConfirm={() => act.mutate('cancel')}
            />
          ) : null}
          <CsvButton path={`/automation/campaigns/${id}/export`} name={`campaign-${id}.csv`} label={t('automation.exportCsv')} testId="campaign-export" />
          {ended ? (
            <ConfirmButton
              label={t('common.delete')}
              title={t('automation.removeCampaignTitle')}
              text={t('automation.removeCampaignText', { name: c.name })}
              confirm={t('common.delete')}
              disabled={busy}
              testId="campaign-remove"
              onConfirm={() => remove.mutate()}
            />
          ) : null}
        </div>
      </Card>
      <Card title={t('automation.log')} className="auto-card" testId="campaign-log">
        <p className="muted small">{t('automation.logHint')}</p>
        <PagedList query={contacts} label={t('automation.log')} empty={t('automation.logNone')} testId="log" items={newestFirst} className="auto-log">
          {(contact) => <LogRow key={contact.id} contact={contact} />}
        </PagedList>
      </Card>
      <Inbound campaign={c} onChanged={() => void qc.invalidateQueries({ queryKey: keys.campaign(id), exact: true })} />
    </>
  );
}

function LogRow({ contact }: { contact: CampaignContact }) {
  const { t } = useI18n();
  const outcome = known(OUTCOMES, contact.outcome);
  const shown = contact.outcome ?? 'pending';
  return (
    <li className="auto-log-row" data-testid="log-row" data-outcome={shown}>
      <span className="auto-log-who">{contact.value ? (contact.kind === 'username' ? `@${contact.value}` : contact.value) : t('automation.erased')}</span>
      <StateBadge state={shown} text={outcome ? t(`automation.outcome.${outcome}`) : contact.outcome ? contact.outcome : t('automation.outcome.pending')} testId="log-outcome" />
      <span className="muted small auto-log-time">
        <When ms={contact.updated_at} />
      </span>
      {contact.detail ? <span className="small auto-detail auto-log-detail">{contact.detail}</span> : null}
    </li>
  );
}

/**
 * The legacy one-contact-per-request hook: "Open" makes it (or a new secret for it) and shows
 * the path and secret once; "Close" removes it.
 */
function Inbound({ campaign, onChanged }: { campaign: Campaign; onChanged: () => void }) {
  const { t } = useI18n();
  const [shown, setShown] = useState<InboundHook | null>(null);
  const open = useMutation({
    mutationFn: () => api.openInbound(campaign.id),
    onSuccess: (hook) => {
      setShown(hook);
      onChanged();
    },
  });
  const close = useMutation({
    mutationFn: () => api.closeInbound(campaign.id),
    onSuccess: () => {
      setShown(null);
      onChanged();
    },
  });
  const path = shown?.path ?? campaign.inbound_path;
  return (
    <Card title={t('automation.inbound')} className="auto-card" testId="campaign-inbound">
      <p className="muted small">{t('automation.inboundHint')}</p>
      {path ? (
        <p className="small">
          {t('automation.inboundPath')} <code className="webhook-code" data-testid="inbound-path">{path}</code>
        </p>
      ) : (
        <p className="muted small" data-testid="inbound-none">
          {t('automation.inboundNone')}
        </p>
      )}
      {shown ? (
        <div className="webhook-secret stack" role="status" data-testid="inbound-secret">
          <p>{t('automation.inboundOnce')}</p>
          <code className="secret" aria-label={t('automation.inboundSecret')} data-testid="inbound-secret-value">
            {shown.secret}
          </code>
          <code className="webhook-code small">{`curl -X POST ${window.location.origin}${shown.path} -H 'x-hybrid-token: ${shown.secret}' -H 'content-type: application/json' -d '{"contact": "@anna"}'`}</code>
          <CopyThenDone value={shown.secret} labels={{ copy: t('automation.copySecret'), copied: t('bots.copied'), done: t('bots.done') }} testId="inbound-secret" onDone={() => setShown(null)} />
        </div>
      ) : null}
      <ErrorNote error={open.error ?? close.error} />
      <div className="row auto-actions">
        <button type="button" className="button small" onClick={() => open.mutate()} disabled={open.isPending || close.isPending} data-testid="inbound-open">
          <Icon name="link" size={14} /> {t(path ? 'automation.inboundRenew' : 'automation.inboundOpen')}
        </button>
        {path ? (
          <button type="button" className="button small ghost danger-text" onClick={() => close.mutate()} disabled={open.isPending || close.isPending} data-testid="inbound-close">
            {t('automation.inboundClose')}
          </button>
        ) : null}
      </div>
    </Card>
  );
}
