/**
 * Automation (`/automation/…`): the screens of the automation service, one section per
 * sub-route (accounts, audiences and one audience, parser, campaigns and one campaign, content:
 * books, one book and a chapter's blocks; autopost schedules and one schedule's log; statistics;
 * alerts), under a row of links. A server without the service (its accounts answer 404) says so instead.
 */
import type { ReactNode } from 'react';
import { Navigate, NavLink, Route, Routes, useNavigate, useParams } from 'react-router';
import { useI18n, type Key } from '../../i18n/index';
import { Card, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { AccountsSection } from './AccountsSection';
import { AlertsSection } from './AlertsSection';
import { AudienceDetail } from './AudienceDetail';
import { AudiencesSection } from './AudiencesSection';
import { BookPage } from './BookPage';
import { CampaignPage } from './CampaignPage';
import { CampaignsSection } from './CampaignsSection';
import { ChapterPage } from './ChapterPage';
import { ContentSection } from './ContentSection';
import { ParsesSection } from './ParsesSection';
import { SchedulePage } from './SchedulePage';
import { SchedulesSection } from './SchedulesSection';
import { StatsSection } from './StatsSection';
import { useAutomationEnabled } from './queries';

const SECTIONS: { path: string; label: Key; testId: string }[] = [
  { path: 'accounts', label: 'automation.accounts', testId: 'automation-tab-accounts' },
  { path: 'audiences', label: 'automation.audiences', testId: 'automation-tab-audiences' },
  { path: 'parses', label: 'automation.parser', testId: 'automation-tab-parses' },
  { path: 'campaigns', label: 'automation.campaigns', testId: 'automation-tab-campaigns' },
  { path: 'content', label: 'content.title', testId: 'automation-tab-content' },
  { path: 'autopost', label: 'autopost.title', testId: 'automation-tab-autopost' },
  { path: 'stats', label: 'stats.title', testId: 'automation-tab-stats' },
  { path: 'alerts', label: 'alerts.title', testId: 'automation-tab-alerts' },
];

export function AutomationPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const enabled = useAutomationEnabled();
  return (
    <div className="page automation-page">
      <header className="chat-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate('/settings')} aria-label={t('common.back')}>
          <Icon name="back" />
        </button>
        <h1 className="page-title">{t('automation.title')}</h1>
      </header>
      <div className="page-body">
        {enabled === false ? (
          <Card testId="automation-absent">
            <p className="muted">{t('automation.absent')}</p>
          </Card>
        ) : enabled === undefined ? (
          <Spinner label={t('common.loading')} />
        ) : (
          <>
            <nav className="tabs auto-tabs" aria-label={t('automation.sections')}>
              {SECTIONS.map((s) => (
                <NavLink key={s.path} to={`/automation/${s.path}`} className={({ isActive }) => `tab${isActive ? ' active' : ''}`} data-testid={s.testId}>
                  {t(s.label)}
                </NavLink>
              ))}
            </nav>
            <AutomationRoutes />
          </>
        )}
      </div>
    </div>
  );
}

/** The sections, relative to `/automation/*`. */
export function AutomationRoutes() {
  return (
    <Routes>
      <Route path="accounts" element={<AccountsSection />} />
      <Route path="audiences" element={<AudiencesSection />} />
      <Route path="audiences/:id" element={<ById render={(id) => <AudienceDetail key={id} id={id} />} />} />
      <Route path="parses" element={<ParsesSection />} />
      <Route path="campaigns" element={<CampaignsSection />} />
      <Route path="campaigns/:id" element={<ById render={(id) => <CampaignPage key={id} id={id} />} />} />
      <Route path="content" element={<ContentSection />} />
      <Route path="content/:id" element={<ById render={(id) => <BookPage key={id} id={id} />} />} />
      <Route path="content/:id/chapters/:chapter" element={<ById render={(id) => <Chapter id={id} />} />} />
      <Route path="autopost" element={<SchedulesSection />} />
      <Route path="autopost/:id" element={<ById render={(id) => <SchedulePage key={id} id={id} />} />} />
      <Route path="stats" element={<StatsSection />} />
      <Route path="alerts" element={<AlertsSection />} />
      <Route path="*" element={<Navigate to="/automation/accounts" replace />} />
    </Routes>
  );
}

/** A page of one item: the `:id` of the address as a number (a bad one goes back to the start). */
function ById({ render }: { render: (id: number) => ReactNode }) {
  const id = Number(useParams().id);
  return Number.isInteger(id) && id > 0 ? <>{render(id)}</> : <Navigate to="/automation/accounts" replace />;
}

/** A chapter's blocks: `:chapter` (from 0) of the book `:id`. */
function Chapter({ id }: { id: number }) {
  const chapter = Number(useParams().chapter);
  return Number.isInteger(chapter) && chapter >= 0 ? <ChapterPage key={`${id}-${chapter}`} id={id} chapter={chapter} /> : <Navigate to={`/automation/content/${id}`} replace />;
}
