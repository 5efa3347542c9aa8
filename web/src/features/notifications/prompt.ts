/**
 * When to offer push: never on first load, but after the user has sent a message or opened
 * the notifications, and only until they answer. "Not now" (or a refusal) is remembered in
 * localStorage; permission is asked only from the prompt's own button.
 */
import { Store, useStore } from '../../state/store';
import { pushSupport } from './push';

const KEY = 'hybrid.pushPrompt';

/** Set by a moment that makes the offer sensible (a message sent, the list opened). */
export const promptWanted = new Store(false);

export function wantPushPrompt(): void {
  promptWanted.set(true);
}

export function promptDismissed(): boolean {
  try {
    return localStorage.getItem(KEY) === 'dismissed';
  } catch {
    return false;
  }
}

export function dismissPushPrompt(): void {
  try {
    localStorage.setItem(KEY, 'dismissed');
  } catch {
    // storage off: asked again next time
  }
  promptWanted.set(false);
}

/** Whether to offer push now: wanted, not answered, possible here, never asked by the browser. */
export function usePushPromptShown(enabled: boolean): boolean {
  const wanted = useStore(promptWanted);
  return enabled && wanted && !promptDismissed() && pushSupport() === 'ok' && Notification.permission === 'default';
}
