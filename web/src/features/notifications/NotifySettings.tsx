import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import type { ChatKind, Level, NotifySettings as Settings, PushBrowser } from '../../api/types';
import { formatDateTime } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, SavedNote, Spinner, useErrorText } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { useNotifyEnabled } from './cache';
import { EmailCard } from './EmailCard';
import { LEVELS, useNotifySettings } from './levels';
import { hideContentChoice, pushSupport, removeBrowser, setHideContentChoice, subscribeHere, thisEndpoint, unsubscribeHere } from './push';
import { pushErrorText } from './text';
import { WebhooksCard } from './WebhooksCard';
import { localTimeZone, timeZones, zoneLabel } from './zones';

export { localTimeZone } from './zones';

/**
 * Settings → Notifications: push on this browser (and whether it shows message text), every
 * browser that gets them, the default level per kind of chat, quiet hours, email and webhooks.
 * Absent when the server runs no notify service.
 */
export function NotifySettings() {
  const { t } = useI18n();
  const enabled = useNotifyEnabled();
  if (!enabled) return null;
  return (
    <>
      <Card title={t('notify.title')} testId="notify-settings">
        <PushHere />
        <DefaultLevels />
      </Card>
      <QuietHoursCard />
      <EmailCard />
      <WebhooksCard />
    </>
  );
}

/** The push service a subscription goes through, by its browser's name when it is known. */
export function browserLabel(endpoint: string): string {
  let host = endpoint;
  try {
    host = new URL(endpoint).host;
  } catch {
    // not a URL: shown as it is
  }
  if (host.endsWith('googleapis.com')) return 'Chrome';
  if (host.endsWith('mozilla.com')) return 'Firefox';
  if (host.endsWith('push.apple.com')) return 'Safari';
  if (host.endsWith('notify.windows.com')) return 'Edge';
  return host;
}

/** A change of push here: on or off (with "hide message text"), or a browser removed. */
type PushChange = { on: boolean; hide: boolean } | { remove: PushBrowser };

function PushHere() {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const errorText = useErrorText();
  const browsers = useQuery({ queryKey: keys.pushBrowsers, queryFn: api.pushBrowsers });
  const here = useQuery({ queryKey: keys.pushHere, queryFn: thisEndpoint });
  const support = pushSupport();
  const list = browsers.data ?? [];
  const mine = list.find((b) => b.endpoint === here.data);
  // Every change is one mutation: its error shows, and it is pending until the list is
  // asked again, so the switches show the change meanwhile rather than flick back.
  const change = useMutation({
    mutationFn: async (c: PushChange) => {
      if ('remove' in c) return c.remove === mine ? unsubscribeHere(list) : removeBrowser(c.remove.id);
      setHideContentChoice(c.hide);
      // On again: "hide message text" changed (the server updates the same browser).
      if (c.on) await subscribeHere(c.hide);
      else if (mine) await unsubscribeHere(list);
    },
    onSettled: () =>
      Promise.all([qc.invalidateQueries({ queryKey: keys.pushBrowsers }), qc.invalidateQueries({ queryKey: keys.pushHere })]),
  });
  const pending = change.isPending && !('remove' in change.variables) ? change.variables : null;
  const on = pending ? pending.on : Boolean(mine);
  const hide = pending ? pending.hide : mine ? mine.hide_content : hideContentChoice();
  return (
    <section className="stack" data-testid="push-here">
      <label className="switch-row">
        <input
          type="checkbox"
          role="switch"
          checked={on}
          disabled={change.isPending || !browsers.isSuccess || !here.isSuccess || (support !== 'ok' && !mine)}
          onChange={(e) => change.mutate({ on: e.target.checked, hide })}
          data-testid="push-switch"
        />
        <span className="person-text">
          <span className="person-name">{t('push.thisBrowser')}</span>
          <span className="muted small">{t('push.thisBrowserHint')}</span>
        </span>
      </label>
      {support !== 'ok' ? (
        <p className="error-note" role="status" data-testid="push-unavailable">
          <Icon name="alert" size={16} /> {t(`push.${support}`)}
        </p>
      ) : null}
      <label className="switch-row">
        <input type="checkbox" checked={hide} disabled={change.isPending} onChange={(e) => change.mutate({ on, hide: e.target.checked })} data-testid="push-hide" />
        <span>{t('push.hideContent')}</span>
      </label>
      {change.error ? (
        <p className="error-note" role="alert" data-testid="push-error">
          <Icon name="alert" size={16} /> {pushErrorText(change.error, t, errorText)}
        </p>
      ) : null}
      <h3 className="section-title">{t('push.browsers')}</h3>
      {browsers.isPending ? <Spinner /> : null}
      <ErrorNote error={browsers.error} onRetry={() => void browsers.refetch()} />
      {browsers.isSuccess && list.length === 0 ? <p className="muted small">{t('push.noBrowsers')}</p> : null}
      <ul className="plain-list session-list">
        {list.map((b) => (
          <li key={b.id} className="session-row" data-testid="push-browser">
            <span className="person-text">
              <span className="person-name">
                {browserLabel(b.endpoint)}
                {b === mine ? <span className="tag">{t('push.thisOne')}</span> : null}
              </span>
              <span className="muted small">{t('push.added', { date: formatDateTime(b.created_at, lang) })}</span>
            </span>
            <button type="button" className="button small ghost danger-text" onClick={() => change.mutate({ remove: b })} disabled={change.isPending}>
              {t('push.remove')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Saves the whole settings (a PUT replaces them: quiet hours and defaults go together). */
function useSaveSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (next: Settings) => api.setNotifySettings(next),
    onSuccess: (saved) => qc.setQueryData(keys.notifySettings, saved),
  });
}

const KINDS: readonly ChatKind[] = ['direct', 'group', 'channel'];

function DefaultLevels() {
  const { t } = useI18n();
  const settings = useNotifySettings(true);
  const save = useSaveSettings();
  if (!settings.data) return <ErrorNote error={settings.error} onRetry={() => void settings.refetch()} />;
  const current = settings.data;
  return (
    <section className="stack" data-testid="notify-defaults">
      <h3 className="section-title">{t('notify.defaults')}</h3>
      <div className="notify-defaults">
        {KINDS.map((kind) => (
          <label key={kind} className="select-field">
            <span>{t(`notify.defaults.${kind}`)}</span>
            <select
              value={current.defaults?.[kind] ?? 'all'}
              disabled={save.isPending}
              onChange={(e) => save.mutate({ ...current, defaults: { ...current.defaults, [kind]: e.target.value as Level } })}
              data-testid={`default-${kind}`}
            >
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {t(`notify.level.${l}`)}
                </option>
              ))}
            </select>
          </label>
        ))}
      </div>
      <ErrorNote error={save.error} />
    </section>
  );
}

