import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../../api/endpoints';
import type { ChatInfo, HistoryPage, Message } from '../../api/types';
import { useSession } from '../auth/useSession';
import { ErrorNote, Modal, Spinner, useErrorText } from '../../ui/common';
import { ChatAvatar } from './ChatAvatar';
import { isRetryable } from '../../ui/errorText';
import { Composer, type MentionCandidate } from './Composer';
import { Icon } from '../../ui/Icon';
import { MessageList, type MessageActions, type PendingMessage } from './MessageList';
import { useI18n } from '../../i18n/index';
import {
  applyReactions,
  aroundHistory,
  atLiveEnd,
  mapMessage,
  newerParam,
  olderParam,
  peerReadSeq,
  upsertMessage,
  type History,
  type HistoryParam,
} from '../realtime/apply';
import { keys } from '../../state/keys';
import { connection, peerRead, useLivePresence, useTyping } from '../realtime/state';
import { discard as discardOutbox, enqueue, outbox, retry as retryOutbox, type OutboxItem } from './outbox';
import { ApiError, isApiError, type ErrorCode } from '../../api/errors';
import { displayName, sentReads, useChat, useChatTitle, usePresenceOf, useUser } from '../../state/queries';
import { useStore } from '../../state/store';
import { MembersPanel } from './MembersPanel';
import { usePendingRequests } from './JoinRequestsPanel';
import { badgeText } from './joinRequests';
import { ForwardDialog } from './ForwardDialog';
import { forwardItem } from './forward';
import { MessageSummary } from '../files/MessageSummary';
import { useFileDrop } from '../files/drop';
import { attachToken, type Uploaded } from '../files/upload';
import { useFilesEnabled } from '../files/enabled';
import { useUpload } from '../files/useUpload';
import { useNotifyEnabled } from '../notifications/cache';
import { ChatNotifyMenu } from '../notifications/ChatNotifyMenu';
import { wantPushPrompt } from '../notifications/prompt';
import { PushPrompt } from '../notifications/PushPrompt';
import { BotAnswerView, useButtonPress } from '../bots/BotAnswer';
import { BotBadge } from '../bots/BotBadge';
import { CommandMenu } from '../bots/CommandMenu';
import { KeyboardToggle, ReplyKeyboardBar, useReplyKeyboard } from '../bots/ReplyKeyboardBar';

