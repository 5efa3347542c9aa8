import { skipToken, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { ChatInfo, JoinRequest, JoinRequestPage } from '../../api/types';
import { formatDateTime } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { displayName } from '../../state/queries';
import { ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { UserAvatar } from './ChatAvatar';
import { badgeText, decidesJoins, loadedRequests, pendingOf, withoutRequest, type DeclinedNotice, type JoinRequestList, type Pending } from './joinRequests';

/** The chat's waiting people, a page at a time (for those who decide; kept current by user events). */
function useJoinRequests(chat: ChatInfo) {
  return useInfiniteQuery<JoinRequestPage, Error, JoinRequestList, ReturnType<typeof keys.joinRequests>, string | undefined>({
    queryKey: keys.joinRequests(chat.id),
    queryFn: ({ pageParam }) => api.joinRequests(chat.id, pageParam),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: decidesJoins(chat),
    staleTime: 60_000,
  });
}

/**
 * How many wait to join the chat, for its badge: what the latest `join_request.*` event said,
 * else the requests loaded. Nothing for those who do not decide.
 */
export function usePendingRequests(chat: ChatInfo): Pending {
  const decides = decidesJoins(chat);
  const list = useJoinRequests(chat);
  // Set by events only (see applyJoinEvent): never fetched.
  const live = useQuery<number>({ queryKey: keys.joinPending(chat.id), queryFn: skipToken });
  if (!decides) return { count: 0, more: false };
  return pendingOf(live.data, list.data, list.hasNextPage);
}

/**
 * The chat panel's "Join requests" (admins who may invite): the people waiting, oldest first,
 * each approved or declined here; more load a page at a time. Shown while someone waits.
 */
export function JoinRequests({ chat }: { chat: ChatInfo }) {
  const { t } = useI18n();
  const requests = useJoinRequests(chat);
  const pending = usePendingRequests(chat);
  const list = loadedRequests(requests.data);
  if (requests.isError) {
    return (
      <section className="panel-section">
        <h3 className="section-title">{t('joinRequests.title')}</h3>
        <ErrorNote error={requests.error} onRetry={() => void requests.refetch()} />
      </section>
    );
  }
  if (list.length === 0 && !requests.hasNextPage) return null;
  return (
    <section className="panel-section" aria-label={t('joinRequests.title')} data-testid="join-requests">
      <div className="section-head">
        <h3 className="section-title">{t('joinRequests.title')}</h3>
        <span className="badge" aria-label={t('joinRequests.waiting', { count: pending.count })} data-testid="join-requests-count">
          {badgeText(pending)}
        </span>
      </div>
      <ul className="plain-list member-list">
        {list.map((r) => (
          <RequestRow key={r.user_id} chat={chat} request={r} />
        ))}
      </ul>
      {requests.hasNextPage ? (
        <button type="button" className="button small" onClick={() => void requests.fetchNextPage()} disabled={requests.isFetchingNextPage} data-testid="join-requests-more">
          {requests.isFetchingNextPage ? <Spinner label={t('common.loading')} /> : null} {t('joinRequests.more')}
        </button>
      ) : null}
    </section>
  );
}

function RequestRow({ chat, request }: { chat: ChatInfo; request: JoinRequest }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  // The link they followed, named if its maker named it (the links section loads them).
  const links = useQuery({ queryKey: keys.invites(chat.id), queryFn: () => api.invites(chat.id) });
  const linkName = links.data?.find((l) => l.code === request.code)?.name;
  const name = displayName(request);
  const gone = () => qc.setQueryData<JoinRequestList>(keys.joinRequests(chat.id), (list) => withoutRequest(list, request.user_id));
  const decide = useMutation({
    mutationFn: (approve: boolean) => (approve ? api.approveJoin(chat.id, request.user_id) : api.declineJoin(chat.id, request.user_id)),
    onSuccess: gone,
    onError: (e) => {
      // Decided meanwhile (by another admin): the list as it is now.
      if (isApiError(e) && e.status === 404) {
        gone();
        void qc.invalidateQueries({ queryKey: keys.joinRequests(chat.id) });
      }
    },
  });
  return (
    <li className="join-request" data-testid="join-request" data-user={request.user_id}>
      <div className="member-row">
        <UserAvatar userId={request.user_id} name={name} size={36} />
        <span className="person-text">
          <span className="person-name">{name}</span>
          <span className="muted">@{request.username}</span>
          <span className="muted small">
            {t('joinRequests.asked', { date: formatDateTime(request.requested_at, lang) })}
            {linkName ? ` · ${t('joinRequests.via', { name: linkName })}` : ''}
          </span>
        </span>
      </div>
      <ErrorNote error={decide.error} />
      <span className="row">
        <button
          type="button"
          className="button small primary"
          onClick={() => decide.mutate(true)}
          disabled={decide.isPending}
          aria-label={t('joinRequests.approveOne', { name })}
          data-testid="join-approve"
        >
          <Icon name="check" size={14} /> {t('joinRequests.approve')}
        </button>
        <button
          type="button"
          className="button small ghost danger-text"
          onClick={() => decide.mutate(false)}
          disabled={decide.isPending}
          aria-label={t('joinRequests.declineOne', { name })}
          data-testid="join-decline"
        >
          {t('joinRequests.decline')}
        </button>
      </span>
    </li>
  );
}

/** "Your request to join «Book club» was declined": one notice per declined request of mine, until dismissed. */
export function DeclinedNotices() {
  const { t } = useI18n();
  const qc = useQueryClient();
  // Set by events only (see applyJoinEvent): never fetched.
  const notices = useQuery<DeclinedNotice[]>({ queryKey: keys.joinDeclined, queryFn: skipToken }).data ?? [];
  if (notices.length === 0) return null;
  const dismiss = (chatId: number) => qc.setQueryData<DeclinedNotice[]>(keys.joinDeclined, (list) => list?.filter((n) => n.chatId !== chatId));
  return (
    <div className="join-notices">
      {notices.map((n) => (
        <div key={n.chatId} className="toast join-notice" role="status" data-testid="join-declined">
          <span>{n.title ? t('joinRequests.declined', { title: n.title }) : t('joinRequests.declinedChat')}</span>
          <button type="button" className="icon-button small" onClick={() => dismiss(n.chatId)} aria-label={t('common.close')}>
            <Icon name="close" size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
