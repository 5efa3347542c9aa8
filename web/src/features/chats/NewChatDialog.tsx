import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import type { ChatKind, CreateChat, Profile } from '../../api/types';
import { useSession } from '../auth/useSession';
import { Avatar } from '../../ui/Avatar';
import { ErrorNote, Field, Modal, Spinner, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { displayName } from '../../state/queries';

/** Find people by username prefix. */
export function UserPicker({ onPick, exclude, label }: { onPick: (u: Profile) => void; exclude?: Set<number>; label: string }) {
  const { t } = useI18n();
  const s = useSession();
  const id = useId();
  const [q, setQ] = useState('');
  const prefix = useDeferredValue(q.trim().replace(/^@/, '').toLowerCase());
  const valid = /^[a-z0-9_]{1,32}$/.test(prefix);
  const users = useQuery({
    queryKey: ['user-search', prefix],
    queryFn: () => api.searchUsers(prefix, 8),
    enabled: valid,
    staleTime: 30_000,
  });
  const items = (users.data?.items ?? []).filter((u) => u.id !== s.account?.id && !exclude?.has(u.id));
  return (
    <div className="user-picker">
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <div className="search-input">
        <Icon name="search" size={16} />
        <input id={id} type="search" placeholder={label} value={q} onChange={(e) => setQ(e.target.value)} autoComplete="off" data-testid="user-picker" />
      </div>
      {valid && users.isPending ? <Spinner /> : null}
      <ErrorNote error={users.error} />
      {valid && users.data && items.length === 0 ? <p className="muted small pad">{t('search.noPeople')}</p> : null}
      <ul className="plain-list">
        {items.map((u) => (
          <li key={u.id}>
            <button
              type="button"
              className="person-row"
              onClick={() => {
                onPick(u);
                setQ('');
              }}
            >
              <Avatar name={displayName(u)} id={u.id} size={36} avatar={u.avatar} />
              <span className="person-text">
                <span className="person-name">{displayName(u)}</span>
                <span className="muted">@{u.username}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function NewChatDialog({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [kind, setKind] = useState<ChatKind>('direct');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [members, setMembers] = useState<Profile[]>([]);
  const createChat = useMutation({
    mutationFn: (req: CreateChat) => api.createChat(req),
    onSuccess: (chat) => {
      qc.setQueryData(keys.chat(chat.id), chat);
      void qc.invalidateQueries({ queryKey: keys.chats });
      onClose();
      navigate(`/chat/${chat.id}`);
    },
  });
  const busy = createChat.isPending;
  const error = createChat.error;

  function openDirect(u: Profile) {
    createChat.mutate({ kind: 'direct', user_id: u.id, member_ids: [] });
  }

  function create(e: FormEvent) {
    e.preventDefault();
    createChat.mutate({
      kind,
      title: title.trim(),
      description: description.trim(),
      member_ids: members.map((m) => m.id),
    });
  }

  return (
    <Modal title={t('newChat.title')} onClose={onClose}>
      <div className="tabs" role="tablist" aria-label={t('newChat.kind')}>
        {(['direct', 'group', 'channel'] as const).map((k) => (
          <button key={k} type="button" role="tab" aria-selected={kind === k} className={`tab${kind === k ? ' active' : ''}`} onClick={() => setKind(k)}>
            <Icon name={k === 'direct' ? 'message' : k === 'group' ? 'users' : 'megaphone'} size={16} /> {t(`newChat.${k}`)}
          </button>
        ))}
      </div>
      {kind === 'direct' ? (
        <div className="stack">
          <p className="muted small">{t('newChat.directHint')}</p>
          <UserPicker label={t('newChat.findPeople')} onPick={openDirect} />
          <ErrorNote error={error} />
          {busy ? <Spinner /> : null}
        </div>
      ) : (
        <form className="stack" onSubmit={create}>
          <p className="muted small">{kind === 'group' ? t('newChat.groupHint') : t('newChat.channelHint')}</p>
          <Field label={t('newChat.name')} error={fieldError(error, 'title')}>
            {(p) => <input {...p} value={title} onChange={(e) => setTitle(e.target.value)} maxLength={128} required data-testid="chat-name" />}
          </Field>
          <Field label={t('newChat.description')} error={fieldError(error, 'description')}>
            {(p) => <textarea {...p} value={description} onChange={(e) => setDescription(e.target.value)} rows={2} />}
          </Field>
          <div className="field">
            <span className="label">{t('newChat.addPeople')}</span>
            {members.length > 0 ? (
              <ul className="chips">
                {members.map((m) => (
                  <li key={m.id} className="chip active">
                    {displayName(m)}
                    <button type="button" aria-label={t('common.removeName', { name: displayName(m) })} onClick={() => setMembers((list) => list.filter((x) => x.id !== m.id))}>
                      <Icon name="close" size={12} />
                    </button>
                  </li>
                ))}
              </ul>
            ) : null}
            <UserPicker label={t('newChat.findPeople')} exclude={new Set(members.map((m) => m.id))} onPick={(u) => setMembers((list) => [...list, u])} />
          </div>
          {error && !fieldError(error, 'title') && !fieldError(error, 'description') ? <ErrorNote error={error} /> : null}
          <div className="modal-actions">
            <button type="button" className="button" onClick={onClose}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="button primary" disabled={busy || !title.trim()} data-testid="create-chat">
              {kind === 'group' ? t('newChat.createGroup') : t('newChat.createChannel')}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
