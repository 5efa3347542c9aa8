/**
 * The history of a chat. Older pages load when the top comes into view, and the scroll
 * position stays put while they are added above; new messages keep the view at the bottom
 * only if it was there, so nothing jumps under the reader's eyes.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type MouseEvent as ReactMouseEvent, type ReactNode, type RefObject } from 'react';
import type { ChatInfo, Message } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { formatDateTime, formatDay, formatTime, sameDay } from '../../i18n/format';
import { displayName, useUser } from '../../state/queries';
import { Avatar } from '../../ui/Avatar';
import { Spinner, useErrorText } from '../../ui/common';
import { useStore } from '../../state/store';
import { connection } from '../realtime/state';
import { Icon } from '../../ui/Icon';
import { useMenu } from '../../ui/useMenu';
import { RichText } from './RichText';
import { ForwardedFrom } from './ForwardedFrom';
import { ServiceMessage } from './service';
import { attachedFile, pictureKind, type FilePreview } from '../files/attachment';
import { MessageSummary } from '../files/MessageSummary';
import { FileCard } from '../files/FileCard';
import { chatPictures, Lightbox } from '../files/Lightbox';
import { BotBadge } from '../bots/BotBadge';
import { InlineKeyboard } from '../bots/InlineKeyboard';
import { inlineRows } from '../bots/keyboard';

export interface PendingMessage {
  nonce: string;
  text: string;
  reply_to?: number;
  /** The file it carries, as the pending bubble shows it. */
  file?: FilePreview;
  /** A forward: who wrote the original. */
  forwarded_from?: number;
  created_at: number;
  failed: boolean;
  /** Why the server refused it. */
  error?: unknown;
  /** False when sending again cannot help (the server refused the text itself: 4xx). */
  retryable?: boolean;
}

export interface MessageActions {
  onReply(m: Message): void;
  /** Picks a chat to forward the message to. */
  onForward(m: Message): void;
  onEdit(m: Message): void;
  onDelete(m: Message): void;
  onReact(m: Message, emoji: string, on: boolean): void;
  onPin(m: Message, on: boolean): void;
  onRetry(p: PendingMessage): void;
  onDiscard(p: PendingMessage): void;
  /** Show a message (a replied-to one), loading it when it is not. */
  onJump(seq: number): void;
  /** Presses a button under a bot's message (its `callback_data`); resolves once answered. */
  onPress?(m: Message, data: string): Promise<void>;
}

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];

const BOTTOM_SLACK = 80;
const GROUP_GAP_MS = 5 * 60_000;
/** How long after the last scroll a date pill that covers messages stays. */
const PILL_IDLE_MS = 1200;
/** Phones and narrow windows: no tools beside bubbles; a tap or a long press opens the menu. */
const TOUCH_LAYOUT = '(hover: none), (max-width: 767px)';

/** Scrolls the history where the list keeps it (opening, pages added, following new messages). */
function keepScroll(el: HTMLElement, top: number) {
  el.dataset.keptAt = String(performance.now());
  el.scrollTop = top;
}
/** A scroll event this soon after keepScroll comes from it. */
const KEPT_MS = 100;

/**
 * The sticky date pills that lie over messages (rather than in their own place) are marked, so
 * that they show while the reader scrolls and fade once the scrolling stops, as in Telegram.
 */
function markStuckDates(el: HTMLElement) {
  for (const sep of el.querySelectorAll<HTMLElement>('.day-separator')) {
    const next = sep.nextElementSibling;
    const stuck = next !== null && next.getBoundingClientRect().top < sep.getBoundingClientRect().bottom - 1;
    if (stuck) sep.dataset.stuck = '';
    else delete sep.dataset.stuck;
  }
}

