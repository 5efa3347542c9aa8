import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import type { ChatInfo, Message, Profile } from '../../api/types';
import { Avatar } from '../../ui/Avatar';
import { ErrorNote, Spinner } from '../../ui/common';
import { ChatAvatar } from './ChatAvatar';
import { Icon } from '../../ui/Icon';
import { useI18n } from '../../i18n/index';
import { formatListTime } from '../../i18n/format';
import { keys } from '../../state/keys';
import { useLivePresence, useTyping } from '../realtime/state';
import { displayName, useChatTitle, useChats, useMe, usePresenceOf, useUser } from '../../state/queries';
import { useSession } from '../auth/useSession';
import { NewChatDialog } from './NewChatDialog';
import { useChatNameMatcher } from './chatMatch';
import { useServiceText } from './service';
import { MessageSummary } from '../files/MessageSummary';
import { NotificationsBell } from '../notifications/Bell';
import { useNotifyEnabled } from '../notifications/cache';
import { useMutedChats } from '../notifications/levels';
import { BotBadge, BotBadgeOf } from '../bots/BotBadge';

type Filter = 'all' | 'unread' | 'direct' | 'group' | 'channel';

export function Sidebar({ activeId }: { activeId: number | null }) {
  const { t } = useI18n();
  const me = useMe();
  const s = useSession();
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState<Filter>('all');
  const [creating, setCreating] = useState(false);
  const deferred = useDeferredValue(query.trim());
  const name = me.data ? displayName(me.data) : (s.account?.username ?? '');

  return (
    <aside className="sidebar" aria-label={t('nav.chats')}>
      <header className="sidebar-header">
        <Link to="/settings" className="me-link" aria-label={t('nav.settings')} title={t('nav.settings')}>
          <Avatar name={name} id={s.account?.id ?? 0} size={36} avatar={me.data?.avatar} />
        </Link>
        <h1 className="sidebar-title">{t('nav.chats')}</h1>
        <NotificationsBell />
        <button type="button" className="icon-button" onClick={() => setCreating(true)} aria-label={t('newChat.title')} title={t('newChat.title')}>
          <Icon name="edit" />
        </button>
      </header>
      <div className="sidebar-search">
        <Icon name="search" size={16} />
        <input
          type="search"
          placeholder={t('search.placeholder')}
          aria-label={t('search.placeholder')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => e.key === 'Escape' && setQuery('')}
        />
      </div>
      {deferred ? null : (
        <div className="filters" role="group" aria-label={t('filter.label')}>
          {(['all', 'unread', 'direct', 'group', 'channel'] as const).map((f) => (
            <button key={f} type="button" className={`chip${filter === f ? ' active' : ''}`} aria-pressed={filter === f} onClick={() => setFilter(f)}>
              {t(`filter.${f}`)}
            </button>
          ))}
        </div>
      )}
      <div className="sidebar-scroll">
        {deferred ? <SearchResults query={deferred} activeId={activeId} onDone={() => setQuery('')} /> : <ChatList filter={filter} activeId={activeId} />}
      </div>
      {creating ? <NewChatDialog onClose={() => setCreating(false)} /> : null}
    </aside>
  );
}

function matchesFilter(c: ChatInfo, f: Filter): boolean {
  if (f === 'all') return true;
  if (f === 'unread') return c.unread_count > 0;
  return c.kind === f;
}

function ChatList({ filter, activeId, text }: { filter: Filter; activeId: number | null; text?: string }) {
  const { t } = useI18n();
  const chats = useChats();
  const nameMatches = useChatNameMatcher();
  const isMuted = useMutedChats(useNotifyEnabled());
  // Online dots for direct chats, including ones that appear after the socket connected.
  usePresenceOf((chats.data ?? []).flatMap((c) => (c.kind === 'direct' && c.peer_id ? [c.peer_id] : [])));
  if (chats.isPending) return <div className="center pad"><Spinner label={t('common.loading')} /></div>;
  if (chats.isError) return <div className="pad"><ErrorNote error={chats.error} /></div>;
  const items = chats.data.filter((c) => matchesFilter(c, filter) && nameMatches(c, text ?? ''));
  if (items.length === 0) {
    if (text) return null;
    return <p className="empty-list">{filter === 'all' ? t('chats.none') : t('chats.noneFiltered')}</p>;
  }
  return (
    <ul className="chat-list" aria-label={t('nav.chats')}>
      {items.map((c) => (
        <ChatRow key={c.id} chat={c} active={c.id === activeId} muted={isMuted(c)} />
      ))}
    </ul>
  );
}

function kindIcon(kind: ChatInfo['kind']) {
  if (kind === 'group') return <Icon name="users" size={14} className="kind-icon" />;
  if (kind === 'channel') return <Icon name="megaphone" size={14} className="kind-icon" />;
  return null;
}

function Preview({ chat }: { chat: ChatInfo }) {
  const { t } = useI18n();
  const s = useSession();
  const typingIds = useTyping(chat.id, s.account?.id);
  const sender = useUser(chat.kind !== 'direct' && chat.last_message && chat.last_message.sender_id !== s.account?.id ? chat.last_message.sender_id : null);
  const serviceLine = useServiceText(chat.last_message && !chat.last_message.deleted ? chat.last_message : null, chat.kind);
  if (typingIds.length > 0) return <span className="preview typing-text">{t('chat.typingShort')}</span>;
  const m = chat.last_message;
  if (!m) return <span className="preview muted">{t('chats.noMessages')}</span>;
  if (serviceLine !== null) return <span className="preview service-preview">{serviceLine}</span>;
  const prefix = m.sender_id === s.account?.id ? `${t('chats.you')}: ` : sender.data ? `${displayName(sender.data)}: ` : '';
  return (
    <span className="preview">
      {prefix ? <span className="preview-sender">{prefix}</span> : null}
      {m.deleted ? <em>{t('message.deleted')}</em> : <MessageSummary message={m} />}
    </span>
  );
}

