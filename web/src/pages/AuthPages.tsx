import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/endpoints';
import { isApiError } from '../api/errors';
import { session } from '../auth/session';
import { ErrorNote, Field, fieldError } from '../components/common';
import { Icon } from '../components/Icon';
import { useI18n } from '../i18n';
import { Preferences } from './Preferences';

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
  const navigate = useNavigate();
  const next = useNext();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needCode, setNeedCode] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const tokens = await api.login({
        username: username.trim(),
        password,
        device_name: deviceName(),
        ...(needCode ? { totp_code: code.replace(/\s/g, '') } : {}),
      });
      session.accept(tokens);
      navigate(next, { replace: true });
    } catch (err) {
      if (isApiError(err) && err.code === 'totp_required') {
        setNeedCode(true);
      } else {
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthLayout title={needCode ? t('auth.twoFactorTitle') : t('auth.loginTitle')}>
      <form onSubmit={submit} noValidate className="stack">
        {!needCode ? (
          <>
            <Field label={t('auth.username')}>
              {(p) => (
                <input
                  {...p}
                  name="username"
                  autoComplete="username"
                  autoCapitalize="none"
                  spellCheck={false}
                  required
                  value={username}
                  onChange={(e) => setUsername(e.target.value)}
                />
              )}
            </Field>
            <Field label={t('auth.password')}>
              {(p) => (
                <input
                  {...p}
                  name="password"
                  type="password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              )}
            </Field>
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
              setError(null);
            }}
          >
            <Icon name="back" size={16} /> {t('common.back')}
          </button>
        ) : (
          <p className="auth-switch">
            {t('auth.noAccount')} <Link to={`/register${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>{t('auth.register')}</Link>
          </p>
        )}
      </form>
    </AuthLayout>
  );
}

export function RegisterPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const next = useNext();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [invite, setInvite] = useState('');
  const [showInvite, setShowInvite] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const mismatch = confirm.length > 0 && confirm !== password;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (mismatch) return;
    setBusy(true);
    setError(null);
    try {
      const tokens = await api.register({
        username: username.trim(),
        password,
        device_name: deviceName(),
        ...(invite.trim() ? { invite_code: invite.trim() } : {}),
      });
      session.accept(tokens);
      navigate(next, { replace: true });
    } catch (err) {
      if (isApiError(err) && (err.code === 'invite_required' || err.field === 'invite_code')) setShowInvite(true);
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const generalError = error && !fieldError(error, 'username') && !fieldError(error, 'password') && !fieldError(error, 'invite_code');

  return (
    <AuthLayout title={t('auth.registerTitle')}>
      <form onSubmit={submit} noValidate className="stack">
        <Field label={t('auth.username')} error={fieldError(error, 'username')} hint={t('auth.usernameHint')}>
          {(p) => (
            <input
              {...p}
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          )}
        </Field>
        <Field label={t('auth.password')} error={fieldError(error, 'password')} hint={t('auth.passwordHint')}>
          {(p) => (
            <input
              {...p}
              name="password"
              type="password"
              autoComplete="new-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Field label={t('auth.confirmPassword')} error={mismatch ? new Error(t('auth.passwordsDiffer')) : null}>
          {(p) => (
            <input
              {...p}
              name="confirm"
              type="password"
              autoComplete="new-password"
              required
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          )}
        </Field>
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
        <p className="auth-switch">
          {t('auth.haveAccount')} <Link to={`/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>{t('auth.login')}</Link>
        </p>
      </form>
    </AuthLayout>
  );
}
