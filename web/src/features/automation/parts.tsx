/**
 * Pieces the four automation sections share: a paged list with its loading, error, empty and
 * "Load more" states; a button that asks before it acts; a state badge; a time; a CSV download;
 * select options for my accounts and chats.
 */
import type { UseInfiniteQueryResult } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import type { AutomationAccount, ChatInfo } from '../../api/types';
import { formatDateTime, formatExact } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { useChatTitle, useChats } from '../../state/queries';
import { ErrorNote, Modal, Spinner } from '../../ui/common';
import { Icon, type IconName } from '../../ui/Icon';
import { downloadCsv } from './automation';
import type { Paged } from './lists';

/**
 * A list of the API, page by page: a spinner while the first page loads, the error with "Try
 * again", `empty` when there is nothing, else the rows and "Load more" while pages remain.
 */
export function PagedList<T extends { id: number }>({
  query,
  label,
  empty,
  testId,
  className,
  items,
  children,
}: {
  query: UseInfiniteQueryResult<Paged<T>>;
  label: string;
  empty: string;
  /** `<testId>-none` on the empty line, `<testId>-more` on "Load more". */
  testId: string;
  className?: string;
  /** What to show of the loaded items (all of them, in the API's order, by default). */
  items?: (all: T[]) => T[];
  children: (item: T) => ReactNode;
}) {
  const { t } = useI18n();
  if (query.isPending) return <Spinner label={t('common.loading')} />;
  if (!query.data) return <ErrorNote error={query.error} onRetry={() => void query.refetch()} />;
  const all = query.data.pages.flatMap((p) => p.items);
  const shown = items ? items(all) : all;
  return (
    <>
      {shown.length === 0 ? (
        <p className="muted small" data-testid={`${testId}-none`}>
          {empty}
        </p>
      ) : (
        <ul className={`plain-list auto-list${className ? ` ${className}` : ''}`} aria-label={label}>
          {shown.map((item) => children(item))}
        </ul>
      )}
      {query.hasNextPage ? (
        <button type="button" className="button small" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage} data-testid={`${testId}-more`}>
          {query.isFetchingNextPage ? <Spinner label={t('common.loading')} /> : null} {t('automation.more')}
        </button>
      ) : null}
    </>
  );
}

/**
 * A button that asks first: a dialog titled `title` saying `text`, with Cancel and `confirm`.
 * Test ids: `testId` on the button, `confirm-<testId>` on the dialog's.
 */
export function ConfirmButton({
  label,
  ariaLabel,
  title,
  text,
  confirm,
  danger = true,
  icon,
  disabled,
  testId,
  onConfirm,
}: {
  label: string;
  ariaLabel?: string;
  title: string;
  text: string;
  confirm: string;
  danger?: boolean;
  icon?: IconName;
  disabled?: boolean;
  testId: string;
  onConfirm: () => void;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const close = () => setOpen(false);
  return (
    <>
      <button type="button" className={`button small${danger ? ' ghost danger-text' : ''}`} onClick={() => setOpen(true)} disabled={disabled} aria-label={ariaLabel} data-testid={testId}>
        {icon ? <Icon name={icon} size={14} /> : null} {label}
      </button>
      {open ? (
        <Modal title={title} onClose={close}>
          <p>{text}</p>
          <div className="modal-actions">
            <button type="button" className="button" onClick={close}>
              {t('common.cancel')}
            </button>
            <button
              type="button"
              className={`button ${danger ? 'danger' : 'primary'}`}
              onClick={() => {
                close();
                onConfirm();
              }}
              data-testid={`confirm-${testId}`}
            >
              {confirm}
            </button>
          </div>
        </Modal>
      ) : null}
    </>
  );
}

/** A state as a small badge: `data-state` carries the API's value for tests and styles. */
export function StateBadge({ state, text, testId }: { state: string; text: string; testId: string }) {
  return (
    <span className={`job-state auto-state state-${state}`} data-state={state} data-testid={testId}>
      {text}
    </span>
  );
}

/** A moment, with the exact time on hover. */
export function When({ ms }: { ms: number }) {
  const { lang } = useI18n();
  return (
    <time dateTime={new Date(ms).toISOString()} title={formatExact(ms, lang)}>
      {formatDateTime(ms, lang)}
    </time>
  );
}

/** A bar for done of total, named for screen readers. */
export function ProgressBar({ value, max, label }: { value: number; max: number; label: string }) {
  return <progress className="auto-progress" value={Math.min(value, max)} max={Math.max(max, 1)} aria-label={label} />;
}

/** Saves an export of the API (`path` under `/api/v1`) as `name`, with its error under the button. */
export function CsvButton({ path, name, label, testId }: { path: string; name: string; label: string; testId: string }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await downloadCsv(path, name);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="button small" onClick={() => void save()} disabled={busy} data-testid={testId}>
        {busy ? <Spinner label={t('common.loading')} /> : <Icon name="download" size={14} />} {label}
      </button>
      <ErrorNote error={error} />
    </>
  );
}

/** The `<option>`s of my accounts, by name and whom they act as. */
export function AccountOptions({ accounts }: { accounts: AutomationAccount[] }) {
  return (
    <>
      {accounts.map((a) => (
        <option key={a.id} value={a.id}>
          {a.name} (@{a.actor_name})
        </option>
      ))}
    </>
  );
}

function ChatOption({ chat }: { chat: ChatInfo }) {
  return <option value={chat.id}>{useChatTitle(chat)}</option>;
}

/** My groups and channels (where people can be added or read), as `<option>`s. */
export function GroupOptions() {
  const chats = useChats();
  return (
    <>
      {(chats.data ?? [])
        .filter((c) => c.kind !== 'direct')
        .map((c) => (
          <ChatOption key={c.id} chat={c} />
        ))}
    </>
  );
}

/** A chat's title among mine, or `#id` for one I am no longer in. */
export function ChatTitle({ id }: { id: number }) {
  const chats = useChats();
  const chat = chats.data?.find((c) => c.id === id);
  const title = useChatTitle(chat);
  return <>{chat ? title : `#${id}`}</>;
}

/** Draws again every few seconds, so "in 5 minutes" moves on by itself. */
export function useTick(everyMs = 10_000): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
}
