import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import type { Alert, AlertSettings, AlertSettingsChange } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Field, SavedNote, Spinner, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { known } from './automation';
import { ALERT_KINDS, ALERT_STATES, alertChange, alertForm, alertProblems, type AlertForm } from './autopost';
import { itemsOf, storeItem } from './lists';
import { PagedList, StateBadge, When } from './parts';
import { useAccounts, useAlertSettings, useAlerts } from './queries';

/** The connectors that can post alerts: a Hybrid account into a Hybrid chat, a bot into a Telegram chat. */
const ALERT_CONNECTORS = ['hybrid', 'telegram_bot'];

const FIELDS = ['account_id', 'chat_id', 'kinds', 'queue_threshold', 'min_interval_secs'] as const;

/**
 * Automation → Alerts: where alerts go (an automation account and a chat), which kinds are sent,
 * when the queue counts as high, how often one kind may come; a test alert; the recent alerts.
 */
export function AlertsSection() {
  const { t } = useI18n();
  const settings = useAlertSettings();
  const alerts = useAlerts();
  return (
    <>
      <Card title={t('alerts.title')} className="auto-card" testId="alert-settings">
        <p className="muted small">{t('alerts.hint')}</p>
        {settings.data ? (
          <AlertFormView saved={settings.data} />
        ) : settings.isPending ? (
          <Spinner label={t('common.loading')} />
        ) : (
          <ErrorNote error={settings.error} onRetry={() => void settings.refetch()} />
        )}
      </Card>
      <Card title={t('alerts.recent')} className="auto-card" testId="alerts-recent">
        <TestAlert listed={itemsOf(alerts.data)} />
        <PagedList query={alerts} label={t('alerts.recent')} empty={t('alerts.none')} testId="alerts">
          {(a) => <AlertRow key={a.id} alert={a} />}
        </PagedList>
      </Card>
    </>
  );
}

function AlertFormView({ saved }: { saved: AlertSettings }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const accounts = itemsOf(useAccounts().data).filter((a) => ALERT_CONNECTORS.includes(a.connector) || a.id === saved.account_id);
  const [form, setForm] = useState<AlertForm>(() => alertForm(saved));
  const [done, setDone] = useState(false);
  const save = useMutation({
    mutationFn: (change: AlertSettingsChange) => api.changeAlertSettings(change),
    onSuccess: (now) => {
      // The form shows what the server kept.
      setForm(alertForm(now));
      setDone(true);
      qc.setQueryData(keys.alertSettings, now);
    },
  });
  const set = (patch: Partial<AlertForm>) => {
    setDone(false);
    setForm((f) => ({ ...f, ...patch }));
  };
  const problems = alertProblems(form);
  const notNumber = (f: (typeof problems)[number]) => (problems.includes(f) ? new Error(t('content.notNumber')) : null);
  const error = save.error;
  const at = (f: (typeof FIELDS)[number]) => fieldError(error, f);
  const elsewhere = error && !FIELDS.some((f) => at(f)) ? error : null;
  const change = alertChange(form, saved);
  const account = accounts.find((a) => String(a.id) === form.accountId);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (problems.length === 0) save.mutate(change);
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="alert-form">
      <Field label={t('alerts.account')} error={at('account_id')} hint={t('alerts.accountHint')}>
        {(p) => (
          <select {...p} value={form.accountId} onChange={(e) => set({ accountId: e.target.value })} data-testid="alert-account">
            <option value="">{t('alerts.noAccount')}</option>
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} (@{a.actor_name})
              </option>
            ))}
          </select>
        )}
      </Field>
      {form.accountId ? (
        <Field label={t('alerts.chat')} error={at('chat_id') ?? notNumber('chat_id')} hint={account?.connector === 'telegram_bot' ? t('autopost.chatTelegram') : t('autopost.chatHybrid')}>
          {(p) => <input {...p} inputMode="numeric" autoComplete="off" value={form.chatId} onChange={(e) => set({ chatId: e.target.value })} data-testid="alert-chat" />}
        </Field>
      ) : null}
      <fieldset className="auto-choices" data-testid="alert-kinds">
        <legend>{t('alerts.kinds')}</legend>
        {ALERT_KINDS.map((k) => (
          <label key={k} className="auto-choice">
            <input
              type="checkbox"
              role="switch"
              checked={form.kinds[k]}
              onChange={(e) => set({ kinds: { ...form.kinds, [k]: e.target.checked } })}
              data-testid="alert-kind"
              data-kind={k}
            />
            <span className="person-text">
              <span>{t(`alerts.kind.${k}`)}</span>
              <span className="muted small">{t(`alerts.kindHint.${k}`)}</span>
            </span>
          </label>
        ))}
        {at('kinds') ? <ErrorNote error={error} /> : null}
      </fieldset>
      <div className="row auto-pace">
        <Field label={t('alerts.threshold')} error={at('queue_threshold') ?? notNumber('queue_threshold')} hint={t('alerts.thresholdHint')}>
          {(p) => <input {...p} inputMode="numeric" value={form.threshold} onChange={(e) => set({ threshold: e.target.value })} data-testid="alert-threshold" />}
        </Field>
        <Field label={t('alerts.interval')} error={at('min_interval_secs') ?? notNumber('min_interval_secs')} hint={t('alerts.intervalHint')}>
          {(p) => <input {...p} inputMode="numeric" value={form.intervalMin} onChange={(e) => set({ intervalMin: e.target.value })} data-testid="alert-interval" />}
        </Field>
      </div>
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="submit" className="button primary" disabled={save.isPending || problems.length > 0 || Object.keys(change).length === 0} data-testid="alert-save">
          {t('common.save')}
        </button>
        <SavedNote shown={done && !save.isPending} />
      </div>
    </form>
  );
}

