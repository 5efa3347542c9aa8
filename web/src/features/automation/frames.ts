/**
 * The service's socket frames (`AutomationFrame`): a parse read a page or ended, a campaign
 * recorded an attempt or changed state. They update the cached lists in place, so the parser's
 * progress and a campaign's log move without polling.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { CampaignContact, Parse } from '../../api/types';
import type { ServerFrame } from '../realtime/frames';
import { keys } from '../../state/keys';
import { replaced, storeItem, type Paged } from './lists';

export type AutomationFrame = Extract<ServerFrame, { type: 'automation.campaign_updated' | 'automation.parse_updated' }>;

export function isAutomationFrame(frame: ServerFrame): frame is AutomationFrame {
  return frame.type === 'automation.campaign_updated' || frame.type === 'automation.parse_updated';
}

export function applyAutomationFrame(qc: QueryClient, frame: AutomationFrame): void {
  if (frame.type === 'automation.parse_updated') {
    const parse: Parse = frame.parse;
    storeItem(qc, keys.parses, parse, 'first');
    // The audience it fills grew.
    void qc.invalidateQueries({ queryKey: keys.audiences });
    if (parse.audience_id) void qc.invalidateQueries({ queryKey: keys.audience(parse.audience_id) });
    return;
  }
  const id = frame.campaign_id;
  // The counters are the server's to add up: ask for the campaign again.
  void qc.invalidateQueries({ queryKey: keys.campaign(id), exact: true });
  void qc.invalidateQueries({ queryKey: keys.campaigns });
  const contact: CampaignContact | null | undefined = frame.contact;
  if (!contact) return;
  const key = keys.campaignContacts(id);
  const before = qc.getQueryData<Paged<CampaignContact>>(key);
  const after = replaced(before, contact);
  if (after !== before) {
    qc.setQueryData(key, after);
    return;
  }
  // A person on a page not loaded yet, or the log still loading: its answer may predate this
  // attempt, and a first load in flight is not restarted by an invalidation (it would be joined),
  // so it is cancelled first; then the log is read again. A log nobody shows is only marked stale.
  void qc.cancelQueries({ queryKey: key }).then(() => qc.invalidateQueries({ queryKey: key }));
}
