/**
 * The message box: Enter sends, Shift+Enter starts a new line, ↑ in an empty box edits the
 * last own message, @ suggests people (arrow keys, Enter or Tab to pick, Esc to close). The
 * paperclip (or pasting a file) uploads a file, sent with the text as its caption. With the
 * box empty, the microphone records a voice message: stopping uploads it (`voice.webm`) and
 * sends it without text once uploaded.
 */
import { useEffect, useId, useLayoutEffect, useRef, useState, type ClipboardEvent, type KeyboardEvent, type ReactNode } from 'react';
import type { Message, Profile } from '../../api/types';

/** Someone an @mention can name: a member of the chat. */
export type MentionCandidate = Pick<Profile, 'id' | 'username' | 'display_name'>;
import { useI18n } from '../../i18n/index';
import { fold } from '../../i18n/format';
import { displayName, useUser } from '../../state/queries';
import { UserAvatar } from './ChatAvatar';
import { Icon } from '../../ui/Icon';
import { MessageSummary } from '../files/MessageSummary';
import type { Uploaded } from '../files/upload';
import { AttachButton, UploadDraft } from '../files/UploadDraft';
import type { Upload } from '../files/useUpload';
import { canRecord, useVoiceRecorder } from '../files/useVoiceRecorder';
import { MicButton, RecordingBar } from '../files/VoiceRecorder';

/**
 * The longest text the server takes, in UTF-16 code units (`chats.max_text_length`, 4096 by
 * default and in the API docs; the API does not publish it per server).
 */
export const MAX_TEXT_LENGTH = 4096;
/** The counter shows from this many code units left. */
const COUNTER_FROM = 500;

const MENTION_RE = /(^|\s)@([\p{L}\p{N}_]{0,32})$/iu;

export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const m = MENTION_RE.exec(text.slice(0, caret));
  if (!m) return null;
  const query = m[2] ?? '';
  return { start: caret - query.length - 1, query };
}

