import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import type { ContentSettings, ContentSettingsChange } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Field, SavedNote, Spinner, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { PROVIDERS, settingsChange, settingsForm, settingsInvalid, type SettingsForm } from './content';
import { useContentSettings } from './queries';

const FIELDS = ['base_url', 'api_key', 'model', 'summary_prompt', 'post_prompt', 'price_in', 'price_out', 'requests_per_minute'] as const;

/**
 * The AI provider that summarises blocks and writes posts (any OpenAI-compatible API), and its
 * prompts. The key is write-only: the page only ever learns whether one is set.
 */
export function ContentSettingsCard() {
  const { t } = useI18n();
  const settings = useContentSettings();
  return (
    <Card title={t('content.settings')} className="auto-card" testId="content-settings">
      <p className="muted small">{t('content.settingsHint')}</p>
      {settings.data ? (
        <SettingsFormView saved={settings.data} />
      ) : settings.isPending ? (
        <Spinner label={t('common.loading')} />
      ) : (
        <ErrorNote error={settings.error} onRetry={() => void settings.refetch()} />
      )}
    </Card>
  );
}

function SettingsFormView({ saved }: { saved: ContentSettings }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [form, setForm] = useState<SettingsForm>(() => settingsForm(saved));
  const [done, setDone] = useState(false);
  const stored = (now: ContentSettings) => {
    qc.setQueryData(keys.contentSettings, now);
    // The model and prices are what an estimate is made of.
    void qc.invalidateQueries({ queryKey: keys.contentEstimates });
  };
  const save = useMutation({
    mutationFn: (change: ContentSettingsChange) => api.changeContentSettings(change),
    onSuccess: (now) => {
      stored(now);
      setForm((f) => ({ ...f, apiKey: '' }));
      setDone(true);
    },
  });
  const removeKey = useMutation({ mutationFn: () => api.changeContentSettings({ api_key: '' }), onSuccess: stored });
  const set = (patch: Partial<SettingsForm>) => {
    setDone(false);
    setForm((f) => ({ ...f, ...patch }));
  };
  const invalid = settingsInvalid(form);
  const notNumber = (field: (typeof invalid)[number]) => (invalid.includes(field) ? new Error(t('content.notNumber')) : null);
  const error = save.error;
  const at = (field: (typeof FIELDS)[number]) => fieldError(error, field);
  const elsewhere = error && !FIELDS.some((f) => at(f)) ? error : null;
  const change = settingsChange(form, saved);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (invalid.length === 0) save.mutate(change);
  };
  const offline = !form.model.trim();
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="content-settings-form">
      <Field label={t('content.baseUrl')} error={at('base_url')} hint={t('content.baseUrlHint')}>
        {(p) => <input {...p} type="url" inputMode="url" autoComplete="off" spellCheck={false} value={form.baseUrl} onChange={(e) => set({ baseUrl: e.target.value })} data-testid="settings-base-url" />}
      </Field>
      <div className="row auto-actions" role="group" aria-label={t('content.presets')}>
        {PROVIDERS.map((p) => (
          <button
            key={p.id}
            type="button"
            className={`button small${form.baseUrl.trim() === p.url ? ' primary' : ''}`}
            aria-pressed={form.baseUrl.trim() === p.url}
            title={p.url}
            onClick={() => set({ baseUrl: p.url })}
            data-testid={`settings-preset-${p.id}`}
          >
            {p.id === 'local' ? t('content.presetLocal') : p.name}
          </button>
        ))}
      </div>
      <div className="stack content-key">
        <p className="small auto-meta">
          <span>{t('content.apiKey')}:</span>
          <span className={`job-state auto-state ${saved.has_api_key ? 'state-active' : ''}`} data-set={saved.has_api_key} data-testid="settings-key-state">
            {t(saved.has_api_key ? 'content.keySet' : 'content.noKey')}
          </span>
        </p>
        <Field label={t(saved.has_api_key ? 'content.newApiKey' : 'content.apiKey')} error={at('api_key') ?? fieldError(removeKey.error, 'api_key')} hint={t('content.apiKeyHint')}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="new-password"
              spellCheck={false}
              value={form.apiKey}
              onChange={(e) => set({ apiKey: e.target.value })}
              data-testid="settings-api-key"
            />
          )}
        </Field>
        {saved.has_api_key ? (
          <div className="row">
            <button type="button" className="button small ghost danger-text" onClick={() => removeKey.mutate()} disabled={removeKey.isPending || save.isPending} data-testid="settings-key-remove">
              <Icon name="trash" size={14} /> {t('content.removeKey')}
            </button>
          </div>
        ) : null}
        <ErrorNote error={removeKey.error && !fieldError(removeKey.error, 'api_key') ? removeKey.error : null} />
      </div>
      <Field label={t('content.model')} error={at('model')} hint={t('content.modelHint')}>
        {(p) => <input {...p} autoComplete="off" spellCheck={false} placeholder="gpt-4o-mini" value={form.model} onChange={(e) => set({ model: e.target.value })} data-testid="settings-model" />}
      </Field>
      {offline ? (
        <p className="small auto-report" data-testid="settings-offline">
          {t('content.offlineNote')}
        </p>
      ) : null}
      <Field label={t('content.summaryPrompt')} error={at('summary_prompt')} hint={t('content.summaryPromptHint')}>
        {(p) => <textarea {...p} rows={5} value={form.summaryPrompt} onChange={(e) => set({ summaryPrompt: e.target.value })} data-testid="settings-summary-prompt" />}
      </Field>
      <Field label={t('content.postPrompt')} error={at('post_prompt')} hint={t('content.postPromptHint')}>
        {(p) => <textarea {...p} rows={5} value={form.postPrompt} onChange={(e) => set({ postPrompt: e.target.value })} data-testid="settings-post-prompt" />}
      </Field>
      <div className="row auto-pace">
        <Field label={t('content.priceIn')} error={at('price_in') ?? notNumber('price_in')}>
          {(p) => <input {...p} inputMode="decimal" value={form.priceIn} onChange={(e) => set({ priceIn: e.target.value })} data-testid="settings-price-in" />}
        </Field>
        <Field label={t('content.priceOut')} error={at('price_out') ?? notNumber('price_out')}>
          {(p) => <input {...p} inputMode="decimal" value={form.priceOut} onChange={(e) => set({ priceOut: e.target.value })} data-testid="settings-price-out" />}
        </Field>
      </div>
      <p className="muted small">{t('content.pricesHint')}</p>
      <Field label={t('content.rpm')} error={at('requests_per_minute') ?? notNumber('requests_per_minute')} hint={t('content.rpmHint')}>
        {(p) => <input {...p} inputMode="numeric" value={form.rpm} onChange={(e) => set({ rpm: e.target.value })} data-testid="settings-rpm" />}
      </Field>
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="submit" className="button primary" disabled={save.isPending || invalid.length > 0 || Object.keys(change).length === 0} data-testid="settings-save">
          {t('common.save')}
        </button>
        <SavedNote shown={done && !save.isPending} />
      </div>
    </form>
  );
}
