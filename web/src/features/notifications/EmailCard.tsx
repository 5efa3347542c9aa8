import { useMutation, useQuery, useQueryClient, type UseMutationResult } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { EmailSettings, EmailSettingsUpdate } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Field, SavedNote, Spinner, fieldError, useErrorText } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { EMAIL_FIELDS, addressState, delayChoices, delayLabel, emailForm, emailUpdate, resendErrorText, type EmailForm } from './email';
import { localTimeZone, timeZones, zoneLabel } from './zones';

type Save = UseMutationResult<EmailSettings, Error, EmailSettingsUpdate>;

/** My email settings; asked again on coming back to the tab while an address waits for its link. */
function useEmailSettings() {
  return useQuery({
    queryKey: keys.emailSettings,
    queryFn: api.emailSettings,
    refetchOnWindowFocus: (q) => Boolean(q.state.data?.address && !q.state.data.verified),
  });
}

/**
 * Settings → Notifications → Email: the address (confirmed, or waiting for the link mailed to
 * it, which can be sent again), how long a mention, reply or direct message stays unread
 * before it is emailed, and a daily digest. A server that sends no email says so instead.
 */
export function EmailCard() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const settings = useEmailSettings();
  // Kept here: the form is made anew once saved, and "Saved" stays.
  const save = useMutation({
    mutationFn: (update: EmailSettingsUpdate) => api.setEmailSettings(update),
    onSuccess: (saved) => qc.setQueryData(keys.emailSettings, saved),
  });
  // A notify service older than email: no card.
  if (isApiError(settings.error) && settings.error.status === 404) return null;
  const saved = settings.data;
  const off = saved !== undefined && !saved.available;
  return (
    <Card title={t('email.title')} testId="email-settings" className={off ? 'card-off' : undefined}>
      {saved ? (
        off ? (
          <p className="muted email-status" role="status" data-testid="email-unavailable">
            <Icon name="alert" size={16} /> {t('email.unavailable')}
          </p>
        ) : (
          <>
            <p className="muted small">{t('email.hint')}</p>
            {/* A new form for each saved state: it starts from what is saved. */}
            <EmailFormView key={JSON.stringify(saved)} saved={saved} save={save} />
          </>
        )
      ) : settings.isPending ? (
        <Spinner />
      ) : (
        <ErrorNote error={settings.error} onRetry={() => void settings.refetch()} />
      )}
    </Card>
  );
}

function EmailFormView({ saved, save }: { saved: EmailSettings; save: Save }) {
  const { t } = useI18n();
  const [form, setForm] = useState<EmailForm>(() => emailForm(saved, localTimeZone()));
  const set = (change: Partial<EmailForm>) => setForm((f) => ({ ...f, ...change }));
  const error = save.error;
  const elsewhere = error && !EMAIL_FIELDS.some((f) => fieldError(error, f)) ? error : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(emailUpdate(form));
  };
  return (
    // The server checks the address (and says why at the field), not the browser.
    <form className="stack" onSubmit={submit} noValidate data-testid="email-form">
      <Field label={t('email.address')} error={fieldError(error, 'address')}>
        {(p) => (
          <input
            {...p}
            type="email"
            autoComplete="email"
            placeholder="name@example.com"
            value={form.address}
            onChange={(e) => set({ address: e.target.value })}
            data-testid="email-address"
          />
        )}
      </Field>
      <AddressStatus state={addressState(saved, form.address)} />
      <Field label={t('email.unreadAfter')} error={fieldError(error, 'unread_after_minutes')}>
        {(p) => (
          <select {...p} value={form.unreadAfter} onChange={(e) => set({ unreadAfter: Number(e.target.value) })} data-testid="email-unread-after">
            {delayChoices(saved.unread_after_minutes).map((m) => (
              <option key={m} value={m}>
                {delayLabel(m, t)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <label className="switch-row">
        <input type="checkbox" checked={form.digest} onChange={(e) => set({ digest: e.target.checked })} data-testid="email-digest-on" />
        <span>{t('email.digest')}</span>
      </label>
      <div className="quiet-fields">
        <Field label={t('email.digestAt')} error={fieldError(error, 'digest_at')}>
          {(p) => (
            <input {...p} type="time" value={form.digestAt} disabled={!form.digest} onChange={(e) => set({ digestAt: e.target.value })} data-testid="email-digest-at" />
          )}
        </Field>
        <Field label={t('email.timeZone')} error={fieldError(error, 'time_zone')}>
          {(p) => (
            <select {...p} value={form.timeZone} disabled={!form.digest} onChange={(e) => set({ timeZone: e.target.value })} data-testid="email-zone">
              {timeZones(form.timeZone).map((z) => (
                <option key={z} value={z}>
                  {zoneLabel(z)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="submit" className="button primary" disabled={save.isPending} data-testid="email-save">
          {t('email.save')}
        </button>
        {saved.address ? (
          <button type="button" className="button ghost danger-text" disabled={save.isPending} onClick={() => save.mutate({})} data-testid="email-remove">
            {t('email.remove')}
          </button>
        ) : null}
        <SavedNote shown={save.isSuccess} />
      </div>
    </form>
  );
}

/** Under the address: confirmed, or waiting for its link (with "send it again"), or what saving does. */
function AddressStatus({ state }: { state: ReturnType<typeof addressState> }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const errorText = useErrorText();
  const resend = useMutation({
    mutationFn: api.resendEmailConfirmation,
    onError: (e) => {
      // Confirmed (or removed) meanwhile, from another tab or device.
      if (isApiError(e) && e.code === 'nothing_to_verify') void qc.invalidateQueries({ queryKey: keys.emailSettings });
    },
  });
  switch (state) {
    case 'none':
      return null;
    case 'new':
      return <p className="muted small" data-testid="email-status">{t('email.willConfirm')}</p>;
    case 'confirmed':
      return (
        <p className="success email-status" role="status" data-testid="email-status" data-state="confirmed">
          <Icon name="check" size={16} /> {t('email.confirmed')}
        </p>
      );
    case 'waiting':
      return (
        <div className="stack email-waiting">
          <p className="email-status" role="status" data-testid="email-status" data-state="waiting">
            <Icon name="clock" size={16} /> {t('email.waiting')}
          </p>
          <div className="row">
            <button type="button" className="button small" disabled={resend.isPending} onClick={() => resend.mutate()} data-testid="email-resend">
              {t('email.resend')}
            </button>
            {resend.isSuccess ? (
              <span className="success" role="status" data-testid="email-resent">
                <Icon name="check" size={16} /> {t('email.resent')}
              </span>
            ) : null}
          </div>
          {resend.error ? (
            <p className="error-note" role="alert" data-testid="email-resend-error">
              <Icon name="alert" size={16} /> {resendErrorText(resend.error, t, errorText)}
            </p>
          ) : null}
        </div>
      );
  }
}
