import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { AutomationAccount, TelegramLogin } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { ErrorNote, Field, Spinner, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { LOGIN_STATES, known, newTelegramLogin } from './automation';
import { isAbsent, storeItem } from './lists';
import { QrCode } from './QrCode';
import { loginStopped, useTelegramLogin } from './queries';

/**
 * Connects a Telegram user account (connector `telegram_user`) by QR code: the name and daily
 * limit, then Start makes a sign-in on the server (`POST /automation/logins`), whose QR code the
 * account's phone scans; a two-step password is asked for when the account has one. Once it is
 * done the account is in the list and the form is empty again. `onSigningIn` hears whether a
 * sign-in is under way (the form's other kinds wait meanwhile).
 */
export function TelegramConnect({ onSigningIn }: { onSigningIn: (running: boolean) => void }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [limit, setLimit] = useState('');
  const [loginId, setLoginId] = useState<number | null>(null);
  // The name of the account the last sign-in connected, said until the next one starts.
  const [connected, setConnected] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: () => api.startTelegramLogin(newTelegramLogin(name, limit)),
    onSuccess: (login: TelegramLogin) => {
      // "Start again": the ended sign-in is not shown any more.
      if (loginId !== null) qc.removeQueries({ queryKey: keys.telegramLogin(loginId) });
      qc.setQueryData(keys.telegramLogin(login.id), login);
      setLoginId(login.id);
      onSigningIn(true);
      setConnected(null);
    },
  });
  const close = (account?: AutomationAccount) => {
    if (loginId !== null) qc.removeQueries({ queryKey: keys.telegramLogin(loginId) });
    setLoginId(null);
    onSigningIn(false);
    start.reset();
    if (account) {
      setConnected(account.name);
      setName('');
      setLimit('');
    }
  };
  if (loginId !== null) {
    return <LoginPanel key={loginId} id={loginId} onClose={close} onRestart={() => start.mutate()} restarting={start.isPending} restartError={start.error} />;
  }

  const error = start.error;
  const unavailable = isApiError(error) && error.code === 'unavailable' ? error : null;
  const atName = fieldError(error, 'name');
  const atLimit = fieldError(error, 'daily_limit');
  const elsewhere = error && !unavailable && !atName && !atLimit ? error : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate();
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="tg-start-form">
      <p className="muted small">{t('automation.connectTgHint')}</p>
      {connected ? (
        <p className="success" role="status" data-testid="tg-connected">
          <Icon name="check" size={16} /> {t('automation.tgConnected', { name: connected })}
        </p>
      ) : null}
      <Field label={t('automation.accountName')} error={atName} hint={t('automation.accountNameHint')}>
        {(p) => <input {...p} autoComplete="off" maxLength={64} value={name} onChange={(e) => setName(e.target.value)} data-testid="connect-name" />}
      </Field>
      <Field label={t('automation.dailyLimit')} error={atLimit} hint={t('automation.dailyLimitHint')}>
        {(p) => <input {...p} inputMode="numeric" placeholder="200" value={limit} onChange={(e) => setLimit(e.target.value)} data-testid="connect-limit" />}
      </Field>
      <p className="muted small" data-testid="connect-session-hint">
        <Icon name="shield" size={14} /> {t('automation.tgSessionHint')}
      </p>
      {unavailable ? <Unavailable message={unavailable.message} /> : null}
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="submit" className="button primary" disabled={start.isPending || !name.trim()} data-testid="tg-start">
          {t('automation.tgStart')}
        </button>
      </div>
    </form>
  );
}

/** The server cannot sign Telegram accounts in (no API credentials, or Telegram out of reach): its own words. */
function Unavailable({ message }: { message: string }) {
  const { t } = useI18n();
  return (
    <p className="error-note" role="alert" data-testid="tg-unavailable">
      <Icon name="alert" size={16} />
      <span>
        {t('automation.tgUnavailable')} <span className="tg-server-message">{message}</span>
      </span>
    </p>
  );
}

/**
 * A sign-in under way: the QR code while it waits (a new one drawn whenever the server has a
 * new one), the password when asked for, what happened when it ended; Cancel ends it on the
 * server. Done: the account goes into the list, the list is read again, and `onClose(account)`.
 */
