import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import type { NewCampaign } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { ErrorNote, Field, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { DEFAULT_LINK_TEXT, MODES, newCampaign, type CampaignForm as Form } from './automation';
import { itemsOf, storeItem } from './lists';
import { GroupOptions } from './parts';
import { useAccounts, useAudiences } from './queries';

const FIELDS = ['name', 'audience_id', 'target_chat_id', 'account_ids', 'mode', 'link_text', 'pause_min_secs', 'pause_max_secs'] as const;

/**
 * Starts an invite campaign: a name, the audience, the group or channel, the accounts that act
 * (each must be in that chat: the server says which is not, at the accounts), the mode, the
 * link's message, and optionally a longer pause than the server's. It opens the new campaign.
 */
export function CampaignForm() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const accounts = itemsOf(useAccounts().data);
  const audiences = itemsOf(useAudiences().data);
  const [form, setForm] = useState<Form>({ name: '', audienceId: '', chatId: '', accountIds: [], mode: 'invite', linkText: DEFAULT_LINK_TEXT, pauseMin: '', pauseMax: '' });
  const start = useMutation({
    mutationFn: (req: NewCampaign) => api.startCampaign(req),
    onSuccess: (c) => {
      storeItem(qc, keys.campaigns, c, 'first');
      qc.setQueryData(keys.campaign(c.id), c);
      navigate(`/automation/campaigns/${c.id}`);
    },
  });
  const error = start.error;
  const elsewhere = error && !FIELDS.some((f) => fieldError(error, f)) ? error : null;
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));
  const toggle = (id: number, on: boolean) => set({ accountIds: on ? [...form.accountIds, id] : form.accountIds.filter((x) => x !== id) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate(newCampaign(form));
  };
  const ready = form.name.trim() && form.audienceId && form.chatId && form.accountIds.length > 0;
  const accountsError = fieldError(error, 'account_ids');
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="campaign-form">
      <Field label={t('automation.campaignName')} error={fieldError(error, 'name')}>
        {(p) => <input {...p} autoComplete="off" maxLength={64} value={form.name} onChange={(e) => set({ name: e.target.value })} data-testid="campaign-name-input" />}
      </Field>
      <Field label={t('automation.audience')} error={fieldError(error, 'audience_id')}>
        {(p) => (
          <select {...p} value={form.audienceId} onChange={(e) => set({ audienceId: e.target.value })} data-testid="campaign-audience">
            <option value="">{t('automation.pickAudience')}</option>
            {audiences.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({t('automation.people', { count: a.size })})
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('automation.targetChat')} error={fieldError(error, 'target_chat_id')} hint={t('automation.targetChatHint')}>
        {(p) => (
          <select {...p} value={form.chatId} onChange={(e) => set({ chatId: e.target.value })} data-testid="campaign-chat">
            <option value="">{t('automation.pickChat')}</option>
            <GroupOptions />
          </select>
        )}
      </Field>
      <fieldset className="auto-choices" aria-describedby={accountsError ? 'campaign-accounts-error' : undefined} data-testid="campaign-accounts">
        <legend>{t('automation.actingAccounts')}</legend>
        {accounts.length === 0 ? <p className="muted small">{t('automation.needAccount')}</p> : null}
        {accounts.map((a) => (
          <label key={a.id} className="auto-choice">
            <input type="checkbox" checked={form.accountIds.includes(a.id)} onChange={(e) => toggle(a.id, e.target.checked)} data-testid="campaign-account" data-id={a.id} />
            <span>
              {a.name} <span className="muted small">@{a.actor_name}</span>
            </span>
          </label>
        ))}
        {accountsError ? <AccountsError error={accountsError} /> : null}
      </fieldset>
      <fieldset className="auto-choices">
        <legend>{t('automation.mode')}</legend>
        {MODES.map((m) => (
          <label key={m} className="auto-choice">
            <input type="radio" name="campaign-mode" value={m} checked={form.mode === m} onChange={() => set({ mode: m })} data-testid={`campaign-mode-${m}`} />
            <span className="person-text">
              <span>{t(`automation.mode.${m}`)}</span>
              <span className="muted small">{t(`automation.modeHint.${m}`)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {form.mode !== 'invite' ? (
        <Field label={t('automation.linkText')} error={fieldError(error, 'link_text')} hint={t('automation.linkTextHint')}>
          {(p) => <textarea {...p} rows={2} maxLength={1000} value={form.linkText} onChange={(e) => set({ linkText: e.target.value })} data-testid="campaign-link-text" />}
        </Field>
      ) : null}
      <details className="webhook-help small" open={Boolean(fieldError(error, 'pause_min_secs') || fieldError(error, 'pause_max_secs'))}>
        <summary>{t('automation.pace')}</summary>
        <p>{t('automation.paceHint')}</p>
        <div className="row auto-pace">
          <Field label={t('automation.pauseMin')} error={fieldError(error, 'pause_min_secs')}>
            {(p) => <input {...p} inputMode="numeric" value={form.pauseMin} onChange={(e) => set({ pauseMin: e.target.value })} data-testid="campaign-pause-min" />}
          </Field>
          <Field label={t('automation.pauseMax')} error={fieldError(error, 'pause_max_secs')}>
            {(p) => <input {...p} inputMode="numeric" value={form.pauseMax} onChange={(e) => set({ pauseMax: e.target.value })} data-testid="campaign-pause-max" />}
          </Field>
        </div>
      </details>
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="submit" className="button primary" disabled={start.isPending || !ready} data-testid="campaign-submit">
          <Icon name="play" size={16} /> {t('automation.campaignStart')}
        </button>
      </div>
    </form>
  );
}

/** The server's word on the accounts (one not in the chat, say), under the checkboxes. */
function AccountsError({ error }: { error: unknown }) {
  return (
    <div id="campaign-accounts-error">
      <ErrorNote error={error} />
    </div>
  );
}
