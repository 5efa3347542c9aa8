/**
 * The service's socket frames (`AutomationFrame`): a parse read a page or ended, a campaign
 * recorded an attempt or changed state, a book of the content pipeline moved (read, a block
 * summarised, a run stopped, a post written), a schedule published a post. They update the cached lists in place, or have
 * them asked again, so the parser's progress, a campaign's log and a book's summaries move
 * without polling.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { CampaignContact, Parse } from '../../api/types';
import type { ServerFrame } from '../realtime/frames';
import { keys } from '../../state/keys';
import { replaced, storeItem, type Paged } from './lists';

export type AutomationFrame = Extract<ServerFrame, { type: 'automation.campaign_updated' | 'automation.parse_updated' | 'automation.content_updated' | 'automation.autopost_updated' }>;

export function isAutomationFrame(frame: ServerFrame): frame is AutomationFrame {
  return (
    frame.type === 'automation.campaign_updated' ||
    frame.type === 'automation.parse_updated' ||
    frame.type === 'automation.content_updated' ||
    frame.type === 'automation.autopost_updated'
  );
}

/**
 * A book's frames come once per block summarised, which the offline summariser does many times
 * a second: the first one has the book's queries asked again at once, those within this time
 * after it make one more round at its end.
 */
export const CONTENT_FRAME_MS = 1_000;

const contentRounds = new WeakMap<QueryClient, Map<number, { again: boolean }>>();

/** The book (its counts and summaries' progress), its chapters, blocks and posts, the list and the estimate: asked again. */
function refreshSource(qc: QueryClient, id: number): void {
  let rounds = contentRounds.get(qc);
  if (!rounds) {
    rounds = new Map();
    contentRounds.set(qc, rounds);
  }
  const waiting = rounds.get(id);
  if (waiting) {
    waiting.again = true;
    return;
  }
  const round = { again: false };
  rounds.set(id, round);
  void qc.invalidateQueries({ queryKey: keys.contentSource(id) });
  void qc.invalidateQueries({ queryKey: keys.contentSources });
  void qc.invalidateQueries({ queryKey: keys.contentEstimate(id) });
  setTimeout(() => {
    rounds.delete(id);
    if (round.again) refreshSource(qc, id);
  }, CONTENT_FRAME_MS);
}

export function applyAutomationFrame(qc: QueryClient, frame: AutomationFrame): void {
  if (frame.type === 'automation.autopost_updated') {
    // A schedule published (or failed to), or changed: it, its log and the list are asked again;
    // a published post is no longer waiting, and the numbers moved.
    void qc.invalidateQueries({ queryKey: keys.schedule(frame.schedule_id) });
    void qc.invalidateQueries({ queryKey: keys.schedules });
    void qc.invalidateQueries({ queryKey: keys.automationStats });
    return;
  }
  if (frame.type === 'automation.content_updated') {
    refreshSource(qc, frame.source_id);
    return;
  }
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
