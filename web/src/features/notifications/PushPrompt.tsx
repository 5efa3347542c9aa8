import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { useErrorText } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { dismissPushPrompt, usePushPromptShown } from './prompt';
import { hideContentChoice, subscribeHere } from './push';
import { pushErrorText } from './text';

/**
 * "Get notified when the tab is closed? Turn on / Not now": a line shown at a sensible moment
 * (prompt.ts); "Turn on" asks the browser for permission and subscribes, "Not now" is
 * remembered. A refusal stays explained until closed.
 */
export function PushPrompt({ enabled }: { enabled: boolean }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const errorText = useErrorText();
  const shown = usePushPromptShown(enabled);
  const turnOn = useMutation({
    mutationFn: () => subscribeHere(hideContentChoice()),
    onSuccess: () => {
      dismissPushPrompt();
      void qc.invalidateQueries({ queryKey: keys.pushBrowsers });
    },
  });
  if (!shown && !turnOn.error) return null;
  const failed = turnOn.error;
  return (
    <div className="push-prompt" role={failed ? 'alert' : 'status'} data-testid="push-prompt">
      <Icon name="bell" size={16} />
      <span>{failed ? pushErrorText(failed, t, errorText) : t('push.prompt')}</span>
      {failed ? null : (
        <button type="button" className="button small primary" onClick={() => turnOn.mutate()} disabled={turnOn.isPending}>
          {t('push.turnOn')}
        </button>
      )}
      <button
        type="button"
        className={failed ? 'icon-button small' : 'button small ghost'}
        onClick={() => {
          dismissPushPrompt();
          turnOn.reset();
        }}
        aria-label={failed ? t('common.close') : undefined}
      >
        {failed ? <Icon name="close" size={14} /> : t('push.notNow')}
      </button>
    </div>
  );
}
