import { useEffect, useId, useRef, useState, type ReactNode, type RefObject } from 'react';
import { isApiError } from '../api/errors';
import { useI18n } from '../i18n/index';
import { copyText } from './clipboard';
import { errorText, isRetryable, type ErrorTextOptions } from './errorText';
import { Icon } from './Icon';

/** A readable message for any error, in the UI language (see errorText.ts). */
export function useErrorText(): (e: unknown, opts?: ErrorTextOptions) => string {
  const { t, lang } = useI18n();
  return (e: unknown, opts?: ErrorTextOptions) => errorText(e, t, { lang, ...opts });
}

/** An error line; `onRetry` adds "Try again", but only for errors a retry may get past. */
export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const text = useErrorText();
  const { t } = useI18n();
  if (!error) return null;
  return (
    <p className="error-note" role="alert">
      <Icon name="alert" size={16} /> {text(error)}
      {onRetry && isRetryable(error) ? (
        <>
          {' '}
          <button type="button" className="link-button" onClick={onRetry}>
            {t('common.retry')}
          </button>
        </>
      ) : null}
    </p>
  );
}

/** The API error's message for this field, when the error names it. */
export function fieldError(error: unknown, field: string): unknown {
  return isApiError(error) && error.field === field ? error : null;
}

/** "Saved", beside a form's button once what it saved is stored. */
export function SavedNote({ shown }: { shown: boolean }) {
  const { t } = useI18n();
  if (!shown) return null;
  return (
    <span className="success" role="status">
      <Icon name="check" size={16} /> {t('common.saved')}
    </span>
  );
}

export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner" role="status">
      <span className="visually-hidden">{label ?? '…'}</span>
    </span>
  );
}

export function Field({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: unknown;
  hint?: string;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const text = useErrorText();
  const msgId = `${id}-msg`;
  const msg = error ? text(error, { inField: true }) : hint;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), ...(msg ? { 'aria-describedby': msgId } : {}) })}
      {msg ? (
        <small id={msgId} className={error ? 'field-error' : 'field-hint'} role={error ? 'alert' : undefined}>
          {msg}
        </small>
      ) : null}
    </div>
  );
}

const FOCUSABLE = 'a[href], button:not([disabled]), input, textarea, select, [tabindex]:not([tabindex="-1"])';

/**
 * A dialog's keyboard rules: focus moves into it when it opens (to the first element matching
 * `initial`, else the dialog itself), Tab and Shift+Tab stay inside it, Esc closes it, and the
 * focus goes back where it was once it closes.
 */
export function useFocusTrap(ref: RefObject<HTMLElement | null>, onClose: () => void, initial: string) {
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const el = ref.current;
    (el?.querySelector<HTMLElement>(initial) ?? el)?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        close.current();
      } else if (e.key === 'Tab' && el) {
        const items = [...el.querySelectorAll<HTMLElement>(FOCUSABLE)];
        const firstItem = items[0];
        const lastItem = items[items.length - 1];
        if (!firstItem || !lastItem) return;
        const inside = el.contains(document.activeElement);
        if (e.shiftKey && (document.activeElement === firstItem || !inside)) {
          e.preventDefault();
          lastItem.focus();
        } else if (!e.shiftKey && (document.activeElement === lastItem || !inside)) {
          e.preventDefault();
          firstItem.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      prev?.focus?.();
    };
  }, [ref, initial]);
}

export function Modal({
  title,
  onClose,
  children,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const { t } = useI18n();
  useFocusTrap(ref, onClose, 'input, textarea, select, button:not(.modal-close)');
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal${wide ? ' modal-wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} tabIndex={-1}>
        <header className="modal-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button modal-close" onClick={onClose} aria-label={t('common.close')}>
            <Icon name="close" />
          </button>
        </header>
        <div className="modal-body">{children}</div>
      </div>
    </div>
  );
}

/** A section of a page (settings, administration): a region named by its heading. */
export function Card({ title, children, className, testId }: { title?: string; children: ReactNode; className?: string; testId?: string }) {
  const id = useId();
  return (
    <section className={className ? `card ${className}` : 'card'} aria-labelledby={title ? id : undefined} data-testid={testId}>
      {title ? <h2 id={id}>{title}</h2> : null}
      {children}
    </section>
  );
}

/**
 * The buttons under a value the server shows once (a webhook's secret, a bot's token): copy it,
 * then put it away. Test ids: `<testId>-copy`, `<testId>-done`.
 */
export function CopyThenDone({
  value,
  labels,
  testId,
  onDone,
}: {
  value: string;
  labels: { copy: string; copied: string; done: string };
  testId: string;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="row">
      <button
        type="button"
        className="button small"
        onClick={async () => {
          if (await copyText(value)) setCopied(true);
        }}
        data-testid={`${testId}-copy`}
      >
        <Icon name={copied ? 'check' : 'copy'} size={14} /> {copied ? labels.copied : labels.copy}
      </button>
      <button type="button" className="button small ghost" onClick={onDone} data-testid={`${testId}-done`}>
        {labels.done}
      </button>
    </div>
  );
}
