import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import { Avatar } from '../../ui/Avatar';
import { ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';

/** `/join/<code>`: what the invite link leads to, and a button to join. */
export function JoinPage() {
  const { code = '' } = useParams();
  const { t } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const preview = useQuery({ queryKey: ['invite', code], queryFn: () => api.previewInvite(code), retry: false });
  const join = useMutation({
    mutationFn: () => api.joinInvite(code),
    onSuccess: (chat) => {
      qc.setQueryData(keys.chat(chat.id), chat);
      void qc.invalidateQueries({ queryKey: keys.chats });
      navigate(`/chat/${chat.id}`, { replace: true });
    },
  });

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
            <ErrorNote error={join.error} />
            {preview.data.joined ? (
              <Link to={`/chat/${preview.data.chat_id}`} className="button primary">
                {t('join.open')}
              </Link>
            ) : (
              <button type="button" className="button primary" onClick={() => join.mutate()} disabled={join.isPending || join.isSuccess} data-testid="join-button">
                {preview.data.kind === 'channel' ? t('join.joinChannel') : t('join.joinGroup')}
              </button>
            )}
            <Link to="/" className="button ghost">
              {t('join.toChats')}
            </Link>
          </div>
        )}
      </div>
    </main>
  );
}
