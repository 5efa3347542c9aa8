/**
 * Where to forward a message: my chats (most recent first) that I may write in, with a box
 * that filters them by name. Picking one hands it to `onPick`.
 */
import { useId, useState } from 'react';
import type { ChatInfo, Message } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { useChats, useChatTitle, useUser } from '../../state/queries';
import { ErrorNote, Modal, Spinner } from '../../ui/common';
import { ChatAvatar } from './ChatAvatar';
import { Icon } from '../../ui/Icon';
import { MessageSummary } from '../files/MessageSummary';
import { useChatNameMatcher } from './chatMatch';
import { canPostIn } from './forward';

export function ForwardDialog({ message, onPick, onClose }: { message: Message; onPick: (chat: ChatInfo) => void; onClose: () => void }) {
  const { t } = useI18n();
  const chats = useChats();
  const nameMatches = useChatNameMatcher();
  const [query, setQuery] = useState('');
  const searchId = useId();
  const targets = (chats.data ?? []).filter((c) => canPostIn(c) && nameMatches(c, query));
  return (
    <Modal title={t('forward.title')} onClose={onClose}>
      <p className="forward-message" data-testid="forward-message">
        <MessageSummary message={message} />
      </p>
      <div className="search-input">
        <Icon name="search" size={16} />
        <label htmlFor={searchId} className="visually-hidden">
          {t('forward.search')}
        </label>
        <input id={searchId} type="search" placeholder={t('forward.search')} value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" data-testid="forward-search" />
      </div>
      {chats.isPending ? <Spinner label={t('common.loading')} /> : null}
      <ErrorNote error={chats.error} />
      {chats.data && targets.length === 0 ? <p className="muted small pad">{t('forward.none')}</p> : null}
      <ul className="plain-list forward-targets" aria-label={t('forward.chats')}>
        {targets.map((c) => (
          <ForwardTarget key={c.id} chat={c} onPick={onPick} />
        ))}
      </ul>
    </Modal>
  );
}

function ForwardTarget({ chat, onPick }: { chat: ChatInfo; onPick: (chat: ChatInfo) => void }) {
  const { t } = useI18n();
  const title = useChatTitle(chat);
  const peer = useUser(chat.kind === 'direct' ? chat.peer_id : null);
  const about =
    chat.kind === 'direct'
      ? peer.data
        ? `@${peer.data.username}`
        : ''
      : t(chat.kind === 'channel' ? 'chat.subscribers' : 'chat.members', { count: chat.member_count });
  return (
    <li>
      <button type="button" className="person-row" onClick={() => onPick(chat)} aria-label={t('forward.to', { name: title })} data-testid="forward-target">
        <ChatAvatar chat={chat} title={title} size={36} />
        <span className="person-text">
          <span className="person-name">{title}</span>
          <span className="muted">{about}</span>
        </span>
      </button>
    </li>
  );
}