function LoginPanel({
  id,
  onClose,
  onRestart,
  restarting,
  restartError,
}: {
  id: number;
  onClose: (account?: AutomationAccount) => void;
  onRestart: () => void;
  restarting: boolean;
  restartError: unknown;
}) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const login = useTelegramLogin(id);
  const data = login.data;
  const gone = isAbsent(login.error);
  const state = gone ? 'expired' : known(LOGIN_STATES, data?.state);
  const cancel = useMutation({
    mutationFn: () => api.cancelTelegramLogin(id),
    onSuccess: () => onClose(),
    onError: (e) => {
      if (isAbsent(e)) onClose();
    },
  });

  // Done, once: the list has the account (and is read again), and the panel closes.
  const finished = useRef(false);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  const account = state === 'done' ? (data?.account ?? null) : null;
  useEffect(() => {
    if (state !== 'done' || finished.current) return;
    finished.current = true;
    if (account) storeItem(qc, keys.automationAccounts, account, 'last');
    void qc.invalidateQueries({ queryKey: keys.automationAccounts });
    closeRef.current(account ?? undefined);
  }, [state, account, qc]);

  const ended = state === 'expired' || state === 'failed' || Boolean(data && !state);
  // A poll answered that this server cannot sign Telegram accounts in at all: no more polls (see
  // `useTelegramLogin`), its words instead of the code, and "Start again" for when it can.
  const unavailable = isApiError(login.error) && login.error.code === 'unavailable' ? login.error : null;
  return (
    <div className="stack tg-login" data-testid="tg-login" data-state={gone ? 'expired' : (data?.state ?? '')}>
      {data?.name ? (
        <p className="tg-login-name" data-testid="tg-login-name">
          {t('automation.tgSigningIn', { name: data.name })}
        </p>
      ) : null}
      {state === 'waiting' && !unavailable ? <Waiting login={data as TelegramLogin} /> : null}
      {state === 'password_needed' ? <PasswordStep id={id} hint={data?.password_hint ?? ''} /> : null}
      {state === 'done' || (!data && !gone) ? <Spinner /> : null}
      {ended ? (
        <p className="error-note" role="alert" data-testid="tg-ended">
          <Icon name="alert" size={16} />
          <span>
            {state === 'expired' ? t('automation.tgExpired') : t('automation.tgFailed')}
            {state !== 'expired' && data?.error ? (
              <>
                {' '}
                <span className="tg-server-message" data-testid="tg-error">
                  {data.error}
                </span>
              </>
            ) : null}
          </span>
        </p>
      ) : null}
      {unavailable ? <Unavailable message={unavailable.message} /> : null}
      {/* Any other failed poll: said while the next one tries again. */}
      {login.error && !loginStopped(login.error) && !ended ? <ErrorNote error={login.error} /> : null}
      {isApiError(restartError) && restartError.code === 'unavailable' ? <Unavailable message={restartError.message} /> : <ErrorNote error={restartError} />}
      <ErrorNote error={cancel.error && !isAbsent(cancel.error) ? cancel.error : null} />
      <div className="row">
        {ended || unavailable ? (
          <button type="button" className="button primary" onClick={onRestart} disabled={restarting || cancel.isPending} data-testid="tg-restart">
            <Icon name="refresh" size={16} /> {t('automation.tgStartAgain')}
          </button>
        ) : null}
        <button type="button" className="button ghost" onClick={() => cancel.mutate()} disabled={cancel.isPending || state === 'done'} data-testid="tg-cancel">
          {t('common.cancel')}
        </button>
      </div>
    </div>
  );
}

/**
 * The QR code of the sign-in and how to scan it; "Preparing the code…" until Telegram has given
 * the first one, and a notice (polling goes on) when Telegram did not answer the last call.
 */
function Waiting({ login }: { login: TelegramLogin }) {
  const { t } = useI18n();
  return (
    <>
      <p data-testid="tg-instructions">{t('automation.tgScan')}</p>
      <div className="tg-qr">
        {login.qr_url ? (
          <QrCode text={login.qr_url} label={t('automation.tgQr')} testId="tg-qr" />
        ) : (
          <p className="muted tg-preparing" data-testid="tg-preparing">
            <Spinner /> {t('automation.tgPreparing')}
          </p>
        )}
      </div>
      {login.unreachable ? (
        <p className="tg-unreachable small" role="status" data-testid="tg-unreachable">
          <Icon name="clock" size={14} /> <span className="tg-server-message">{t('automation.tgUnreachable', { text: login.unreachable })}</span>
        </p>
      ) : null}
      <p className="muted small" role="status">
        {t('automation.tgQrRenews')}
      </p>
    </>
  );
}

/** The account's two-step password; a wrong one is said under the field and the step stays. */
function PasswordStep({ id, hint }: { id: number; hint: string }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [password, setPassword] = useState('');
  const send = useMutation({
    mutationFn: () => api.telegramLoginPassword(id, password),
    onSuccess: (login: TelegramLogin) => {
      setPassword('');
      qc.setQueryData(keys.telegramLogin(id), login);
    },
    onError: (e) => {
      // Gone meanwhile, or no longer asking for a password (409 `wrong_state`): the sign-in is
      // read again and says where it is.
      if (isAbsent(e) || (isApiError(e) && e.code === 'wrong_state')) void qc.invalidateQueries({ queryKey: keys.telegramLogin(id) });
    },
  });
  const error = send.error;
  // Telegram refused the password: said in words of its own rather than "these credentials".
  const wrong = isApiError(error) && error.code === 'bad_credentials' ? new Error(t('automation.tgWrongPassword')) : null;
  const atPassword = wrong ?? fieldError(error, 'password');
  const elsewhere = error && !atPassword && !isAbsent(error) ? error : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password) send.mutate();
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="tg-password-form">
      <p>{t('automation.tgPasswordNeeded')}</p>
      {hint ? (
        <p className="muted small tg-hint" data-testid="tg-password-hint">
          {t('automation.tgPasswordHint', { hint })}
        </p>
      ) : null}
      <Field label={t('automation.tgPassword')} error={atPassword}>
        {(p) => <input {...p} type="password" autoComplete="off" autoFocus value={password} onChange={(e) => setPassword(e.target.value)} data-testid="tg-password" />}
      </Field>
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="submit" className="button primary" disabled={send.isPending || !password} data-testid="tg-sign-in">
          {t('automation.tgSignIn')}
        </button>
      </div>
    </form>
  );
}