export function MessageList({
  chat,
  me,
  messages,
  pending,
  hasOlder,
  loadingOlder,
  loadOlder,
  hasNewer = false,
  loadingNewer = false,
  loadNewer,
  onJumpToLatest,
  peerReadSeq,
  pinned,
  highlight,
  actions,
  onBottomChange,
  canPin,
  canDeleteOthers,
  canEditOthers,
  unreadAfter,
  unreadCount = 0,
}: {
  chat: ChatInfo;
  me: number;
  messages: Message[];
  pending: PendingMessage[];
  hasOlder: boolean;
  loadingOlder: boolean;
  loadOlder: () => void;
  /** After a jump back in time: newer messages exist below what is loaded. */
  hasNewer?: boolean;
  loadingNewer?: boolean;
  loadNewer?: () => void;
  /** Back to the latest messages when they are not loaded (after a jump). */
  onJumpToLatest?: () => void;
  peerReadSeq: number | undefined;
  pinned: Set<number>;
  highlight: number | null;
  actions: MessageActions;
  onBottomChange: (atBottom: boolean) => void;
  canPin: boolean;
  canDeleteOthers: boolean;
  canEditOthers: boolean;
  /** The read marker when the chat was opened: a "new messages" line goes after it. */
  unreadAfter: number | null;
  /** The chat's unread count: the jump-to-bottom button shows it. */
  unreadCount?: number;
}) {
  const { t } = useI18n();
  const scroller = useRef<HTMLDivElement>(null);
  const topSentinel = useRef<HTMLDivElement>(null);
  const bottomSentinel = useRef<HTMLDivElement>(null);
  const atBottom = useRef<boolean | null>(null);
  const snapshot = useRef({ height: 0, top: 0, first: 0, last: 0, count: 0, newer: false });
  const [unseen, setUnseen] = useState(0);
  const [showJump, setShowJump] = useState(false);
  // The picture shown full-window (its message's seq), moving through the loaded history's.
  const [viewing, setViewing] = useState<number | null>(null);
  const viewerOpen = viewing !== null;
  const pictures = useMemo(() => (viewerOpen ? chatPictures(messages) : []), [viewerOpen, messages]);
  const closeViewer = useCallback(() => setViewing(null), []);
  const idleTimer = useRef<number | undefined>(undefined);

  const firstSeq = messages[0]?.seq ?? 0;
  const lastSeq = messages[messages.length - 1]?.seq ?? 0;
  const count = messages.length + pending.length;

  const hasNewerRef = useRef(hasNewer);
  hasNewerRef.current = hasNewer;

  const measureBottom = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK;
    if (bottom !== atBottom.current) {
      atBottom.current = bottom;
      onBottomChange(bottom);
    }
    if (bottom) setUnseen(0);
    setShowJump(!bottom || hasNewerRef.current);
    snapshot.current.top = el.scrollTop;
    snapshot.current.height = el.scrollHeight;
  }, [onBottomChange]);

  const onScroll = useCallback(() => {
    measureBottom();
    const el = scroller.current;
    if (!el) return;
    markStuckDates(el);
    // The view kept in place by the list itself is not the reader scrolling: no pill for that.
    if (performance.now() - Number(el.dataset.keptAt ?? -Infinity) < KEPT_MS) return;
    el.dataset.scrolling = '';
    window.clearTimeout(idleTimer.current);
    idleTimer.current = window.setTimeout(() => delete el.dataset.scrolling, PILL_IDLE_MS);
  }, [measureBottom]);
  useEffect(() => () => window.clearTimeout(idleTimer.current), []);

  // Keep the view steady across renders.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const prev = snapshot.current;
    if (prev.count === 0) {
      // First render: the first unread message if there is one, else the latest.
      const divider = el.querySelector<HTMLElement>('.unread-divider');
      // Room above the line for the sticky day label and a bit of what was read.
      keepScroll(el, divider ? divider.offsetTop - 64 : el.scrollHeight);
      measureBottom();
    } else if (firstSeq < prev.first && prev.first !== 0) {
      // Older messages were added above: keep what the reader sees where it was.
      keepScroll(el, prev.top + (el.scrollHeight - prev.height));
    } else if (prev.newer && lastSeq > prev.last) {
      // A newer page loaded below a jump: the view stays, and the reader is no longer at the end.
      measureBottom();
    } else if (atBottom.current) {
      keepScroll(el, el.scrollHeight);
    } else if (lastSeq > prev.last) {
      setUnseen((n) => n + (lastSeq - prev.last));
    }
    snapshot.current = { height: el.scrollHeight, top: el.scrollTop, first: firstSeq, last: lastSeq, count, newer: hasNewer };
  }, [firstSeq, lastSeq, count, hasNewer, measureBottom]);

  // Content that grows at the bottom (fonts, a reaction) keeps the bottom in view.
  useEffect(() => {
    const el = scroller.current;
    const inner = el?.firstElementChild;
    if (!el || !inner || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (atBottom.current && !hasNewerRef.current) keepScroll(el, el.scrollHeight);
      snapshot.current.height = el.scrollHeight;
      snapshot.current.top = el.scrollTop;
    });
    ro.observe(inner);
    return () => ro.disconnect();
  }, []);

  // Load older messages when the top is near.
  useEffect(() => {
    const el = topSentinel.current;
    if (!el || !hasOlder || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !loadingOlder) loadOlder();
      },
      { root: scroller.current, rootMargin: '400px 0px 0px 0px' },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [hasOlder, loadingOlder, loadOlder]);

  // Load newer messages (below a jump) when the bottom is near.
  useEffect(() => {
    const el = bottomSentinel.current;
    if (!el || !hasNewer || !loadNewer || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !loadingNewer) loadNewer();
      },
      { root: scroller.current, rootMargin: '0px 0px 400px 0px' },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [hasNewer, loadingNewer, loadNewer]);

  // Jump to a message (search hit, pinned message).
  useEffect(() => {
    if (highlight === null) return;
    const el = scroller.current?.querySelector<HTMLElement>(`[data-seq="${highlight}"]`);
    el?.scrollIntoView({ block: 'center' });
  }, [highlight, firstSeq]);

  // The line shows only where the read marker really is: with the message before it loaded.
  const markerLoaded = unreadAfter !== null && (!hasOlder || (messages[0]?.seq ?? Infinity) <= unreadAfter);
  const firstUnread = markerLoaded ? messages.find((m) => m.seq > (unreadAfter ?? 0) && m.sender_id !== me && !(m.action && m.deleted))?.seq : undefined;
  const bySeq = new Map(messages.map((m) => [m.seq, m]));
  const rows: ReactNode[] = [];
  let prev: { sender: number; at: number } | null = null;
  let lastAt: number | null = null;
  for (const m of messages) {
    if (lastAt === null || !sameDay(lastAt, m.created_at)) {
      rows.push(<DaySeparator key={`d${m.seq}`} at={m.created_at} />);
      prev = null;
    }
    lastAt = m.created_at;
    if (m.seq === firstUnread) {
      rows.push(
        <div key="unread" className="unread-divider" role="separator">
          <span>{t('chat.newMessages')}</span>
        </div>,
      );
      prev = null;
    }
    // A deleted service line goes away (its tombstone keeps only the action).
    if (m.action && m.deleted) continue;
    if (m.action) {
      // A service message: a centred line, no reply or menu, and it breaks a run of bubbles.
      rows.push(<ServiceMessage key={m.seq} message={m} kind={chat.kind} onDelete={canDeleteOthers ? actions.onDelete : undefined} onJump={actions.onJump} />);
      prev = null;
      continue;
    }
    const grouped = prev !== null && prev.sender === m.sender_id && m.created_at - prev.at < GROUP_GAP_MS;
    rows.push(
      <MessageItem
        key={m.seq}
        chat={chat}
        message={m}
        mine={m.sender_id === me}
        grouped={grouped}
        replyTo={m.reply_to ? bySeq.get(m.reply_to) : undefined}
        read={peerReadSeq !== undefined && m.seq <= peerReadSeq}
        pinned={pinned.has(m.seq)}
        highlighted={highlight === m.seq}
        actions={actions}
        canPin={canPin}
        canDelete={m.sender_id === me || canDeleteOthers}
        canEdit={m.sender_id === me || canEditOthers}
        onOpenPicture={setViewing}
      />,
    );
    prev = { sender: m.sender_id, at: m.created_at };
  }
  const last = messages[messages.length - 1];
  if (pending.length > 0 && (!last || !sameDay(last.created_at, Date.now()))) {
    rows.push(<DaySeparator key="dpending" at={Date.now()} />);
  }
  for (const p of pending) rows.push(<PendingItem key={p.nonce} p={p} actions={actions} replyTo={p.reply_to ? bySeq.get(p.reply_to) : undefined} />);

  const badge = Math.max(unseen, unreadCount);
  return (
    <div className="messages-wrap">
      <div className="messages" ref={scroller} onScroll={onScroll} role="log" aria-live="polite" aria-relevant="additions" aria-label={t('chat.history')} tabIndex={0} data-testid="messages">
        <div className="messages-inner">
          <div ref={topSentinel} className="top-sentinel" />
          {!hasOlder && messages.length > 0 ? <p className="history-start">{t('chat.historyStart')}</p> : null}
          {messages.length === 0 && pending.length === 0 ? <p className="history-empty">{t('chat.empty')}</p> : null}
          {rows}
          <div ref={bottomSentinel} className="bottom-sentinel" />
        </div>
      </div>
      {loadingOlder || loadingNewer ? (
        <div className="loading-older">
          <Spinner label={t('common.loading')} />
        </div>
      ) : null}
      {showJump ? (
        <button
          type="button"
          className="jump-bottom"
          onClick={() => {
            if (hasNewer && onJumpToLatest) {
              onJumpToLatest();
              return;
            }
            const el = scroller.current;
            if (el) el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
          }}
          aria-label={badge > 0 ? `${t('chat.jumpToLatest')}, ${t('chats.unread', { count: badge })}` : t('chat.jumpToLatest')}
        >
          <Icon name="down" />
          {badge > 0 ? (
            <span className="badge" data-testid="jump-unread">
              {badge > 999 ? '999+' : badge}
            </span>
          ) : null}
        </button>
      ) : null}
      {viewing !== null ? <Lightbox pictures={pictures} seq={viewing} onShow={setViewing} onClose={closeViewer} /> : null}
    </div>
  );
}

