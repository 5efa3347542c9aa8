import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import type { ChatInfo, MemberInfo, Role, UpdateChat } from '../../api/types';
import { useSession } from '../auth/useSession';
import { Avatar } from '../../ui/Avatar';
import { ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { useI18n } from '../../i18n/index';
import { formatDateTime } from '../../i18n/format';
import { keys } from '../../state/keys';
import { useLivePresence } from '../realtime/state';
import { displayName, useUser } from '../../state/queries';
import { UserPicker } from './NewChatDialog';
import { UserAvatar } from './ChatAvatar';
import { AvatarEditor } from '../files/AvatarEditor';
import { ChatFiles } from '../files/ChatFiles';
import { BotBadge, BotBadgeOf } from '../bots/BotBadge';
import { InviteLinks } from './InviteLinks';
import { JoinRequests } from './JoinRequestsPanel';
import { decidesJoins } from './joinRequests';

const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

export function MembersPanel({ chat, title, onClose }: { chat: ChatInfo; title: string; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <aside className="panel" aria-label={chat.kind === 'direct' ? t('chat.info') : t('members.title')} data-testid="members-panel">
      <header className="panel-header">
        <h2>{chat.kind === 'direct' ? t('chat.info') : t('members.title')}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t('common.close')}>
          <Icon name="close" />
        </button>
      </header>
      <div className="panel-body">
        {chat.kind === 'direct' ? (
          <>
            <PeerInfo chat={chat} />
            <ChatFiles chatId={chat.id} />
          </>
        ) : (
          <GroupInfo chat={chat} title={title} />
        )}
      </div>
    </aside>
  );
}

function PeerInfo({ chat }: { chat: ChatInfo }) {
  const { t, lang } = useI18n();
  const peer = useUser(chat.peer_id);
  if (!peer.data) return <Spinner />;
  const p = peer.data;
  return (
    <div className="profile-card">
      <Avatar name={displayName(p)} id={p.id} size={80} avatar={p.avatar} />
      <h3>
        {displayName(p)}
        {p.is_bot ? <BotBadge /> : null}
      </h3>
      <p className="muted">@{p.username}</p>
      {p.bio ? <p className="bio">{p.bio}</p> : null}
      <p className="muted small">{t('profile.memberSince', { date: formatDateTime(p.created_at, lang) })}</p>
    </div>
  );
}

function GroupInfo({ chat, title }: { chat: ChatInfo; title: string }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const s = useSession();
  const me = s.account?.id ?? 0;
  const members = useQuery({ queryKey: keys.members(chat.id), queryFn: () => api.members(chat.id) });
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState(false);
  const [newTitle, setNewTitle] = useState(chat.title);
  const [newDescription, setNewDescription] = useState(chat.description);
  const can = (p: string) => chat.my_permissions.includes(p as ChatInfo['my_permissions'][number]);

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: keys.members(chat.id) });
    void qc.invalidateQueries({ queryKey: keys.chat(chat.id) });
  };

  // Every action of the panel (rename, add, promote, remove, leave) is one mutation: the
  // last one's error shows, and a success reloads the members and the chat.
  const action = useMutation({ mutationFn: (fn: () => Promise<unknown>) => fn(), onSuccess: refresh });
  const run = (fn: () => Promise<unknown>) => action.mutate(fn);
  const error = action.error;
  /** Changes the chat's info (name, description, picture) and shows the answer at once. */
  const update = async (change: UpdateChat) => {
    const updated = await api.updateChat(chat.id, change);
    qc.setQueryData(keys.chat(chat.id), updated);
    void qc.invalidateQueries({ queryKey: keys.chats });
  };

  return (
    <>
      <div className="profile-card">
        {can('change_info') ? (
          <AvatarEditor name={title} id={chat.id} avatar={chat.avatar} size={72} save={(avatar) => update({ avatar })} />
        ) : (
          <Avatar name={title} id={chat.id} size={72} avatar={chat.avatar} />
        )}
        {editing ? (
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => {
                await update({ title: newTitle.trim(), description: newDescription.trim() });
                setEditing(false);
              });
            }}
          >
            <label className="field">
              <span>{t('newChat.name')}</span>
              <input value={newTitle} onChange={(e) => setNewTitle(e.target.value)} maxLength={128} required />
            </label>
            <label className="field">
              <span>{t('newChat.description')}</span>
              <textarea value={newDescription} onChange={(e) => setNewDescription(e.target.value)} rows={3} />
            </label>
            <div className="row">
              <button type="button" className="button" onClick={() => setEditing(false)}>
                {t('common.cancel')}
              </button>
              <button type="submit" className="button primary">
                {t('common.save')}
              </button>
            </div>
          </form>
        ) : (
          <>
            <h3>{title}</h3>
            <p className="muted">
              {chat.kind === 'channel' ? t('newChat.channel') : t('newChat.group')} · {t(chat.kind === 'channel' ? 'chat.subscribers' : 'chat.members', { count: chat.member_count })}
            </p>
            {chat.description ? <p className="bio">{chat.description}</p> : null}
            {can('change_info') ? (
              <button type="button" className="link-button" onClick={() => setEditing(true)}>
                {t('members.editInfo')}
              </button>
            ) : null}
          </>
        )}
      </div>
      <ErrorNote error={error} />
      {decidesJoins(chat) ? <JoinRequests chat={chat} /> : null}
      {can('invite') ? <InviteLinks chat={chat} /> : null}
      <section className="panel-section">
        <div className="section-head">
          <h3 className="section-title">{t('chat.members', { count: chat.member_count })}</h3>
          {can('invite') ? (
            <button type="button" className="button small" onClick={() => setAdding((v) => !v)} aria-expanded={adding}>
              <Icon name="userPlus" size={16} /> {t('members.add')}
            </button>
          ) : null}
        </div>
        {adding ? (
          <UserPicker
            exclude={new Set((members.data ?? []).map((m) => m.user_id))}
            label={t('members.addSearch')}
            onPick={(u) =>
              run(async () => {
                await api.addMembers(chat.id, [u.id]);
              })
            }
          />
        ) : null}
        {members.isPending ? <Spinner /> : null}
        <ErrorNote error={members.error} onRetry={() => void members.refetch()} />
        <ul className="plain-list member-list">
          {(members.data ?? []).map((m) => (
            <MemberRow key={m.user_id} chat={chat} member={m} me={me} run={run} />
          ))}
        </ul>
      </section>
      <ChatFiles chatId={chat.id} />
      {chat.my_role !== 'owner' ? (
        <button
          type="button"
          className="button danger wide"
          onClick={() =>
            run(async () => {
              if (!window.confirm(t('members.leaveConfirm'))) return;
              await api.leave(chat.id);
              dropFromList(qc, chat.id);
              navigate('/');
            })
          }
        >
          <Icon name="logout" size={16} /> {chat.kind === 'channel' ? t('members.leaveChannel') : t('members.leaveGroup')}
        </button>
      ) : null}
    </>
  );
}

