/**
 * What an entry says, in the UI language: one line per kind ("Mentioned you: hi @anna",
 * "Reacted 👍 to your message"). The list shows it under the actor's name; the service
 * worker gets the same lines as templates (`{preview}` where the text goes, and the line for
 * a push without it), so a push reads like the list.
 */
import type { NotificationKind } from '../../api/types';
import type { I18n, Key } from '../../i18n/index';
import { PushError } from './push';

export const KINDS: readonly NotificationKind[] = ['mention', 'reply', 'direct_message', 'reaction', 'added_to_chat'];

/** The line for an entry; `preview` absent: a push whose browser hides message text. */
export function entryLine(kind: NotificationKind, preview: string | undefined, t: I18n['t']): string {
  switch (kind) {
    case 'mention':
    case 'reply': {
      const what = t(kind === 'mention' ? 'notify.kind.mention' : 'notify.kind.reply');
      return preview ? `${what}: ${preview}` : what;
    }
    case 'direct_message':
      return preview || t('notify.kind.direct_message');
    case 'reaction':
      return preview ? t('notify.kind.reaction', { emoji: preview }) : t('notify.kind.reactionHidden');
    case 'added_to_chat':
      return t('notify.kind.added_to_chat');
  }
}

/** The service worker's lines: per kind, [with the preview as `{preview}`, without one]. */
export function workerLines(t: I18n['t']): Record<string, [string, string]> {
  return Object.fromEntries(KINDS.map((k) => [k, [entryLine(k, '{preview}', t), entryLine(k, undefined, t)]]));
}

const PUSH_ERRORS: Record<PushError['reason'], Key> = {
  insecure: 'push.insecure',
  unsupported: 'push.unsupported',
  denied: 'push.denied',
  dismissed: 'push.dismissed',
  failed: 'push.failed',
};

/** Why push could not be turned on, in words; an API error reads as `other` says. */
export function pushErrorText(e: unknown, t: I18n['t'], other: (e: unknown) => string): string {
  return e instanceof PushError ? t(PUSH_ERRORS[e.reason]) : other(e);
}