function DaySeparator({ at }: { at: number }) {
  const { lang } = useI18n();
  return (
    <div className="day-separator" role="separator">
      <span>{formatDay(at, lang)}</span>
    </div>
  );
}

function ReplyQuote({ message, seq, onJump }: { message: Message | undefined; seq: number; onJump: (seq: number) => void }) {
  const { t } = useI18n();
  const sender = useUser(message?.sender_id);
  return (
    <button type="button" className="reply-quote" onClick={() => onJump(seq)}>
      <span className="reply-quote-name">{message ? displayName(sender.data) : t('message.reply')}</span>
      <span className="reply-quote-text">{message ? (message.deleted ? t('message.deleted') : <MessageSummary message={message} />) : t('message.olderMessage')}</span>
    </button>
  );
}

function MessageItem({
  chat,
  message: m,
  mine,
  grouped,
  replyTo,
  read,
  pinned,
  highlighted,
  actions,
  canPin,
  canDelete,
  canEdit,
  onOpenPicture,
}: {
  chat: ChatInfo;
  message: Message;
  mine: boolean;
  grouped: boolean;
  replyTo: Message | undefined;
  read: boolean;
  pinned: boolean;
  highlighted: boolean;
  actions: MessageActions;
  canPin: boolean;
  canDelete: boolean;
  canEdit: boolean;
  /** Opens a picture full-window, by its message's seq. */
  onOpenPicture: (seq: number) => void;
}) {
  const { t, lang } = useI18n();
  const sender = useUser(m.sender_id);
  const [menu, setMenu] = useState(false);
  const bubble = useRef<HTMLDivElement>(null);
  const more = useRef<HTMLButtonElement>(null);
  // Opened from the "…" button (keyboard, mouse), the closed menu gives focus back to it.
  const fromButton = useRef(false);
  const openMenu = (byButton: boolean) => {
    fromButton.current = byButton;
    setMenu(true);
  };
  const closeMenu = () => {
    setMenu(false);
    if (fromButton.current && document.activeElement?.closest('[role="menu"]')) more.current?.focus({ preventScroll: true });
  };
  const onTap = (e: ReactMouseEvent) => {
    if (tapOpens(e)) openMenu(false);
  };
  const onLongPress = (e: ReactMouseEvent) => {
    if (!longPressOpens(e)) return;
    e.preventDefault();
    openMenu(false);
  };
  const showName = chat.kind !== 'direct' && !mine && !grouped;
  const name = displayName(sender.data);
  const file = m.deleted ? null : attachedFile(m.attachment);
  const channelPost = chat.kind === 'channel';
  // A bot's buttons go under its bubble, as wide as it (the two in one column).
  const onPress = actions.onPress;
  const withButtons = (b: ReactNode) =>
    inlineRows(m).length > 0 ? (
      <div className="bubble-column">
        {b}
        <InlineKeyboard message={m} onPress={onPress ? (data) => onPress(m, data) : undefined} />
      </div>
    ) : (
      b
    );
  return (
    <div
      className={`message${mine && !channelPost ? ' mine' : ''}${grouped ? ' grouped' : ''}${highlighted ? ' flash' : ''}${m.deleted ? ' deleted' : ''}`}
      data-seq={m.seq}
      data-testid="message"
    >
      {chat.kind === 'group' && !mine ? (
        <span className="message-avatar">{grouped ? null : <Avatar name={name} id={m.sender_id} size={32} avatar={sender.data?.avatar} />}</span>
      ) : null}
      {withButtons(
        <div className="bubble" ref={bubble} onClick={m.deleted ? undefined : onTap} onContextMenu={m.deleted ? undefined : onLongPress}>
          {showName ? (
            <span className="message-sender">
              {name}
              {sender.data?.is_bot ? <BotBadge /> : null}
            </span>
          ) : null}
          {m.forwarded_from && !m.deleted ? <ForwardedFrom userId={m.forwarded_from} /> : null}
          {m.reply_to && !m.deleted ? <ReplyQuote message={replyTo} seq={m.reply_to} onJump={actions.onJump} /> : null}
          {file ? (
            <FileCard file={file} source={{ id: file.id, chatId: m.chat_id, seq: m.seq }} onOpen={pictureKind(file) === 'none' ? undefined : () => onOpenPicture(m.seq)} />
          ) : null}
          {m.deleted ? (
            <p className="message-text muted">
              <em>{t('message.deleted')}</em>
            </p>
          ) : m.text || !file ? (
            <p className="message-text" dir="auto">
              <RichText text={m.text} entities={m.entities} />
            </p>
          ) : null}
          <span className="message-meta">
            {pinned ? <Icon name="pin" size={12} aria-label={t('message.pinned')} /> : null}
            {m.edited_at && !m.deleted ? <span className="edited">{t('message.edited')}</span> : null}
            <time dateTime={new Date(m.created_at).toISOString()} title={formatDateTime(m.created_at, lang)}>
              {formatTime(m.created_at, lang)}
            </time>
            {mine && chat.kind === 'direct' ? (
              <Icon name={read ? 'checks' : 'check'} size={14} className={read ? 'tick read' : 'tick'} aria-label={read ? t('message.read') : t('message.sent')} />
            ) : null}
          </span>
          {m.reactions && m.reactions.length > 0 ? (
            <div className="reactions">
              {m.reactions.map((r) => (
                <button
                  key={r.emoji}
                  type="button"
                  className={`reaction${r.me ? ' me' : ''}`}
                  aria-pressed={Boolean(r.me)}
                  aria-label={t('message.reactionCount', { emoji: r.emoji, count: r.count })}
                  onClick={() => actions.onReact(m, r.emoji, !r.me)}
                  data-testid="reaction"
                >
                  <span>{r.emoji}</span> <span>{r.count}</span>
                </button>
              ))}
            </div>
          ) : null}
        </div>,
      )}
      {!m.deleted ? (
        <div className="message-tools">
          <button type="button" className="icon-button small" aria-label={t('message.reply')} title={t('message.reply')} onClick={() => actions.onReply(m)}>
            <Icon name="reply" size={16} />
          </button>
          <button
            type="button"
            className="icon-button small"
            aria-label={t('message.actions')}
            title={t('message.actions')}
            aria-haspopup="menu"
            aria-expanded={menu}
            ref={more}
            onClick={() => (menu ? setMenu(false) : openMenu(true))}
          >
            <Icon name="more" size={16} />
          </button>
        </div>
      ) : null}
      {menu && !m.deleted ? (
        <MessageMenu
          onClose={closeMenu}
          message={m}
          anchor={bubble}
          alignEnd={mine && !channelPost}
          actions={actions}
          canEdit={canEdit && mine}
          canDelete={canDelete}
          canPin={canPin}
          pinned={pinned}
        />
      ) : null}
    </div>
  );
}