export function Composer({
  chatId,
  disabledReason,
  replyTo,
  editing,
  candidates,
  onCancelReply,
  onCancelEdit,
  onSend,
  onSaveEdit,
  onEditLast,
  onTyping,
  upload,
  placeholder,
  above,
  tools,
}: {
  chatId: number;
  disabledReason: string | null;
  replyTo: Message | null;
  editing: Message | null;
  /** The people @mentions suggest: the chat's members. */
  candidates: MentionCandidate[];
  onCancelReply: () => void;
  onCancelEdit: () => void;
  /** Sends the text (may be empty with a file), with the uploaded file if there is one. */
  onSend: (text: string, file?: Uploaded) => void;
  onSaveEdit: (m: Message, text: string) => void;
  onEditLast: () => void;
  onTyping: () => void;
  /** The file being attached (the chat's drop zone feeds it too); none where files are off. */
  upload?: Upload;
  /** The box's placeholder instead of "Write a message…" (a bot's keyboard may ask for one). */
  placeholder?: string;
  /** Shown over the box (a bot's reply keyboard). */
  above?: ReactNode;
  /** Buttons before the box (a bot's command menu, its keyboard's toggle). */
  tools?: ReactNode;
}) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const listId = useId();
  const draftKey = `hybrid.draft.${chatId}`;

  // On wide screens, opening a chat puts the cursor in the message box (not on phones, where
  // it would pop up the keyboard).
  useEffect(() => {
    if (window.matchMedia?.('(min-width: 768px) and (hover: hover)').matches) ref.current?.focus({ preventScroll: true });
  }, [chatId]);

  // Drafts survive switching chats.
  useEffect(() => {
    try {
      setText(sessionStorage.getItem(draftKey) ?? '');
    } catch {
      setText('');
    }
  }, [draftKey]);
  useEffect(() => {
    if (editing) return;
    try {
      if (text) sessionStorage.setItem(draftKey, text);
      else sessionStorage.removeItem(draftKey);
    } catch {
      // ignore
    }
  }, [text, draftKey, editing]);

  useEffect(() => {
    if (editing) {
      setText(editing.text);
      requestAnimationFrame(() => {
        const el = ref.current;
        if (el) {
          el.focus();
          el.setSelectionRange(el.value.length, el.value.length);
        }
      });
    }
  }, [editing]);
  useEffect(() => {
    if (replyTo) ref.current?.focus();
  }, [replyTo]);

  // Grow with the text up to a limit; the page layout above does not move.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [text]);

  const mention = mentionAt(text, caret);
  const open = mention !== null && dismissed !== mention.start;
  // Only the chat's members: naming someone who is not in the chat would notify no one.
  const q = fold(mention?.query ?? '');
  const suggestions: MentionCandidate[] = open
    ? candidates.filter((p) => fold(p.username).startsWith(q) || fold(p.display_name).split(/\s+/).some((w) => w.startsWith(q))).slice(0, 8)
    : [];
  const showList = open && suggestions.length > 0;
  const activeIndex = Math.min(active, Math.max(0, suggestions.length - 1));

  function pick(p: MentionCandidate) {
    if (!mention) return;
    const before = text.slice(0, mention.start);
    const after = text.slice(caret);
    const insert = `@${p.username} `;
    const next = before + insert + after;
    setText(next);
    const pos = before.length + insert.length;
    setCaret(pos);
    requestAnimationFrame(() => {
      ref.current?.focus();
      ref.current?.setSelectionRange(pos, pos);
    });
  }

  // What would be sent is the trimmed text; `length` counts UTF-16 code units, like the server.
  const length = text.trim().length;
  const left = MAX_TEXT_LENGTH - length;
  const over = left < 0;
  // A file goes with the message once uploaded; while it uploads, or when it failed, nothing
  // is sent (the bar says why; removing the file sends the text alone).
  const file = editing || !upload ? null : upload.state;
  const uploaded = file?.status === 'done' ? file : null;
  const canSend = !over && (editing ? text.trim() !== '' : file ? uploaded !== null : text.trim() !== '');

  // A voice message goes as soon as it is uploaded (a failed upload stays in the bar, to retry).
  const voice = useRef<File | null>(null);
  const recorder = useVoiceRecorder((recorded) => {
    if (!upload) return;
    voice.current = recorded;
    upload.start(recorded);
  });
  const voiceDone = file?.status === 'done' && file.file === voice.current ? file : null;
  useEffect(() => {
    if (!voiceDone || !upload) return;
    voice.current = null;
    onSend('', { info: voiceDone.info, at: voiceDone.at });
    upload.clear();
  }, [voiceDone, upload, onSend]);
  const recording = recorder.state.status === 'recording' || recorder.state.status === 'starting';
  const showMic = !editing && Boolean(upload) && !file && text === '' && canRecord();

  function submit() {
    const value = text.trim();
    if (!canSend) return;
    if (editing) {
      if (value !== editing.text) onSaveEdit(editing, value);
      else onCancelEdit();
    } else if (uploaded) {
      onSend(value, { info: uploaded.info, at: uploaded.at });
      upload?.clear();
    } else {
      onSend(value);
    }
    setText('');
    setCaret(0);
  }

  // A pasted file (a screenshot, a copied file) is attached; pasted text stays text.
  function onPaste(e: ClipboardEvent<HTMLTextAreaElement>) {
    const pasted = e.clipboardData.files[0];
    if (editing || !upload || !pasted || e.clipboardData.getData('text/plain')) return;
    e.preventDefault();
    upload.start(pasted);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.nativeEvent.isComposing) return;
    if (showList) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const d = e.key === 'ArrowDown' ? 1 : -1;
        setActive((activeIndex + d + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        const p = suggestions[activeIndex];
        if (p) pick(p);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setDismissed(mention?.start ?? null);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
      e.preventDefault();
      submit();
      return;
    }
    if (e.key === 'Escape') {
      if (editing) {
        setText('');
        onCancelEdit();
      } else if (replyTo) onCancelReply();
      return;
    }
    if (e.key === 'ArrowUp' && text === '' && !editing) {
      e.preventDefault();
      onEditLast();
    }
  }

  if (disabledReason) {
    return <div className="composer composer-disabled">{disabledReason}</div>;
  }

  return (
    <div className="composer">
      {replyTo || editing ? <ComposerContext message={(editing ?? replyTo) as Message} editing={Boolean(editing)} onCancel={() => {
        if (editing) {
          setText('');
          onCancelEdit();
        } else onCancelReply();
      }} /> : null}
      {showList ? (
        <ul className="mentions" role="listbox" id={listId} aria-label={t('composer.mentions')}>
          {suggestions.map((p, i) => (
            <li
              key={p.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === activeIndex}
              className={i === activeIndex ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(p);
              }}
            >
              <UserAvatar userId={p.id} name={displayName(p)} size={28} />
              <span className="person-name">{displayName(p)}</span>
              <span className="muted">@{p.username}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {file && upload ? <UploadDraft upload={upload} /> : null}
      <RecordingBar recorder={recorder} />
      {above}
      {left < COUNTER_FROM ? (
        <div className={`composer-limit${over ? ' over' : ''}`} data-testid="composer-limit">
          {over ? (
            <span role="alert" data-testid="composer-too-long">
              {t('composer.tooLong', { count: -left })}
            </span>
          ) : null}
          <span className="composer-counter" data-testid="composer-counter" aria-label={over ? undefined : t('composer.charsLeft', { count: left })}>
            {left}
          </span>
        </div>
      ) : null}
      <div className="composer-row">
        {tools}
        {editing || !upload ? null : <AttachButton onFile={upload.start} />}
        <textarea
          ref={ref}
          rows={1}
          value={text}
          placeholder={file ? t('files.caption') : (placeholder ?? t('composer.placeholder'))}
          aria-label={t('composer.label')}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={showList}
          aria-controls={showList ? listId : undefined}
          aria-activedescendant={showList ? `${listId}-${activeIndex}` : undefined}
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart);
            setActive(0);
            if (e.target.value.trim() && !editing) onTyping();
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          data-testid="composer"
        />
        {showMic && !recording ? <MicButton recorder={recorder} /> : null}
        <button type="button" className="send-button" onClick={submit} disabled={!canSend} aria-label={editing ? t('composer.save') : t('composer.send')} title={editing ? t('composer.save') : t('composer.send')}>
          <Icon name={editing ? 'check' : 'send'} />
        </button>
      </div>
    </div>
  );
}

function ComposerContext({ message, editing, onCancel }: { message: Message; editing: boolean; onCancel: () => void }) {
  const { t } = useI18n();
  const sender = useUser(message.sender_id);
  return (
    <div className="composer-context" data-testid={editing ? 'editing' : 'replying'}>
      <Icon name={editing ? 'edit' : 'reply'} size={18} />
      <div className="composer-context-text">
        <strong>{editing ? t('composer.editing') : t('composer.replyingTo', { name: displayName(sender.data) })}</strong>
        <span>
          <MessageSummary message={message} />
        </span>
      </div>
      <button type="button" className="icon-button small" onClick={onCancel} aria-label={t('common.cancel')}>
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}
