import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { AutomationAccount } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { ErrorNote, Field, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { CONNECT_KINDS, connectAgent, type ConnectForm as Form } from './automation';
import { storeItem } from './lists';
import { TelegramConnect } from './TelegramConnect';

const EMPTY: Form = { connector: 'hybrid', name: '', username: '', password: '', totp: '', botToken: '', endpoint: '', dailyLimit: '' };

/** An error about whom the agent is: a refused sign-in, or a token the service would not take. */
function credentialsError(e: unknown): unknown {
  return isApiError(e) && (e.code === 'invalid_credentials' || e.field === 'token') ? e : null;
}

/**
 * Connects a user of this server as an account: signs them in here (a new session of theirs,
 * not this tab's), asks for their two-step code when the server wants it, and gives the
 * session's token to the service. Errors are said at the field they concern. A bot is connected
 * with its token; a Telegram user account by QR code (`TelegramConnect`).
 */
export function ConnectForm() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [form, setForm] = useState<Form>(EMPTY);
  // A Telegram user account (QR code) rather than `form.connector`; its sign-in under way.
  const [telegramUser, setTelegramUser] = useState(false);
  const [signingIn, setSigningIn] = useState(false);
  // The server asked for the two-step code: the field shows, and is sent from then on.
  const [needCode, setNeedCode] = useState(false);
  const connect = useMutation({
    mutationFn: (f: Form) => connectAgent(f, needCode, (req) => api.connectAccount(req)),
    onSuccess: (account: AutomationAccount) => {
      storeItem(qc, keys.automationAccounts, account, 'last');
      setForm(EMPTY);
      setNeedCode(false);
    },
    onError: (e) => {
      if (isApiError(e) && e.code === 'totp_required') setNeedCode(true);
    },
  });
  // "Enter the code" is what the field says, not an error.
  const error = isApiError(connect.error) && connect.error.code === 'totp_required' ? null : connect.error;
  const codeError = isApiError(error) && error.code === 'invalid_totp' ? error : null;
  const bot = form.connector === 'telegram_bot';
  const atUser = bot ? null : credentialsError(error);
  const atToken = bot ? fieldError(error, 'token') : null;
  const atEndpoint = fieldError(error, 'endpoint');
  const atName = fieldError(error, 'name');
  const atLimit = fieldError(error, 'daily_limit');
  const elsewhere = error && !atUser && !atToken && !atEndpoint && !atName && !atLimit && !codeError ? error : null;
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    connect.mutate(form);
  };
  const ready = form.name.trim() && (bot ? form.botToken.trim() : form.username.trim() && form.password && (!needCode || form.totp.trim()));
  const kind = telegramUser ? 'telegram_user' : form.connector;
  const choices = (
    <fieldset className="auto-choices" disabled={signingIn}>
      <legend>{t('automation.connectorKind')}</legend>
      {CONNECT_KINDS.map((c) => (
        <label key={c} className="auto-choice">
          <input
            type="radio"
            name="connector"
            value={c}
            checked={kind === c}
            onChange={() => {
              setTelegramUser(c === 'telegram_user');
              if (c !== 'telegram_user') set({ connector: c });
            }}
            data-testid={`connect-kind-${c}`}
          />
          <span>{t(`automation.connector.${c}`)}</span>
        </label>
      ))}
    </fieldset>
  );
  return (
    <div className="stack" data-testid="connect-form">
      {choices}
      {telegramUser ? (
        <TelegramConnect onSigningIn={setSigningIn} />
      ) : (
        <form className="stack" onSubmit={submit} noValidate data-testid="connect-account-form">
          <p className="muted small">{t(bot ? 'automation.connectBotHint' : 'automation.connectHint')}</p>
          <Field label={t('automation.accountName')} error={atName} hint={t('automation.accountNameHint')}>
            {(p) => <input {...p} autoComplete="off" maxLength={64} value={form.name} onChange={(e) => set({ name: e.target.value })} data-testid="connect-name" />}
          </Field>
          {bot ? (
            <>
              <Field label={t('automation.botToken')} error={atToken} hint={t('automation.botTokenHint')}>
                {(p) => <input {...p} type="password" autoComplete="off" spellCheck={false} value={form.botToken} onChange={(e) => set({ botToken: e.target.value })} data-testid="connect-bot-token" />}
              </Field>
              <Field label={t('automation.botEndpoint')} error={atEndpoint} hint={t('automation.botEndpointHint')}>
                {(p) => <input {...p} type="url" autoComplete="off" spellCheck={false} placeholder="https://api.telegram.org" value={form.endpoint} onChange={(e) => set({ endpoint: e.target.value })} data-testid="connect-endpoint" />}
              </Field>
            </>
          ) : (
            <>
              <Field label={t('automation.agentUsername')} error={atUser}>
                {(p) => (
                  <input
                    {...p}
                    autoComplete="off"
                    autoCapitalize="none"
                    spellCheck={false}
                    value={form.username}
                    onChange={(e) => set({ username: e.target.value })}
                    data-testid="connect-username"
                  />
                )}
              </Field>
              <Field label={t('automation.agentPassword')}>
                {/* new-password: the browser must not fill in the signed-in user's own password */}
                {(p) => <input {...p} type="password" autoComplete="new-password" value={form.password} onChange={(e) => set({ password: e.target.value })} data-testid="connect-password" />}
              </Field>
              {needCode ? (
                <Field label={t('automation.agentCode')} error={codeError} hint={t('auth.twoFactorHint')}>
                  {(p) => (
                    <input
                      {...p}
                      inputMode="numeric"
                      autoComplete="one-time-code"
                      maxLength={8}
                      autoFocus
                      value={form.totp}
                      onChange={(e) => set({ totp: e.target.value })}
                      data-testid="connect-code"
                    />
                  )}
                </Field>
              ) : null}
            </>
          )}
          <Field label={t('automation.dailyLimit')} error={atLimit} hint={t('automation.dailyLimitHint')}>
            {(p) => <input {...p} inputMode="numeric" placeholder="200" value={form.dailyLimit} onChange={(e) => set({ dailyLimit: e.target.value })} data-testid="connect-limit" />}
          </Field>
          <p className="muted small" data-testid="connect-session-hint">
            <Icon name="shield" size={14} /> {t(bot ? 'automation.botSecretHint' : 'automation.sessionHint')}
          </p>
          <ErrorNote error={elsewhere} />
          <div className="row">
            <button type="submit" className="button primary" disabled={connect.isPending || !ready} data-testid="connect-submit">
              <Icon name="plus" size={16} /> {t('automation.connectButton')}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