/**
 * "Send test alert": the server records it `pending` and a job sends it; it heads the list, which
 * is asked again until it settles, and the note says how it stands there.
 */
function TestAlert({ listed }: { listed: Alert[] }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const test = useMutation({
    mutationFn: () => api.testAlert(),
    onSuccess: (a) => storeItem(qc, keys.alerts, a, 'first'),
  });
  const answered = test.data;
  const sent = answered ? (listed.find((a) => a.id === answered.id) ?? answered) : undefined;
  return (
    <div className="stack">
      <div className="row auto-actions">
        <button type="button" className="button small" onClick={() => test.mutate()} disabled={test.isPending} data-testid="alert-test">
          <Icon name="bell" size={14} /> {t('alerts.test')}
        </button>
        {sent && !test.isPending ? (
          <span className="small" role="status" data-testid="alert-test-result" data-state={sent.state}>
            {t(sent.state === 'sent' ? 'alerts.testSent' : sent.state === 'pending' ? 'alerts.testSending' : 'alerts.testNotSent')}
          </span>
        ) : null}
      </div>
      <ErrorNote error={test.error} />
    </div>
  );
}

function AlertRow({ alert: a }: { alert: Alert }) {
  const { t } = useI18n();
  const kind = known(ALERT_KINDS, a.kind);
  const state = known(ALERT_STATES, a.state);
  return (
    <li className="auto-row" data-testid="alert" data-id={a.id} data-state={a.state} data-kind={a.kind}>
      <div className="auto-head">
        <span className="person-text">
          <span className="person-name">{kind ? t(`alerts.kind.${kind}`) : a.kind === 'test' ? t('alerts.kindTest') : a.kind}</span>
          <span className="muted small">
            <When ms={a.created_at} />
            {a.repeats > 0 ? (
              <>
                {' · '}
                <span title={t('alerts.repeatsHint')} data-testid="alert-repeats">
                  {t('alerts.repeats', { n: a.repeats })}
                </span>
              </>
            ) : null}
          </span>
        </span>
        <StateBadge state={a.state} text={state ? t(`alerts.state.${state}`) : a.state} testId="alert-state" />
      </div>
      <p className="small autopost-preview" dir="auto" data-testid="alert-text">
        {a.text}
      </p>
      {a.detail ? (
        <p className="small auto-detail" data-testid="alert-detail">
          {a.detail}
        </p>
      ) : null}
    </li>
  );
}
