import { useMemo, useState } from 'react';
import type { Message } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { Icon } from '../../ui/Icon';
import { replyKeyboard, type ReplyKeyboard } from './keyboard';

export interface ReplyKeyboardState {
  /** The chat's reply keyboard, if a bot put one there. */
  keyboard: ReplyKeyboard | null;
  /** Whether it shows now (hidden by hand, or once used when one-time). */
  open: boolean;
  toggle: () => void;
  /** One of its buttons was pressed: a one-time keyboard hides. */
  used: () => void;
}

/**
 * A chat's reply keyboard (`replyKeyboard` over the loaded history, while it reaches the live
 * end: else the latest messages are not known) and whether it shows. Hiding it hides that
 * keyboard only: the next one a bot sends shows again.
 */
export function useReplyKeyboard(messages: readonly Message[], live: boolean): ReplyKeyboardState {
  const keyboard = useMemo(() => (live ? replyKeyboard(messages) : null), [live, messages]);
  const [hidden, setHidden] = useState<number | null>(null);
  const open = keyboard !== null && hidden !== keyboard.seq;
  return {
    keyboard,
    open,
    toggle: () => setHidden(open && keyboard ? keyboard.seq : null),
    used: () => {
      if (keyboard?.oneTime) setHidden(keyboard.seq);
    },
  };
}

/**
 * A bot's reply keyboard over the message box: rows of buttons, each sending its own text as
 * a message when pressed (`onPick`).
 */
export function ReplyKeyboardBar({ keyboard, onPick }: { keyboard: ReplyKeyboard; onPick: (text: string) => void }) {
  const { t } = useI18n();
  return (
    <div className="reply-keyboard" role="group" aria-label={t('bots.keyboard')} data-testid="reply-keyboard">
      {keyboard.rows.map((row, r) => (
        <div className="reply-keyboard-row" key={r}>
          {row.map((text, i) => (
            <button key={i} type="button" className="reply-key" onClick={() => onPick(text)} data-testid="reply-key">
              {text}
            </button>
          ))}
        </div>
      ))}
    </div>
  );
}

/** Shows or hides the reply keyboard (a one-time keyboard hides itself once used). */
export function KeyboardToggle({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  const { t } = useI18n();
  const label = t(open ? 'bots.hideKeyboard' : 'bots.showKeyboard');
  return (
    <button type="button" className={`icon-button composer-tool${open ? ' active' : ''}`} onClick={onToggle} aria-label={label} title={label} aria-pressed={open} data-testid="keyboard-toggle">
      <Icon name="keyboard" />
    </button>
  );
}
