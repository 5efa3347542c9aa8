import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { InvitePreview } from '../../api/types';
import { Avatar } from '../../ui/Avatar';
import { ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { DeclinedNotices } from './JoinRequestsPanel';
import { joinOutcome, joinState, rememberTitle } from './joinRequests';

/**
 * `/join/<code>`: what the invite link leads to, and a button to join, or to ask to join when
 * the link needs an admin's approval (then the page says the request waits, until a decision
 * reloads it: in the chat, or free to ask again, with a notice).
 */
export function JoinPage() {
  const { code = '' } = useParams();
  const { t } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const preview = useQuery({ queryKey: keys.invitePreview(code), queryFn: () => api.previewInvite(code), retry: false });
  const join = useMutation({
    mutationFn: () => api.joinInvite(code),
    onSuccess: (answer) => {
      const outcome = joinOutcome(answer);
      if (outcome.kind === 'requested') {
        qc.setQueryData<InvitePreview>(keys.invitePreview(code), (p) => (p ? { ...p, requested: true } : p));
        return;
      }
      qc.setQueryData(keys.chat(outcome.chat.id), outcome.chat);
      void qc.invalidateQueries({ queryKey: keys.chats });
      navigate(`/chat/${outcome.chat.id}`, { replace: true });
    },
  });
  // A decision on my request names the chat by id only: keep its title for the notice.
  const shown = preview.data;
  useEffect(() => {
    if (shown) rememberTitle(shown.chat_id, shown.title);
  }, [shown]);
  const joined = join.data !== undefined && joinOutcome(join.data).kind === 'joined';
  const banned = isApiError(join.error) && join.error.status === 403;

  return (
    <main className="auth-page">
      <div className="auth-card join-card">
        {preview.isPending ? (
          <Spinner label={t('common.loading')} />
        ) : preview.isError ? (
          <div className="stack center">
            <Icon name="link" size={40} />
            <h1>{t('join.invalidTitle')}</h1>
            <p className="muted">{isApiError(preview.error) && preview.error.status === 404 ? t('join.invalid') : null}</p>
            {!(isApiError(preview.error) && preview.error.status === 404) ? <ErrorNote error={preview.error} onRetry={() => void preview.refetch()} /> : null}
            <Link to="/" className="button">
              {t('join.toChats')}
            </Link>
          </div>
        ) : (
          <div className="stack center">
            <Avatar name={preview.data.title} id={preview.data.chat_id} size={80} />
            <h1 data-testid="join-title">{preview.data.title}</h1>
            <p className="muted">
              {preview.data.kind === 'channel' ? t('newChat.channel') : t('newChat.group')} ·{' '}
              {t(preview.data.kind === 'channel' ? 'chat.subscribers' : 'chat.members', { count: preview.data.member_count })}
            </p>
            {preview.data.description ? <p className="bio">{preview.data.description}</p> : null}
            {banned ? (
              <p className="error-note" role="alert" data-testid="join-banned">
                <Icon name="alert" size={16} /> {t('join.banned')}
              </p>
            ) : (
              <ErrorNote error={join.error} />
            )}
            <JoinAction
              state={joinState(preview.data)}
              preview={preview.data}
              busy={join.isPending || joined}
              onJoin={() => join.mutate()}
            />
            <Link to="/" className="button ghost">
              {t('join.toChats')}
            </Link>
          </div>
        )}
      </div>
      <DeclinedNotices />
    </main>
  );
}

function JoinAction({ state, preview, busy, onJoin }: { state: ReturnType<typeof joinState>; preview: InvitePreview; busy: boolean; onJoin: () => void }) {
  const { t } = useI18n();
  switch (state) {
    case 'member':
      return (
        <Link to={`/chat/${preview.chat_id}`} className="button primary">
          {t('join.open')}
        </Link>
      );
    case 'requested':
      return (
        <div className="stack center" role="status" data-testid="join-requested">
          <p className="success">
            <Icon name="clock" size={16} /> {t('join.requested')}
          </p>
          <p className="muted small">{t('join.requestedHint')}</p>
        </div>
      );
    case 'request':
      return (
        <>
          <p className="muted small">{t('join.requestHint')}</p>
          <button type="button" className="button primary" onClick={onJoin} disabled={busy} data-testid="join-button">
            {t('join.request')}
          </button>
        </>
      );
    default:
      return (
        <button type="button" className="button primary" onClick={onJoin} disabled={busy} data-testid="join-button">
          {preview.kind === 'channel' ? t('join.joinChannel') : t('join.joinGroup')}
        </button>
      );
  }
}