export function newNonce(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** The history: `fetchNextPage` loads older messages, `fetchPreviousPage` newer ones after a jump. */
function useHistory(chatId: number, enabled: boolean) {
  return useInfiniteQuery<HistoryPage, Error, History, ReturnType<typeof keys.history>, HistoryParam>({
    queryKey: keys.history(chatId),
    queryFn: ({ pageParam }) => api.history(chatId, pageParam ?? {}),
    initialPageParam: undefined,
    getNextPageParam: (oldest) => olderParam(oldest),
    getPreviousPageParam: (newest, _all, param) => newerParam(newest, param),
    staleTime: Infinity,
    enabled,
  });
}

/** Messages in the latest page (the API's default `limit`). */
const LATEST_PAGE = 50;

/**
 * Where a chat opens: when its first unread message is further back than the latest page
 * reaches (with the read one before it, for the "New messages" line), the history starts
 * with the page around that message instead (`around=`), and newer pages load below as the
 * reader scrolls. Decided once per opening, before the history loads; a history already in
 * the cache (kept up to date live) is used as it is.
 */
function useOpeningHistory(chatId: number, chat: ChatInfo | undefined, jumping: boolean): boolean {
  const qc = useQueryClient();
  const [ready, setReady] = useState(() => jumping || qc.getQueryData(keys.history(chatId)) !== undefined);
  const asked = useRef(false);
  const unread = chat ? chat.unread_count > 0 && chat.last_seq - chat.read_seq > LATEST_PAGE - 5 : null;
  const first = chat ? chat.read_seq + 1 : 0;
  useEffect(() => {
    if (ready || unread === null || asked.current) return;
    asked.current = true;
    if (!unread) {
      setReady(true);
      return;
    }
    api.history(chatId, { around: first }).then(
      (page) => {
        // An empty page (history hidden from before joining) opens on the latest page instead.
        if (page.messages.length > 0 && qc.getQueryData(keys.history(chatId)) === undefined) {
          qc.setQueryData<History>(keys.history(chatId), aroundHistory(page, first));
        }
        setReady(true);
      },
      () => setReady(true),
    );
  }, [ready, unread, first, chatId, qc]);
  return ready;
}

/**
 * Why the outbox says the server refused a message, as the API error (for its human text)
 * and whether sending it again may help (a 5xx or 408 may; a 403 or 422 will not).
 */
function refusal(e: NonNullable<OutboxItem['error']>): Pick<PendingMessage, 'error' | 'retryable'> {
  const error = new ApiError(e.status, { code: e.code as ErrorCode, message: e.message, field: e.field ?? null });
  return { error, retryable: isRetryable(error) };
}

function TypingLine({ chat, me }: { chat: ChatInfo; me: number }) {
  const { t } = useI18n();
  const ids = useTyping(chat.id, me);
  const first = useUser(ids[0]);
  if (ids.length === 0) return null;
  const text =
    chat.kind === 'direct'
      ? t('chat.typingShort')
      : ids.length === 1
        ? t('chat.typingOne', { name: displayName(first.data) })
        : t('chat.typingMany', { count: ids.length });
  return (
    <span className="typing-text" data-testid="typing">
      <span className="typing-dots" aria-hidden="true">
        <i />
        <i />
        <i />
      </span>
      {text}
    </span>
  );
}

function Subtitle({ chat, me }: { chat: ChatInfo; me: number }) {
  const { t } = useI18n();
  const online = useLivePresence();
  const conn = useStore(connection);
  const typingIds = useTyping(chat.id, me);
  const peer = useUser(chat.kind === 'direct' ? chat.peer_id : null);
  usePresenceOf(chat.kind === 'direct' && chat.peer_id ? [chat.peer_id] : []);
  if (typingIds.length > 0) return <TypingLine chat={chat} me={me} />;
  if (chat.kind === 'direct') {
    // While we are disconnected nobody's presence is known: no stale "online".
    if (conn.status !== 'online') return <span className="muted" data-testid="connecting">{t('chat.connecting')}</span>;
    const on = chat.peer_id ? online.get(chat.peer_id) : undefined;
    // Unknown until the presence request answers (or when the server shares none).
    if (on === undefined) return <span className="muted">{peer.data ? `@${peer.data.username}` : ''}</span>;
    return <span className={on ? 'online-text' : 'muted'}>{on ? t('chat.online') : t('chat.offline')}</span>;
  }
  return <span className="muted">{t(chat.kind === 'channel' ? 'chat.subscribers' : 'chat.members', { count: chat.member_count })}</span>;
}

function PinnedBar({ chatId, pins, onJump, onOpen }: { chatId: number; pins: Message[]; onJump: (seq: number) => void; onOpen: () => void }) {
  const { t } = useI18n();
  const [index, setIndex] = useState(0);
  useEffect(() => setIndex(0), [chatId, pins.length]);
  const m = pins[index % pins.length];
  if (!m) return null;
  return (
    <div className="pinned-bar" data-testid="pinned-bar">
      <button
        type="button"
        className="pinned-main"
        onClick={() => {
          onJump(m.seq);
          setIndex((i) => (i + 1) % pins.length);
        }}
      >
        <Icon name="pin" size={16} />
        <span className="pinned-text">
          <strong>{pins.length > 1 ? t('pins.titleN', { n: (index % pins.length) + 1, count: pins.length }) : t('pins.title')}</strong>
          <span>
            <MessageSummary message={m} />
          </span>
        </span>
      </button>
      <button type="button" className="icon-button small" onClick={onOpen} aria-label={t('pins.all')} title={t('pins.all')}>
        <Icon name="more" size={16} />
      </button>
    </div>
  );
}

/** The header's button for the side panel; for admins, how many wait to join over its corner. */
function PanelButton({ chat, open, onToggle }: { chat: ChatInfo; open: boolean; onToggle: () => void }) {
  const { t } = useI18n();
  const pending = usePendingRequests(chat);
  const name = chat.kind === 'direct' ? t('chat.info') : t('members.title');
  const label = pending.count > 0 ? `${name}: ${t('joinRequests.waiting', { count: pending.count })}` : name;
  return (
    <button type="button" className={`icon-button panel-button${open ? ' active' : ''}`} onClick={onToggle} aria-label={label} title={label} aria-expanded={open} data-testid="members-button">
      <Icon name={chat.kind === 'direct' ? 'more' : 'users'} />
      {pending.count > 0 ? (
        <span className="badge" aria-hidden="true" data-testid="join-requests-badge">
          {badgeText(pending)}
        </span>
      ) : null}
    </button>
  );
}

/** The chat's column: header, history and composer; a file dropped on it is attached. */
function ChatMain({ title, canAttach, onFile, children }: { title: string; canAttach: boolean; onFile: (file: File) => void; children: ReactNode }) {
  const { t } = useI18n();
  const drop = useFileDrop(onFile, canAttach);
  return (
    <section className="chat-main" aria-label={title} {...drop.handlers}>
      {children}
      {drop.over ? (
        <div className="drop-overlay" aria-hidden="true" data-testid="drop-overlay">
          <Icon name="paperclip" size={32} />
          <span>{t('files.dropHere')}</span>
        </div>
      ) : null}
    </section>
  );
}

export function ChatView({ chatId }: { chatId: number }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const s = useSession();
  const me = s.account?.id ?? 0;
  const errorText = useErrorText();
  const [params, setParams] = useSearchParams();
  const chatQ = useChat(chatId, qc);
  const chat = chatQ.data;
  const title = useChatTitle(chat);
  const peer = useUser(chat?.kind === 'direct' ? chat.peer_id : null);
  // A direct chat with a bot: its badge in the header and its command menu in the composer.
  const botPeer = peer.data?.is_bot ? peer.data.id : null;
  const historyReady = useOpeningHistory(chatId, chat, params.get('seq') !== null);
  const history = useHistory(chatId, historyReady);
  const pinsQ = useQuery({ queryKey: keys.pins(chatId), queryFn: () => api.pins(chatId), enabled: Boolean(chat) });
  const membersQ = useQuery({
    queryKey: keys.members(chatId),
    queryFn: () => api.members(chatId),
    enabled: Boolean(chat),
    staleTime: 60_000,
  });
  const queue = useStore(outbox);
  const pending: PendingMessage[] = useMemo(
    () =>
      queue
        .filter((i) => i.chat_id === chatId)
        .map((i) => ({
          nonce: i.nonce,
          text: i.text,
          created_at: i.created_at,
          failed: Boolean(i.failed),
          ...(i.reply_to ? { reply_to: i.reply_to } : {}),
          ...(i.file ? { file: i.file } : {}),
          ...(i.forwarded_from ? { forwarded_from: i.forwarded_from } : {}),
          ...(i.error ? refusal(i.error) : {}),
        })),
    [queue, chatId],
  );
  const conn = useStore(connection);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [deleting, setDeleting] = useState<Message | null>(null);
  const [forwarding, setForwarding] = useState<Message | null>(null);
  const [showPins, setShowPins] = useState(false);
  const [panel, setPanel] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [atBottom, setAtBottom] = useState(false);
  const upload = useUpload();
  const filesOn = useFilesEnabled();
  const notifyOn = useNotifyEnabled();
  const unreadAfter = useRef<number | null | undefined>(undefined);
  if (unreadAfter.current === undefined && chat) unreadAfter.current = chat.unread_count > 0 ? chat.read_seq : null;
  const [highlight, setHighlight] = useState<number | null>(() => {
    const seq = Number(params.get('seq'));
    return Number.isFinite(seq) && seq > 0 ? seq : null;
  });
  const readSent = useRef(0);
  const buttons = useButtonPress(chatId, setError);
  // Esc closes the side panel.
  useEffect(() => {
    if (!panel) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !document.querySelector('.modal-backdrop, .menu, .lightbox')) setPanel(false);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [panel]);
  const lastTyping = useRef(0);
  const reads = useStore(peerRead);
  const offline = conn.everOnline && conn.status !== 'online';
  const networkError = isApiError(error) && error.code === 'network';
  useEffect(() => {
    if (conn.status === 'online' && networkError) setError(null);
  }, [conn.status, networkError]);

  const jumpTo = useCallback((seq: number) => {
    setHighlight(null);
    requestAnimationFrame(() => setHighlight(seq));
  }, []);

  // A search hit in this chat while it is open.
  useEffect(() => {
    const raw = params.get('seq');
    if (!raw) return;
    const seq = Number(raw);
    if (Number.isFinite(seq) && seq > 0) jumpTo(seq);
    const next = new URLSearchParams(params);
    next.delete('seq');
    setParams(next, { replace: true });
  }, [params, setParams, jumpTo]);

  const messages = useMemo(() => {
    const pages = history.data?.pages ?? [];
    const all: Message[] = [];
    for (let i = pages.length - 1; i >= 0; i--) all.push(...(pages[i]?.messages ?? []));
    return all;
  }, [history.data]);

  // A message that is not loaded (far back, or below a jump): load the page around it
  // instead of paging up to it; older and newer pages follow as the reader scrolls.
  const highlightLoaded = highlight !== null && messages.some((m) => m.seq === highlight);
  const aroundAsked = useRef<number | null>(null);
  const historyLoaded = history.isSuccess;
  useEffect(() => {
    if (highlight === null || highlightLoaded || !historyLoaded || aroundAsked.current === highlight) return;
    aroundAsked.current = highlight;
    api.history(chatId, { around: highlight }).then(
      (page) => qc.setQueryData<History>(keys.history(chatId), aroundHistory(page, highlight)),
      setError,
    );
  }, [highlight, highlightLoaded, historyLoaded, chatId, qc]);
  const liveEnd = atLiveEnd(history.data);
  const backToLive = useCallback(() => {
    aroundAsked.current = null;
    void qc.resetQueries({ queryKey: keys.history(chatId) });
  }, [chatId, qc]);

  // A bot's reply keyboard over the composer.
  const replyKeys = useReplyKeyboard(messages, liveEnd);
  const keyboard = replyKeys.open ? replyKeys.keyboard : null;

  const nonces = useMemo(() => new Set(messages.map((m) => m.nonce).filter(Boolean)), [messages]);
  const visiblePending = pending.filter((p) => !nonces.has(p.nonce));
  const pinned = useMemo(() => new Set((pinsQ.data ?? []).map((m) => m.seq)), [pinsQ.data]);
  const lastSeq = messages[messages.length - 1]?.seq ?? 0;

  // Read marker: everything shown at the bottom of a visible tab is read.
  useEffect(() => {
    if (!chat || !atBottom || lastSeq === 0) return;
    if (lastSeq <= chat.read_seq || lastSeq <= readSent.current) return;
    const mark = () => {
      if (document.visibilityState !== 'visible' || lastSeq <= readSent.current) return;
      readSent.current = lastSeq;
      sentReads.set(chatId, Math.max(sentReads.get(chatId) ?? 0, lastSeq));
      // Below a jump (or the first unread page) newer messages are still unread.
      const left = (c: ChatInfo) => (liveEnd ? 0 : Math.min(c.unread_count, Math.max(0, c.last_seq - lastSeq)));
      const patch = (c: ChatInfo): ChatInfo => (c.id === chatId ? { ...c, read_seq: Math.max(c.read_seq, lastSeq), unread_count: left(c) } : c);
      qc.setQueryData<ChatInfo[]>(keys.chats, (list) => list?.map(patch));
      qc.setQueryData<ChatInfo>(keys.chat(chatId), (c) => (c ? patch(c) : c));
      api.read(chatId, lastSeq).catch(() => {
        readSent.current = 0;
      });
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [chat, chatId, atBottom, lastSeq, liveEnd, qc]);

  // @mention suggestions: the members, named by the member list itself.
  const candidates: MentionCandidate[] = useMemo(
    () =>
      (membersQ.data ?? [])
        .filter((m) => m.user_id !== me)
        .map((m) => ({ id: m.user_id, username: m.username, display_name: m.display_name })),
    [membersQ.data, me],
  );

  const actions: MessageActions = useMemo(
    () => ({
      onReply: (m) => {
        setEditing(null);
        setReplyTo(m);
      },
      onForward: (m) => setForwarding(m),
      onEdit: (m) => {
        setReplyTo(null);
        setEditing(m);
      },
      onDelete: (m) => setDeleting(m),
      onReact: (m, emoji, on) => {
        (on ? api.react(chatId, m.seq, emoji) : api.unreact(chatId, m.seq, emoji)).then(
          (reactions) =>
            qc.setQueryData<History>(keys.history(chatId), (h) =>
              mapMessage(h, m.seq, (x) => applyReactions(x, reactions, { userId: me, me, emoji, added: on })),
            ),
          setError,
        );
      },
      onPin: (m, on) => {
        (on ? api.pin(chatId, m.seq) : api.unpin(chatId, m.seq)).then(
          () => qc.invalidateQueries({ queryKey: keys.pins(chatId) }),
          setError,
        );
      },
      onRetry: (p) => retryOutbox(p.nonce),
      onDiscard: (p) => discardOutbox(p.nonce),
      onJump: jumpTo,
      onPress: buttons.press,
    }),
    [chatId, qc, me, jumpTo, buttons.press],
  );

  /** Sends a message through the outbox, as a reply when one is being written; with a file once its token is there. */
  const send = (text: string, uploaded?: Uploaded) => {
    // Someone who writes may want to hear back with the tab closed.
    wantPushPrompt();
    setReplyTo(null);
    if (!liveEnd) backToLive();
    lastTyping.current = 0;
    const item: OutboxItem = { nonce: newNonce(), user_id: me, chat_id: chatId, text, created_at: Date.now(), ...(replyTo ? { reply_to: replyTo.seq } : {}) };
    if (!uploaded) return enqueue(item);
    const { name, size, content_type } = uploaded.info;
    attachToken(uploaded).then((attach) => enqueue({ ...item, attach, file: { name, size, content_type } }), setError);
  };

  if (chatQ.isError) {
    return (
      <div className="chat-error pad">
        <ErrorNote error={chatQ.error} />
        <Link to="/" className="button">
          {t('common.back')}
        </Link>
      </div>
    );
  }
  if (!chat) {
    return (
      <div className="center fill">
        <Spinner label={t('common.loading')} />
      </div>
    );
  }

  const can = (p: string) => chat.my_permissions.includes(p as ChatInfo['my_permissions'][number]);

  return (
    <div className={`chat${panel ? ' with-panel' : ''}`}>
      <ChatMain title={title} canAttach={filesOn && can('send_messages') && !editing} onFile={upload.start}>
        <header className="chat-header">
          <button type="button" className="icon-button back-button" onClick={() => navigate('/')} aria-label={t('common.back')}>
            <Icon name="back" />
          </button>
          <button type="button" className="chat-header-info" onClick={() => setPanel((v) => !v)} aria-label={t('chat.info')} aria-expanded={panel}>
            <ChatAvatar chat={chat} title={title} size={40} />
            <span className="chat-header-text">
              {botPeer ? (
                <span className="chat-title-line">
                  <span className="chat-title" data-testid="chat-title">{title}</span>
                  <BotBadge />
                </span>
              ) : (
                <span className="chat-title" data-testid="chat-title">{title}</span>
              )}
              <Subtitle chat={chat} me={me} />
            </span>
          </button>
          {pinsQ.data && pinsQ.data.length > 0 ? (
            <button type="button" className="icon-button" onClick={() => setShowPins(true)} aria-label={t('pins.all')} title={t('pins.all')}>
              <Icon name="pin" />
            </button>
          ) : null}
          <ChatNotifyMenu chat={chat} onError={setError} />
          <PanelButton chat={chat} open={panel} onToggle={() => setPanel((v) => !v)} />
        </header>
        {offline || networkError ? (
          <div className="chat-alert offline" role="status" data-testid="chat-alert">
            <Icon name="clock" size={16} />
            <span>{t('outbox.offline')}</span>
          </div>
        ) : error ? (
          <div className="chat-alert" role="alert" data-testid="chat-alert">
            <span>{errorText(error)}</span>
            <button type="button" className="icon-button small" onClick={() => setError(null)} aria-label={t('common.close')}>
              <Icon name="close" size={14} />
            </button>
          </div>
        ) : null}
        <PushPrompt enabled={notifyOn} />
        <PinnedBar
          chatId={chatId}
          pins={pinsQ.data ?? []}
          onOpen={() => setShowPins(true)}
          onJump={jumpTo}
        />
        {history.isError ? (
          <div className="pad">
            <ErrorNote error={history.error} />
          </div>
        ) : history.isPending ? (
          <div className="center fill">
            <Spinner label={t('common.loading')} />
          </div>
        ) : (
          <MessageList
            chat={chat}
            me={me}
            messages={messages}
            pending={visiblePending}
            hasOlder={history.hasNextPage}
            loadingOlder={history.isFetchingNextPage}
            loadOlder={() => void history.fetchNextPage()}
            hasNewer={history.hasPreviousPage}
            loadingNewer={history.isFetchingPreviousPage}
            loadNewer={() => void history.fetchPreviousPage()}
            onJumpToLatest={backToLive}
            peerReadSeq={peerReadSeq(chat, reads.get(chatId))}
            pinned={pinned}
            highlight={highlight}
            actions={actions}
            onBottomChange={setAtBottom}
            canPin={can('pin')}
            canDeleteOthers={can('delete_others')}
            canEditOthers={can('edit_others')}
            unreadAfter={unreadAfter.current ?? null}
            unreadCount={chat.unread_count}
          />
        )}
        <BotAnswerView shown={buttons.shown} onDismiss={buttons.dismiss} />
        <Composer
          chatId={chatId}
          disabledReason={can('send_messages') ? null : chat.kind === 'channel' ? t('composer.channelReadOnly') : t('composer.cannotSend')}
          replyTo={replyTo}
          editing={editing}
          candidates={candidates}
          onCancelReply={() => setReplyTo(null)}
          onCancelEdit={() => setEditing(null)}
          onEditLast={() => {
            const mine = [...messages].reverse().find((m) => m.sender_id === me && !m.deleted && !m.action);
            if (mine) setEditing(mine);
          }}
          onTyping={() => {
            const now = Date.now();
            if (now - lastTyping.current < 4000) return;
            lastTyping.current = now;
            api.typing(chatId).catch(() => undefined);
          }}
          upload={filesOn ? upload : undefined}
          onSend={send}
          placeholder={keyboard?.placeholder}
          above={
            keyboard && !editing ? (
              <ReplyKeyboardBar
                keyboard={keyboard}
                onPick={(text) => {
                  replyKeys.used();
                  send(text);
                }}
              />
            ) : null
          }
          tools={
            editing ? null : (
              <>
                {botPeer ? <CommandMenu botId={botPeer} onPick={(command) => send(command)} /> : null}
                {replyKeys.keyboard ? <KeyboardToggle open={replyKeys.open} onToggle={replyKeys.toggle} /> : null}
              </>
            )
          }
          onSaveEdit={(m, text) => {
            setEditing(null);
            api.edit(chatId, m.seq, text).then(
              (msg) => qc.setQueryData<History>(keys.history(chatId), (h) => upsertMessage(h, msg)),
              setError,
            );
          }}
        />
      </ChatMain>
      {panel ? <MembersPanel chat={chat} title={title} onClose={() => setPanel(false)} /> : null}
      {forwarding ? (
        <ForwardDialog
          message={forwarding}
          onClose={() => setForwarding(null)}
          onPick={(target) => {
            setForwarding(null);
            enqueue(forwardItem(forwarding, target.id, me, newNonce()));
            // The forward shows where it went (pending until the server has it).
            if (target.id !== chatId) navigate(`/chat/${target.id}`);
          }}
        />
      ) : null}
      {deleting ? (
        <Modal title={t('message.deleteTitle')} onClose={() => setDeleting(null)}>
          <p>{t('message.deleteConfirm')}</p>
          <div className="modal-actions">
            <button type="button" className="button" onClick={() => setDeleting(null)}>
              {t('common.cancel')}
            </button>
            <button
              type="button"
              className="button danger"
              onClick={() => {
                const m = deleting;
                setDeleting(null);
                api.remove(chatId, m.seq).then(
                  () => qc.setQueryData<History>(keys.history(chatId), (h) => mapMessage(h, m.seq, (x) => ({ ...x, deleted: true, text: '', entities: [], reactions: [] }))),
                  setError,
                );
              }}
            >
              {t('message.delete')}
            </button>
          </div>
        </Modal>
      ) : null}
      {showPins ? (
        <Modal title={t('pins.all')} onClose={() => setShowPins(false)}>
          <ul className="plain-list pins-list">
            {(pinsQ.data ?? []).map((m) => (
              <li key={m.seq} className="pin-item">
                <button
                  type="button"
                  className="pin-jump"
                  onClick={() => {
                    setShowPins(false);
                    jumpTo(m.seq);
                  }}
                >
                  <MessageSummary message={m} />
                </button>
                {can('pin') ? (
                  <button type="button" className="icon-button small" aria-label={t('message.unpin')} onClick={() => actions.onPin(m, false)}>
                    <Icon name="close" size={14} />
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        </Modal>
      ) : null}
    </div>
  );
}