function QuietHoursCard() {
  const { t } = useI18n();
  const settings = useNotifySettings(true);
  // Kept here: the form is made anew once saved, and "Saved" stays.
  const save = useSaveSettings();
  return (
    <Card title={t('quiet.title')} testId="quiet-hours">
      <p className="muted small">{t('quiet.hint')}</p>
      {settings.data ? (
        // A new form for each saved state: it starts from what is saved.
        <QuietHoursForm key={JSON.stringify(settings.data.quiet_hours ?? null)} settings={settings.data} save={save} />
      ) : settings.isPending ? (
        <Spinner />
      ) : (
        <ErrorNote error={settings.error} onRetry={() => void settings.refetch()} />
      )}
    </Card>
  );
}

function QuietHoursForm({ settings, save }: { settings: Settings; save: ReturnType<typeof useSaveSettings> }) {
  const { t } = useI18n();
  const saved = settings.quiet_hours ?? null;
  const [on, setOn] = useState(Boolean(saved));
  const [from, setFrom] = useState(saved?.from ?? '22:00');
  const [to, setTo] = useState(saved?.to ?? '07:00');
  const [zone, setZone] = useState(() => saved?.time_zone ?? localTimeZone());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ ...settings, quiet_hours: on ? { from, to, time_zone: zone } : null });
  };
  return (
    <form className="stack" onSubmit={submit}>
      <label className="switch-row">
        <input type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)} data-testid="quiet-on" />
        <span>{t('quiet.on')}</span>
      </label>
      <div className="quiet-fields">
        <label className="select-field">
          <span>{t('quiet.from')}</span>
          <input type="time" value={from} required disabled={!on} onChange={(e) => setFrom(e.target.value)} data-testid="quiet-from" />
        </label>
        <label className="select-field">
          <span>{t('quiet.to')}</span>
          <input type="time" value={to} required disabled={!on} onChange={(e) => setTo(e.target.value)} data-testid="quiet-to" />
        </label>
        <label className="select-field quiet-zone">
          <span>{t('quiet.timeZone')}</span>
          <select value={zone} disabled={!on} onChange={(e) => setZone(e.target.value)} data-testid="quiet-zone">
            {timeZones(zone).map((z) => (
              <option key={z} value={z}>
                {zoneLabel(z)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={save.error} />
      <div className="row">
        <button type="submit" className="button primary" disabled={save.isPending} data-testid="quiet-save">
          {t('quiet.save')}
        </button>
        <SavedNote shown={save.isSuccess} />
      </div>
    </form>
  );
}
