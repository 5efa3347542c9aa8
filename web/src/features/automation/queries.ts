/** The automation screens' server state: one query per list, shared by every section that reads it. */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import type { AutomationAccount, Campaign, CampaignContact, Parse } from '../../api/types';
import { keys } from '../../state/keys';
import { isAbsent, itemsOf, usePaged, type Paged } from './lists';

/** While a parse or campaign runs, lists are asked again this often, in case a socket frame was missed. */
export const RUNNING_POLL_MS = 5_000;

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
