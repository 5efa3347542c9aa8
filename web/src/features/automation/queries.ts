/** The automation screens' server state: one query per list, shared by every section that reads it. */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { Alert, AutomationAccount, Campaign, CampaignContact, ContentBlock, ContentPost, ContentSource, Parse, Publication, Schedule, TelegramLogin } from '../../api/types';
import { keys } from '../../state/keys';
import { LOG_PAGE } from './autopost';
import { BLOCKS_PAGE, POSTS_PAGE, sourceBusy } from './content';
import { isAbsent, itemsOf, usePaged, type Paged } from './lists';

/** While a parse or campaign runs, lists are asked again this often, in case a socket frame was missed. */
export const RUNNING_POLL_MS = 5_000;

/** How often the alerts are asked again while one waits to be sent (its job sends it within moments; no frame says so). */
export const ALERT_POLL_MS = 2_000;

/** How often a Telegram sign-in waiting for its scan is asked again (the server asks Telegram each time). */
export const LOGIN_POLL_MS = 2_000;

export function useAccounts() {
  return usePaged<AutomationAccount>(keys.automationAccounts, (cursor) => api.automationAccounts(cursor));
}

/** Whether the server runs the automation service: undefined until its accounts answer (404: no). */
export function useAutomationEnabled(): boolean | undefined {
  const accounts = useAccounts();
  if (isAbsent(accounts.error)) return false;
  return accounts.data ? true : undefined;
}

export function useAudiences() {
  return usePaged(keys.audiences, (cursor) => api.audiences(cursor));
}

const anyRunning = (list: Paged<Parse | Campaign> | undefined) => (itemsOf(list).some((x) => x.state === 'running') ? RUNNING_POLL_MS : false);

export function useParses() {
  return usePaged<Parse>(keys.parses, (cursor) => api.parses(cursor), { refetchInterval: anyRunning });
}

export function useCampaigns() {
  return usePaged<Campaign>(keys.campaigns, (cursor) => api.campaigns(cursor), { refetchInterval: anyRunning });
}

export function useCampaign(id: number) {
  return useQuery({
    queryKey: keys.campaign(id),
    queryFn: () => api.campaign(id),
    refetchInterval: (q) => (q.state.data?.state === 'running' ? RUNNING_POLL_MS : false),
  });
}

export function useContacts(id: number, running: boolean) {
  return usePaged<CampaignContact>(keys.campaignContacts(id), (cursor) => api.campaignContacts(id, cursor), {
    refetchInterval: () => (running ? RUNNING_POLL_MS : false),
  });
}

/** An answer after which a sign-in is not asked about again: gone (404), or no Telegram sign-ins on this server (503 `unavailable`). */
export function loginStopped(e: unknown): boolean {
  return isAbsent(e) || (isApiError(e) && e.code === 'unavailable');
}

/**
 * A Telegram QR sign-in (its first answer is put into the cache by whoever started it): asked
 * again every 2 s while it waits for the scan, also in a hidden tab (the phone scans while this
 * one may be behind another), and no more once it is anything else, gone, or nobody shows it.
 */
export function useTelegramLogin(id: number) {
  return useQuery<TelegramLogin>({
    queryKey: keys.telegramLogin(id),
    queryFn: () => api.telegramLogin(id),
    staleTime: LOGIN_POLL_MS,
    retry: false,
    // A 404: the sign-in is gone (it ended, or was cancelled elsewhere); a 503: the server cannot
    // sign Telegram accounts in at all. Any other failure is tried again at the next tick.
    refetchInterval: (q) => (q.state.data?.state === 'waiting' && !loginStopped(q.state.error) ? LOGIN_POLL_MS : false),
    refetchIntervalInBackground: true,
  });
}

// ---- the content pipeline ----

/** My books; asked again every 5 s while one is being read or summarised (frames move them too). */
export function useSources() {
  return usePaged<ContentSource>(keys.contentSources, (cursor) => api.sources(cursor), {
    refetchInterval: (list) => (itemsOf(list).some(sourceBusy) ? RUNNING_POLL_MS : false),
  });
}

export function useSource(id: number) {
  return useQuery({
    queryKey: keys.contentSource(id),
    queryFn: () => api.source(id),
    refetchInterval: (q) => (q.state.data && sourceBusy(q.state.data) ? RUNNING_POLL_MS : false),
  });
}

/** A ready book's chapters with their counts (asked again while its summaries run). */
export function useChapters(id: number, ready: boolean, running: boolean) {
  return useQuery({
    queryKey: keys.contentChapters(id),
    queryFn: () => api.sourceChapters(id),
    enabled: ready,
    refetchInterval: running ? RUNNING_POLL_MS : false,
  });
}

export function useBlocks(id: number, chapter: number, running: boolean) {
  return usePaged<ContentBlock>(keys.contentBlocks(id, chapter), (cursor) => api.sourceBlocks(id, chapter, cursor, BLOCKS_PAGE), {
    refetchInterval: () => (running ? RUNNING_POLL_MS : false),
  });
}

/** What summarising the rest would take: asked only when there is something to start. */
export function useEstimate(id: number, enabled: boolean) {
  return useQuery({ queryKey: keys.contentEstimate(id), queryFn: () => api.summaryEstimate(id), enabled });
}

/** A book's posts, newest first; asked again while the model writes one. */
export function useContentPosts(id: number, state: string) {
  return usePaged<ContentPost>(keys.contentPosts(id, state), (cursor) => api.contentPosts(id, state, cursor, POSTS_PAGE), {
    refetchInterval: (list) => (itemsOf(list).some((p) => p.state === 'generating') ? RUNNING_POLL_MS : false),
  });
}

export function useContentSettings() {
  return useQuery({ queryKey: keys.contentSettings, queryFn: () => api.contentSettings() });
}

// ---- autopost, statistics, alerts ----

/** My schedules, newest first (an `automation.autopost_updated` frame has them asked again). */
export function useSchedules() {
  return usePaged<Schedule>(keys.schedules, (cursor) => api.schedules(cursor));
}

export function useSchedule(id: number) {
  return useQuery({ queryKey: keys.schedule(id), queryFn: () => api.schedule(id) });
}

/** A schedule's publications, newest first; asked again while one is still being published. */
export function useScheduleLog(id: number) {
  return usePaged<Publication>(keys.scheduleLog(id), (cursor) => api.scheduleLog(id, cursor, LOG_PAGE), {
    refetchInterval: (list) => (itemsOf(list).some((p) => p.state === 'publishing') ? RUNNING_POLL_MS : false),
  });
}

export function useStats(days: number, tz: string) {
  return useQuery({ queryKey: keys.automationStatsFor(days, tz), queryFn: () => api.automationStats(days, tz), placeholderData: (before) => before });
}

export function useAlertSettings() {
  return useQuery({ queryKey: keys.alertSettings, queryFn: () => api.alertSettings() });
}

/** My alerts, newest first; asked again while one is `pending` (a job sends it, and no socket frame tells). */
export function useAlerts() {
  return usePaged<Alert>(keys.alerts, (cursor) => api.alerts(cursor), {
    refetchInterval: (list) => (itemsOf(list).some((a) => a.state === 'pending') ? ALERT_POLL_MS : false),
  });
}
