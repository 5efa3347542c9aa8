import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent, type InputHTMLAttributes } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { TokenResponse } from '../../api/types';
import { session } from './session';
import { ErrorNote, Field, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { useI18n } from '../../i18n/index';
import { Preferences } from '../settings/Preferences';

/** "Chrome on Linux": the name of this device in the session list. */
export function deviceName(ua: string = navigator.userAgent): string {
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'Browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} · ${os}` : browser;
}

function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/**
 * The sign-in round trip both forms share, as a mutation: `run` keeps the tokens and goes on
 * to `next`; `onError` may look at the error first (say, to ask for a 2FA code).
 */
function useAuthSubmit() {
  const navigate = useNavigate();
  const next = useNext();
  const mutation = useMutation({
    mutationFn: (request: () => Promise<TokenResponse>) => request(),
    onSuccess: (tokens) => {
      session.accept(tokens);
      navigate(next, { replace: true });
    },
  });

  function run(request: () => Promise<TokenResponse>, onError?: (err: unknown) => void) {
    mutation.mutate(request, { onError });
  }

  return { next, busy: mutation.isPending, error: mutation.error as unknown, reset: mutation.reset, run };
}

type AuthFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'> & {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: unknown;
  hint?: string;
};

/** A required box of the sign-in and sign-up forms; the rest of its props go to the input. */
function AuthField({ label, value, onChange, error, hint, ...input }: AuthFieldProps) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(p) => <input {...p} {...input} required value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

function UsernameField(props: Omit<AuthFieldProps, 'label'>) {
  const { t } = useI18n();
  return <AuthField label={t('auth.username')} name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} {...props} />;
}

function PasswordField(props: Omit<AuthFieldProps, 'type'>) {
  return <AuthField type="password" {...props} />;
}

/** "No account? Register": the way to the other form, keeping where to go afterwards. */
function AuthSwitch({ prompt, to, label, next }: { prompt: string; to: string; label: string; next: string }) {
  return (
    <p className="auth-switch">
      {prompt} <Link to={`${to}${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>{label}</Link>
    </p>
  );
}

function AuthLayout({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="auth-brand">
          <span className="brand-mark" aria-hidden="true">
            H
          </span>
          <span>Hybrid</span>
        </div>
        <h1>{title}</h1>
        {children}
      </div>
      <div className="auth-prefs">
        <Preferences compact />
      </div>
    </main>
  );
}

export function LoginPage() {
  const { t } = useI18n();
  const { next, busy, error: rawError, reset, run } = useAuthSubmit();
  // "Enter the code" is a step of the form, not an error to show.
  const error = isApiError(rawError) && rawError.code === 'totp_required' ? null : rawError;
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needCode, setNeedCode] = useState(false);

  function submit(e: FormEvent) {
    e.preventDefault();
    void run(
      () =>
        api.login({
          username: username.trim(),
          password,
          device_name: deviceName(),
          ...(needCode ? { totp_code: code.replace(/\s/g, '') } : {}),
        }),
      (err) => {
        if (isApiError(err) && err.code === 'totp_required') setNeedCode(true);
      },
    );
  }

  return (
    <AuthLayout title={needCode ? t('auth.twoFactorTitle') : t('auth.loginTitle')}>
      <form onSubmit={submit} noValidate className="stack">
        {!needCode ? (
          <>
            <UsernameField value={username} onChange={setUsername} autoFocus />
            <PasswordField label={t('auth.password')} name="password" autoComplete="current-password" value={password} onChange={setPassword} />
          </>
        ) : (
          <>
            <p className="muted">{t('auth.twoFactorHint')}</p>
            <Field label={t('auth.code')} error={isApiError(error) && error.code === 'invalid_totp' ? error : null}>
              {(p) => (
                <input
                  {...p}
                  name="totp"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="[0-9 ]*"
                  maxLength={8}
                  autoFocus
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
              )}
            </Field>
          </>
        )}
        {!(isApiError(error) && error.code === 'invalid_totp') ? <ErrorNote error={error} /> : null}
        <button type="submit" className="button primary" disabled={busy || !username || !password}>
          {busy ? t('common.wait') : needCode ? t('auth.verify') : t('auth.login')}
        </button>
        {needCode ? (
          <button
            type="button"
            className="button ghost"
            onClick={() => {
              setNeedCode(false);
              setCode('');
              reset();
            }}
          >
            <Icon name="back" size={16} /> {t('common.back')}
          </button>
        ) : (
          <AuthSwitch prompt={t('auth.noAccount')} to="/register" label={t('auth.register')} next={next} />
        )}
      </form>
    </AuthLayout>
  );
}

export function RegisterPage() {
  const { t } = useI18n();
  const { next, busy, error, run } = useAuthSubmit();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [invite, setInvite] = useState('');
  const [showInvite, setShowInvite] = useState(false);
  const mismatch = confirm.length > 0 && confirm !== password;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (mismatch) return;
    void run(
      () =>
        api.register({
          username: username.trim(),
          password,
          device_name: deviceName(),
          ...(invite.trim() ? { invite_code: invite.trim() } : {}),
        }),
      (err) => {
        if (isApiError(err) && (err.code === 'invite_required' || err.field === 'invite_code')) setShowInvite(true);
      },
    );
  }

  const confirmError = mismatch ? new Error(t('auth.passwordsDiffer')) : null;
  const generalError = error && !fieldError(error, 'username') && !fieldError(error, 'password') && !fieldError(error, 'invite_code');

  return (
    <AuthLayout title={t('auth.registerTitle')}>
      <form onSubmit={submit} noValidate className="stack">
        <UsernameField value={username} onChange={setUsername} error={fieldError(error, 'username')} hint={t('auth.usernameHint')} autoFocus />
        <PasswordField
          label={t('auth.password')}
          name="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          error={fieldError(error, 'password')}
          hint={t('auth.passwordHint')}
        />
        <PasswordField label={t('auth.confirmPassword')} name="confirm" autoComplete="new-password" value={confirm} onChange={setConfirm} error={confirmError} />
        {showInvite ? (
          <Field label={t('auth.inviteCode')} error={fieldError(error, 'invite_code')}>
            {(p) => <input {...p} name="invite" value={invite} onChange={(e) => setInvite(e.target.value)} />}
          </Field>
        ) : (
          <button type="button" className="link-button" onClick={() => setShowInvite(true)}>
            {t('auth.haveInvite')}
          </button>
        )}
        {generalError ? <ErrorNote error={error} /> : null}
        <button type="submit" className="button primary" disabled={busy || !username || !password || mismatch || !confirm}>
          {busy ? t('common.wait') : t('auth.createAccount')}
        </button>
        <AuthSwitch prompt={t('auth.haveAccount')} to="/login" label={t('auth.login')} next={next} />
      </form>
    </AuthLayout>
  );
}
