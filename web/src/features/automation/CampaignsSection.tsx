import { Link } from 'react-router';
import type { Campaign } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { Card } from '../../ui/common';
import { CampaignForm } from './CampaignForm';
import { CampaignStateBadge, Eta } from './CampaignPage';
import { ChatTitle, PagedList, ProgressBar, useTick } from './parts';
import { useCampaigns } from './queries';

/** Automation → Campaigns: mine, newest first, with state, progress and ETA; the form that starts one. */
export function CampaignsSection() {
  const { t } = useI18n();
  const campaigns = useCampaigns();
  useTick();
  return (
    <>
      <Card title={t('automation.campaigns')} className="auto-card" testId="automation-campaigns">
        <p className="muted small">{t('automation.campaignsHint')}</p>
        <PagedList query={campaigns} label={t('automation.campaignsList')} empty={t('automation.campaignsNone')} testId="campaigns">
          {(c) => <CampaignRow key={c.id} campaign={c} />}
        </PagedList>
      </Card>
      <Card title={t('automation.campaignNew')} className="auto-card" testId="automation-campaign-form">
        <CampaignForm />
      </Card>
    </>
  );
}

function CampaignRow({ campaign: c }: { campaign: Campaign }) {
  const { t } = useI18n();
  const { settled, total } = c.progress;
  return (
    <li className="auto-row" data-testid="campaign" data-id={c.id} data-state={c.state}>
      <Link to={`/automation/campaigns/${c.id}`} className="auto-link stack" data-testid="campaign-link">
        <span className="auto-head">
          <span className="person-text">
            <span className="person-name" data-testid="campaign-name">
              {c.name}
            </span>
            <span className="muted small">
              <ChatTitle id={c.target_chat_id} />
            </span>
          </span>
          <CampaignStateBadge campaign={c} />
        </span>
        <ProgressBar value={settled} max={total} label={t('automation.progress')} />
        <span className="small auto-meta">
          <span data-testid="campaign-progress">{t('automation.doneOf', { done: settled, count: total })}</span>
          <Eta campaign={c} />
        </span>
      </Link>
    </li>
  );
}