/** Whether a click on a bubble opens its menu: on phones, when it hit no link or button and selected nothing. */
function tapOpens(e: ReactMouseEvent): boolean {
  if (!window.matchMedia?.(TOUCH_LAYOUT).matches) return false;
  return !(e.target as Element).closest('a, button, input, .spoiler') && !window.getSelection()?.toString();
}

/** A long press (or a right click) opens the menu, unless on a link or over selected text. */
function longPressOpens(e: ReactMouseEvent): boolean {
  return !(e.target as Element).closest('a') && !window.getSelection()?.toString();
}

const MENU_MARGIN = 8;

/**
 * Places a menu next to its message, inside the viewport: above the bubble when it fits, else
 * below, else wherever it fits; its side follows the bubble's, and it never runs off an edge.
 */
function useMenuPlacement(menu: RefObject<HTMLDivElement | null>, anchor: RefObject<HTMLElement | null>, alignEnd: boolean) {
  const [pos, setPos] = useState<{ left: number; top: number } | null>(null);
  useLayoutEffect(() => {
    const place = () => {
      const el = menu.current;
      const a = anchor.current;
      if (!el || !a) return;
      const r = a.getBoundingClientRect();
      const w = el.offsetWidth;
      const h = el.offsetHeight;
      const vw = document.documentElement.clientWidth;
      const vh = window.innerHeight;
      const left = Math.max(MENU_MARGIN, Math.min(alignEnd ? r.right - w : r.left, vw - w - MENU_MARGIN));
      let top = r.top - h - 4;
      if (top < MENU_MARGIN) top = r.bottom + 4;
      if (top + h > vh - MENU_MARGIN) top = Math.max(MENU_MARGIN, vh - h - MENU_MARGIN);
      setPos({ left, top });
    };
    place();
    window.addEventListener('resize', place);
    document.addEventListener('scroll', place, true);
    return () => {
      window.removeEventListener('resize', place);
      document.removeEventListener('scroll', place, true);
    };
  }, [menu, anchor, alignEnd]);
  return pos ? { left: pos.left, top: pos.top } : { visibility: 'hidden' as const };
}