function dropFromList(qc: ReturnType<typeof useQueryClient>, id: number) {
  qc.setQueryData<ChatInfo[]>(keys.chats, (list) => list?.filter((c) => c.id !== id));
}

function MemberRow({ chat, member, me, run }: { chat: ChatInfo; member: MemberInfo; me: number; run: (fn: () => Promise<unknown>) => void }) {
  const { t } = useI18n();
  const online = useLivePresence();
  const [open, setOpen] = useState(false);
  const name = displayName(member);
  const higher = RANK[chat.my_role] > RANK[member.role];
  const can = (p: string) => chat.my_permissions.includes(p as ChatInfo['my_permissions'][number]);
  const canPromote = member.user_id !== me && higher && can('manage_admins');
  const canRemove = member.user_id !== me && higher && can('remove_members');
  return (
    <li className="member-row" data-testid="member-row">
      <UserAvatar userId={member.user_id} name={name} size={36} online={online.get(member.user_id) === true} />
      <span className="person-text">
        <span className="person-name">
          {name}
          {member.user_id === me ? <span className="muted"> ({t('chats.you')})</span> : null}
          <BotBadgeOf userId={member.user_id} cachedOnly />
        </span>
        <span className="muted">@{member.username}</span>
      </span>
      {member.role !== 'member' ? <span className={`role role-${member.role}`}>{t(`role.${member.role}`)}</span> : null}
      {canPromote || canRemove ? (
        <div className="member-actions">
          <button type="button" className="icon-button small" aria-label={t('members.actionsFor', { name })} aria-expanded={open} onClick={() => setOpen((v) => !v)}>
            <Icon name="more" size={16} />
          </button>
          {open ? (
            <div className="menu" role="menu">
              {canPromote ? (
                <button
                  type="button"
                  role="menuitem"
                  onClick={() => {
                    setOpen(false);
                    run(() => api.updateMember(chat.id, member.user_id, { role: member.role === 'admin' ? 'member' : 'admin' }));
                  }}
                >
                  <Icon name="shield" size={16} /> {member.role === 'admin' ? t('members.demote') : t('members.promote')}
                </button>
              ) : null}
              {canRemove ? (
                <button
                  type="button"
                  role="menuitem"
                  className="danger"
                  onClick={() => {
                    setOpen(false);
                    run(() => api.removeMember(chat.id, member.user_id));
                  }}
                >
                  <Icon name="trash" size={16} /> {t('members.remove')}
                </button>
              ) : null}
            </div>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}