function ChatRow({ chat, active, muted }: { chat: ChatInfo; active: boolean; muted: boolean }) {
  const { t, lang } = useI18n();
  const title = useChatTitle(chat);
  const online = useLivePresence();
  const isOnline = chat.kind === 'direct' && chat.peer_id ? online.get(chat.peer_id) === true : false;
  return (
    <li>
      <Link to={`/chat/${chat.id}`} className={`chat-row${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined} data-testid="chat-row">
        <ChatAvatar chat={chat} title={title} size={48} online={isOnline} />
        <span className="chat-row-body">
          <span className="chat-row-top">
            <span className="chat-row-title">
              {kindIcon(chat.kind)}
              <span className="chat-row-name">{title}</span>
              {chat.kind === 'direct' ? <BotBadgeOf userId={chat.peer_id} /> : null}
              {muted ? <Icon name="bellOff" size={14} className="muted-icon" aria-label={t('notify.muted')} data-testid="muted-icon" /> : null}
            </span>
            <time className="chat-row-time" dateTime={new Date(chat.last_activity_at).toISOString()}>
              {formatListTime(chat.last_activity_at, lang)}
            </time>
          </span>
          <span className="chat-row-bottom">
            <Preview chat={chat} />
            {chat.unread_count > 0 ? (
              <span className={`badge${muted ? ' badge-muted' : ''}`} aria-label={t('chats.unread', { count: chat.unread_count })} data-testid="unread-badge">
                {chat.unread_count > 999 ? '999+' : chat.unread_count}
              </span>
            ) : null}
          </span>
        </span>
      </Link>
    </li>
  );
}

const USERNAME_RE = /^@?[a-z0-9_]{1,32}$/i;

function SearchResults({ query, activeId, onDone }: { query: string; activeId: number | null; onDone: () => void }) {
  const { t } = useI18n();
  const userPrefix = USERNAME_RE.test(query) ? query.replace(/^@/, '') : null;
  const users = useQuery({
    queryKey: ['user-search', userPrefix],
    queryFn: () => api.searchUsers(userPrefix as string, 8),
    enabled: userPrefix !== null,
    staleTime: 30_000,
  });
  const messages = useQuery({
    queryKey: ['message-search', query],
    queryFn: () => api.searchMessages(query),
    enabled: query.length >= 2,
    staleTime: 10_000,
  });
  return (
    <div className="search-results">
      <section aria-label={t('nav.chats')}>
        <ChatList filter="all" activeId={activeId} text={query} />
      </section>
      {userPrefix !== null ? (
        <section>
          <h2 className="section-title">{t('search.people')}</h2>
          {users.isPending ? <div className="pad"><Spinner /></div> : null}
          <ErrorNote error={users.error} />
          {users.data?.items.length === 0 ? <p className="empty-list">{t('search.noPeople')}</p> : null}
          <ul className="plain-list">
            {users.data?.items.map((u) => <PersonRow key={u.id} user={u} onDone={onDone} />)}
          </ul>
        </section>
      ) : null}
      {query.length >= 2 ? (
        <section>
          <h2 className="section-title">{t('search.messages')}</h2>
          {messages.isPending ? <div className="pad"><Spinner /></div> : null}
          <ErrorNote error={messages.error} />
          {messages.data?.items.length === 0 ? <p className="empty-list">{t('search.noMessages')}</p> : null}
          <ul className="plain-list">
            {messages.data?.items.map((m) => <MessageHit key={`${m.chat_id}:${m.seq}`} message={m} onDone={onDone} />)}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

export function PersonRow({ user, onDone }: { user: Profile; onDone: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const s = useSession();
  const openChat = useMutation({
    mutationFn: () => api.createChat({ kind: 'direct', user_id: user.id, member_ids: [] }),
    onSuccess: (chat) => {
      qc.setQueryData(keys.chat(chat.id), chat);
      void qc.invalidateQueries({ queryKey: keys.chats });
      onDone();
      navigate(`/chat/${chat.id}`);
    },
  });
  const self = user.id === s.account?.id;
  return (
    <li>
      <button type="button" className="person-row" onClick={() => openChat.mutate()} disabled={self || openChat.isPending} aria-label={t('search.openChatWith', { name: displayName(user) })}>
        <Avatar name={displayName(user)} id={user.id} size={40} avatar={user.avatar} />
        <span className="person-text">
          <span className="person-name">
            {displayName(user)}
            {user.is_bot ? <BotBadge /> : null}
          </span>
          <span className="muted">@{user.username}</span>
        </span>
      </button>
      <ErrorNote error={openChat.error} />
    </li>
  );
}

function MessageHit({ message, onDone }: { message: Message; onDone: () => void }) {
  const { lang } = useI18n();
  const qc = useQueryClient();
  const chat = qc.getQueryData<ChatInfo[]>(keys.chats)?.find((c) => c.id === message.chat_id);
  const title = useChatTitle(chat);
  const sender = useUser(message.sender_id);
  return (
    <li>
      <Link to={`/chat/${message.chat_id}?seq=${message.seq}`} className="message-hit" onClick={onDone}>
        <span className="chat-row-top">
          <span className="chat-row-title">
            <span className="chat-row-name">{title || `#${message.chat_id}`}</span>
          </span>
          <time className="chat-row-time">{formatListTime(message.created_at, lang)}</time>
        </span>
        <span className="preview">
          <span className="preview-sender">{displayName(sender.data)}: </span>
          <MessageSummary message={message} />
        </span>
      </Link>
    </li>
  );
}
