import { useState } from 'react';
import type { Message } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { Icon } from '../../ui/Icon';
import { inlineRows, safeUrl } from './keyboard';

/**
 * The buttons a bot put under its message (`inline_keyboard`), row by row. A `callback_data`
 * button is pressed through `onPress` and stays disabled until its answer is in; a `url`
 * button is a link that opens in a new tab (only http and https; any other is shown, inert).
 * Without `onPress` (nowhere to press it) the callback buttons are disabled.
 */
export function InlineKeyboard({ message, onPress }: { message: Pick<Message, 'reply_markup' | 'deleted'>; onPress?: (data: string) => Promise<void> }) {
  const { t } = useI18n();
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const rows = inlineRows(message);
  if (rows.length === 0) return null;
  const press = async (data: string) => {
    if (!onPress || pending.has(data)) return;
    setPending((p) => new Set(p).add(data));
    try {
      await onPress(data);
    } finally {
      setPending((p) => {
        const next = new Set(p);
        next.delete(data);
        return next;
      });
    }
  };
  return (
    <div className="inline-keyboard" role="group" aria-label={t('bots.buttons')} data-testid="inline-keyboard">
      {rows.map((row, r) => (
        <div className="inline-keyboard-row" key={r}>
          {row.map((b, i) => {
            if ('callback_data' in b) {
              const waiting = pending.has(b.callback_data);
              return (
                <button
                  key={i}
                  type="button"
                  className="inline-button"
                  disabled={!onPress || waiting}
                  aria-busy={waiting || undefined}
                  onClick={() => void press(b.callback_data)}
                  data-testid="inline-button"
                >
                  <span className="inline-button-text">{b.text}</span>
                  {waiting ? <span className="spinner small" aria-hidden="true" /> : null}
                </button>
              );
            }
            const href = safeUrl(b.url);
            return href ? (
              <a key={i} className="inline-button" href={href} target="_blank" rel="noopener noreferrer" title={href} data-testid="inline-link">
                <span className="inline-button-text">{b.text}</span>
                <Icon name="link" size={12} className="inline-button-mark" />
              </a>
            ) : (
              <span key={i} className="inline-button inert" aria-disabled="true" title={b.url}>
                <span className="inline-button-text">{b.text}</span>
              </span>
            );
          })}
        </div>
      ))}
    </div>
  );
}