function MessageMenu({
  message: m,
  anchor,
  alignEnd,
  actions,
  onClose,
  canEdit,
  canDelete,
  canPin,
  pinned,
}: {
  message: Message;
  anchor: RefObject<HTMLElement | null>;
  alignEnd: boolean;
  actions: MessageActions;
  onClose: () => void;
  canEdit: boolean;
  canDelete: boolean;
  canPin: boolean;
  pinned: boolean;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const placement = useMenuPlacement(ref, anchor, alignEnd);
  useMenu(ref, onClose);
  const mine = new Set((m.reactions ?? []).filter((r) => r.me).map((r) => r.emoji));
  const act = (fn: () => void) => () => {
    onClose();
    fn();
  };
  return (
    <div className="menu message-menu" role="menu" ref={ref} aria-label={t('message.actions')} style={placement}>
      <div className="menu-emoji" role="group" aria-label={t('message.react')}>
        {QUICK_REACTIONS.map((e) => (
          <button key={e} type="button" role="menuitem" className={mine.has(e) ? 'me' : ''} aria-label={t('message.reactWith', { emoji: e })} onClick={act(() => actions.onReact(m, e, !mine.has(e)))}>
            {e}
          </button>
        ))}
      </div>
      <button type="button" role="menuitem" onClick={act(() => actions.onReply(m))}>
        <Icon name="reply" size={16} /> {t('message.reply')}
      </button>
      <button type="button" role="menuitem" onClick={act(() => actions.onForward(m))}>
        <Icon name="share" size={16} /> {t('message.forward')}
      </button>
      {canEdit ? (
        <button type="button" role="menuitem" onClick={act(() => actions.onEdit(m))}>
          <Icon name="edit" size={16} /> {t('message.edit')}
        </button>
      ) : null}
      <button type="button" role="menuitem" onClick={act(() => void navigator.clipboard?.writeText(m.text))}>
        <Icon name="copy" size={16} /> {t('message.copy')}
      </button>
      {canPin ? (
        <button type="button" role="menuitem" onClick={act(() => actions.onPin(m, !pinned))}>
          <Icon name="pin" size={16} /> {pinned ? t('message.unpin') : t('message.pin')}
        </button>
      ) : null}
      {canDelete ? (
        <button type="button" role="menuitem" className="danger" onClick={act(() => actions.onDelete(m))}>
          <Icon name="trash" size={16} /> {t('message.delete')}
        </button>
      ) : null}
    </div>
  );
}

function PendingItem({ p, actions, replyTo }: { p: PendingMessage; actions: MessageActions; replyTo: Message | undefined }) {
  const { t, lang } = useI18n();
  const errorText = useErrorText();
  // Disconnected: it waits for the network rather than being on its way.
  const waiting = useStore(connection).status !== 'online';
  // The message is the field: "Not sent: At most 4096 characters.", not "…: Message: at most…".
  const reason = p.failed && p.error ? errorText(p.error, { inField: true }) : '';
  return (
    <div className={`message mine pending${p.failed ? ' failed' : ''}`} data-testid="message-pending">
      <div className="bubble">
        {p.forwarded_from ? <ForwardedFrom userId={p.forwarded_from} /> : null}
        {p.reply_to ? <ReplyQuote message={replyTo} seq={p.reply_to} onJump={actions.onJump} /> : null}
        {p.file ? <FileCard file={p.file} /> : null}
        {p.text || !p.file ? (
          <p className="message-text" dir="auto">
            {p.text}
          </p>
        ) : null}
        <span className="message-meta">
          {p.failed ? (
            <span className="failed-note" data-testid="failed-note">
              {reason ? `${t('message.failed')}: ${reason}` : t('message.failed')}
            </span>
          ) : (
            <>
              <time>{formatTime(p.created_at, lang)}</time>
              <Icon name="clock" size={12} aria-label={waiting ? t('outbox.waiting') : t('message.sending')} />
              <button type="button" className="icon-button small pending-cancel" onClick={() => actions.onDiscard(p)} aria-label={t('outbox.cancel')} title={t('outbox.cancel')}>
                <Icon name="close" size={12} />
              </button>
            </>
          )}
        </span>
        {p.failed ? (
          <span className="pending-actions">
            {p.retryable !== false ? (
              <button type="button" className="link-button" onClick={() => actions.onRetry(p)}>
                {t('common.retry')}
              </button>
            ) : null}
            <button type="button" className="link-button" onClick={() => actions.onDiscard(p)}>
              {t('common.delete')}
            </button>
          </span>
        ) : null}
      </div>
    </div>
  );
}

