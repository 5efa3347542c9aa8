import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints';
import type { Message } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { displayName, useUser } from '../../state/queries';
import { Modal } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { pressOutcome, type PressOutcome } from './keyboard';

/** How long a passing notice stays (an alert stays until dismissed). */
export const NOTICE_MS = 5000;

/** The answer to the latest press: what it says and which bot said it. */
export interface ShownAnswer {
  outcome: PressOutcome;
  botId: number;
  /** Tells one press's answer from the next (a new one restarts the notice's time). */
  id: number;
}

export interface ButtonPress {
  /** Presses the button with `data` under message `m`; resolves once the answer is shown. */
  press: (m: Pick<Message, 'seq' | 'sender_id'>, data: string) => Promise<void>;
  shown: ShownAnswer | null;
  dismiss: () => void;
}

/**
 * Pressing inline buttons in a chat: `POST …/messages/{seq}/callback` with the button's data,
 * then the bot's answer shown (`BotAnswerView`): its text as a passing notice, or as an alert to
 * dismiss (`show_alert`); its http(s) `url` opened in a new tab (and linked in the notice, in
 * case the browser blocked the tab); "The bot did not answer." when it did not in time. A
 * refused press (the message deleted, the button gone) goes to `onError`.
 */
export function useButtonPress(chatId: number, onError: (e: unknown) => void): ButtonPress {
  const [shown, setShown] = useState<ShownAnswer | null>(null);
  const count = useRef(0);
  const press = useCallback(
    async (m: Pick<Message, 'seq' | 'sender_id'>, data: string) => {
      try {
        const outcome = pressOutcome(await api.pressButton(chatId, m.seq, data));
        if ('url' in outcome && outcome.url) window.open(outcome.url, '_blank', 'noopener,noreferrer');
        count.current += 1;
        setShown(outcome.kind === 'silent' ? null : { outcome, botId: m.sender_id, id: count.current });
      } catch (e) {
        onError(e);
      }
    },
    [chatId, onError],
  );
  const dismiss = useCallback(() => setShown(null), []);
  return { press, shown, dismiss };
}

/** The answer to the latest press: a notice at the bottom of the chat, or an alert dialog. */
export function BotAnswerView({ shown, onDismiss }: { shown: ShownAnswer | null; onDismiss: () => void }) {
  const { t } = useI18n();
  const bot = useUser(shown?.outcome.kind === 'alert' ? shown.botId : null);
  const id = shown?.id;
  const lasts = shown !== null && shown.outcome.kind !== 'alert';
  useEffect(() => {
    if (!lasts) return;
    const timer = window.setTimeout(onDismiss, NOTICE_MS);
    return () => window.clearTimeout(timer);
  }, [id, lasts, onDismiss]);
  if (!shown) return null;
  const o = shown.outcome;
  if (o.kind === 'silent') return null;
  if (o.kind === 'alert') {
    return (
      <Modal title={bot.data ? displayName(bot.data) : t('bots.alertTitle')} onClose={onDismiss}>
        <p className="bot-alert-text" data-testid="bot-alert">
          {o.text}
        </p>
        {o.url ? <AnswerLink url={o.url} /> : null}
        <div className="modal-actions">
          <button type="button" className="button primary" onClick={onDismiss} data-testid="bot-alert-ok">
            {t('bots.ok')}
          </button>
        </div>
      </Modal>
    );
  }
  return (
    <div className="toast-anchor">
      <div className={`toast bot-notice${o.kind === 'unanswered' ? ' quiet' : ''}`} role="status" data-testid="bot-notice" data-kind={o.kind}>
        <span className="bot-notice-text">
          {o.kind === 'unanswered' ? t('bots.noAnswer') : o.kind === 'link' ? null : o.text}
          {o.kind !== 'unanswered' && o.url ? <AnswerLink url={o.url} /> : null}
        </span>
        <button type="button" className="icon-button small" onClick={onDismiss} aria-label={t('common.close')}>
          <Icon name="close" size={14} />
        </button>
      </div>
    </div>
  );
}

/** The answer's address, as a link opening a new tab (the bot asked to open it). */
function AnswerLink({ url }: { url: string }) {
  const { t } = useI18n();
  return (
    <a className="bot-answer-link" href={url} target="_blank" rel="noopener noreferrer" data-testid="bot-answer-link">
      {t('bots.openLink', { host: new URL(url).host })}
    </a>
  );
}
