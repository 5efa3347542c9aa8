import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import type { TotpSetupResponse } from '../../api/types';
import { session } from '../auth/session';
import { useSession } from '../auth/useSession';
import { Card, ErrorNote, Field, SavedNote, Spinner, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { useI18n } from '../../i18n/index';
import { formatDateTime } from '../../i18n/format';
import { keys } from '../../state/keys';
import { displayName, useAccount, useMe } from '../../state/queries';
import { Preferences } from './Preferences';
import { PrivacyCard } from './PrivacyCard';
import { AdminSection } from '../admin/AdminSection';
import { BotsCard } from '../bots/BotsCard';
import { AutomationLink } from '../automation/AutomationLink';
import { NotifySettings } from '../notifications/NotifySettings';
import { forgetThisBrowser } from '../notifications/push';
import { AvatarEditor } from '../files/AvatarEditor';
import { storeProfile } from '../realtime/apply';
import type { ProfileUpdate } from '../../api/types';

export function SettingsPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <div className="page">
      <header className="chat-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate('/')} aria-label={t('common.back')}>
          <Icon name="back" />
        </button>
        <h1 className="page-title">{t('nav.settings')}</h1>
      </header>
      <div className="page-body">
        <ProfileSection />
        <Card title={t('settings.appearance')}>
          <Preferences />
        </Card>
        <PrivacyCard />
        <NotifySettings />
        <BotsCard />
        <AutomationLink />
        <AdminSection />
        <SessionsSection />
        <PasswordSection />
        <TwoFactorSection />
        <LogoutSection />
      </div>
    </div>
  );
}

function ProfileSection() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const me = useMe();
  const [name, setName] = useState('');
  const [bio, setBio] = useState('');
  // The form follows the saved name and bio (a new picture leaves what is being typed alone).
  const savedName = me.data?.display_name;
  const savedBio = me.data?.bio;
  useEffect(() => {
    if (savedName !== undefined) setName(savedName);
    if (savedBio !== undefined) setBio(savedBio);
  }, [savedName, savedBio]);

  /** Saves a change of my profile and shows the answer everywhere at once. */
  const saveProfile = async (change: ProfileUpdate) => {
    const p = await api.updateMe(change);
    storeProfile(qc, p, p.id);
    return p;
  };
  const update = useMutation({ mutationFn: () => saveProfile({ display_name: name, bio }) });
  const error = update.error;

  function save(e: FormEvent) {
    e.preventDefault();
    update.mutate();
  }

  if (!me.data) return <Card>{me.isError ? <ErrorNote error={me.error} onRetry={() => void me.refetch()} /> : <Spinner />}</Card>;
  return (
    <Card title={t('settings.profile')}>
      <div className="profile-head">
        <AvatarEditor name={displayName(me.data)} id={me.data.id} avatar={me.data.avatar} size={72} save={(avatar) => saveProfile({ avatar })} />
        <div>
          <strong>{displayName(me.data)}</strong>
          <p className="muted">@{me.data.username}</p>
        </div>
      </div>
      <form className="stack" onSubmit={save}>
        <Field label={t('settings.displayName')} error={fieldError(error, 'display_name')}>
          {(p) => <input {...p} value={name} maxLength={64} onChange={(e) => setName(e.target.value)} data-testid="display-name" />}
        </Field>
        <Field label={t('settings.bio')} error={fieldError(error, 'bio')}>
          {(p) => <textarea {...p} value={bio} maxLength={500} rows={3} onChange={(e) => setBio(e.target.value)} />}
        </Field>
        {error && !fieldError(error, 'display_name') && !fieldError(error, 'bio') ? <ErrorNote error={error} /> : null}
        <div className="row">
          <button type="submit" className="button primary" disabled={update.isPending}>
            {t('common.save')}
          </button>
          <SavedNote shown={update.isSuccess} />
        </div>
      </form>
    </Card>
  );
}

function SessionsSection() {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const sessions = useQuery({ queryKey: keys.sessions, queryFn: () => api.sessions() });
  const others = (sessions.data ?? []).filter((s) => !s.current);
  const signOut = useMutation({
    mutationFn: (fn: () => Promise<unknown>) => fn(),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.sessions }),
  });
  const run = (fn: () => Promise<unknown>) => signOut.mutate(fn);
  const error = signOut.error;
  return (
    <Card title={t('settings.sessions')}>
      <p className="muted small">{t('settings.sessionsHint')}</p>
      {sessions.isPending ? <Spinner /> : null}
      <ErrorNote error={sessions.error} onRetry={() => void sessions.refetch()} />
      <ErrorNote error={error} />
      <ul className="plain-list session-list">
        {(sessions.data ?? []).map((s) => (
          <li key={s.id} className="session-row" data-testid="session-row">
            <span className="person-text">
              <span className="person-name">
                {s.device || t('settings.unknownDevice')}
                {s.current ? <span className="tag">{t('settings.thisDevice')}</span> : null}
              </span>
              <span className="muted small">
                {s.ip} · {t('settings.lastActive', { date: formatDateTime(s.last_seen_at, lang) })}
              </span>
            </span>
            {!s.current ? (
              <button type="button" className="button small ghost danger-text" onClick={() => run(() => api.revokeSession(s.id))}>
                {t('settings.revoke')}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {others.length > 0 ? (
        <button type="button" className="button danger" onClick={() => run(() => api.revokeOthers())}>
          {t('settings.revokeOthers')}
        </button>
      ) : null}
    </Card>
  );
}

function PasswordSection() {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useMutation({
    mutationFn: () => api.changePassword(current, next),
    onSuccess: () => {
      setCurrent('');
      setNext('');
    },
  });
  const error = change.error;
  const done = change.isSuccess;
  function submit(e: FormEvent) {
    e.preventDefault();
    change.mutate();
  }
  return (
    <Card title={t('settings.password')}>
      <form className="stack" onSubmit={submit}>
        <CurrentPasswordField value={current} onChange={setCurrent} error={fieldError(error, 'current_password')} />
        <Field label={t('settings.newPassword')} error={fieldError(error, 'new_password') ?? fieldError(error, 'password')} hint={t('auth.passwordHint')}>
          {(p) => <input {...p} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />}
        </Field>
        {error && !fieldError(error, 'new_password') && !fieldError(error, 'password') && !fieldError(error, 'current_password') ? <ErrorNote error={error} /> : null}
        <div className="row">
          <button type="submit" className="button" disabled={!current || !next || change.isPending}>
            {t('settings.changePassword')}
          </button>
          {done ? <span className="success" role="status">{t('settings.passwordChanged')}</span> : null}
        </div>
      </form>
    </Card>
  );
}

function TwoFactorSection() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const account = useAccount();
  const [password, setPassword] = useState('');
  const [setup, setSetup] = useState<TotpSetupResponse | null>(null);
  const [code, setCode] = useState('');
  const [mode, setMode] = useState<'idle' | 'enabling' | 'disabling'>('idle');
  // Each step (set up, confirm, turn off) runs as this one mutation: its error is the step's.
  const stepMutation = useMutation({ mutationFn: (action: () => Promise<void>) => action() });
  const error = stepMutation.error;
  const enabled = account.data?.totp_enabled;

  function settled(on: boolean) {
    qc.setQueryData(keys.account, (a: typeof account.data) => (a ? { ...a, totp_enabled: on } : a));
    void qc.invalidateQueries({ queryKey: keys.account });
    setPassword('');
    setCode('');
    setMode('idle');
  }
  function cancel() {
    stepMutation.reset();
    setSetup(null);
    setPassword('');
    setCode('');
    setMode('idle');
  }

  /** A form's submit: the step runs with the last error cleared, and shows its own. */
  function step(action: () => Promise<void>) {
    return (e: FormEvent) => {
      e.preventDefault();
      stepMutation.mutate(action);
    };
  }
  const start = step(async () => {
    setSetup(await api.totpSetup(password));
    setPassword('');
  });
  const confirm = step(async () => {
    await api.totpConfirm(code.replace(/\s/g, ''));
    setSetup(null);
    settled(true);
  });
  const disable = step(async () => {
    await api.totpDisable(password, code.replace(/\s/g, ''));
    settled(false);
  });

  return (
    <Card title={t('settings.twoFactor')}>
      <p className="muted small">{t('settings.twoFactorHint')}</p>
      {account.isPending ? <Spinner /> : null}
      <ErrorNote error={account.error} onRetry={() => void account.refetch()} />
      {enabled !== undefined && mode === 'idle' ? (
        <>
          <p className={enabled ? 'success' : 'muted'} role="status" data-testid="totp-status">
            {enabled ? t('settings.twoFactorOn') : t('settings.twoFactorOff')}
          </p>
          <div className="row">
            {enabled ? (
              <button type="button" className="button ghost" onClick={() => setMode('disabling')}>
                {t('settings.disable2fa')}
              </button>
            ) : (
              <button type="button" className="button" onClick={() => setMode('enabling')}>
                {t('settings.enable2fa')}
              </button>
            )}
          </div>
        </>
      ) : null}
      {mode === 'enabling' && !setup ? (
        <TwoFactorForm onSubmit={start} onCancel={cancel} error={error} submit={t('common.continue')} canSubmit={Boolean(password)}>
          <CurrentPasswordField value={password} onChange={setPassword} />
        </TwoFactorForm>
      ) : null}
      {mode === 'enabling' && setup ? (
        <TwoFactorForm onSubmit={confirm} onCancel={cancel} error={error} submit={t('settings.enable2fa')} canSubmit={Boolean(code)}>
          <p>{t('settings.totpScan')}</p>
          <code className="secret" aria-label={t('settings.totpSecret')}>
            {setup.secret.replace(/(.{4})/g, '$1 ').trim()}
          </code>
          <a href={setup.otpauth_uri} className="small">
            {t('settings.totpOpenApp')}
          </a>
          <CodeField value={code} onChange={setCode} />
        </TwoFactorForm>
      ) : null}
      {mode === 'disabling' ? (
        <TwoFactorForm
          onSubmit={disable}
          onCancel={cancel}
          error={error}
          submit={t('settings.disable2fa')}
          danger
          canSubmit={Boolean(password && code)}
        >
          <CurrentPasswordField value={password} onChange={setPassword} />
          <CodeField value={code} onChange={setCode} />
        </TwoFactorForm>
      ) : null}
    </Card>
  );
}

/** One step of turning 2FA on or off: its fields, its error, then Cancel beside its own button. */
function TwoFactorForm({
  onSubmit,
  onCancel,
  error,
  submit,
  danger,
  canSubmit,
  children,
}: {
  onSubmit: (e: FormEvent) => void;
  onCancel: () => void;
  error: unknown;
  submit: string;
  danger?: boolean;
  canSubmit: boolean;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <form className="stack" onSubmit={onSubmit}>
      {children}
      <ErrorNote error={error} />
      <div className="row">
        <button type="button" className="button ghost" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" className={`button ${danger ? 'danger' : 'primary'}`} disabled={!canSubmit}>
          {submit}
        </button>
      </div>
    </form>
  );
}

function CurrentPasswordField({ value, onChange, error }: { value: string; onChange: (value: string) => void; error?: unknown }) {
  const { t } = useI18n();
  return (
    <Field label={t('settings.currentPassword')} error={error}>
      {(p) => <input {...p} type="password" autoComplete="current-password" value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

function CodeField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const { t } = useI18n();
  return (
    <Field label={t('auth.code')}>
      {(p) => <input {...p} inputMode="numeric" autoComplete="one-time-code" value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

function LogoutSection() {
  const { t } = useI18n();
  const s = useSession();
  // Signed out here whatever the server says (offline, session already gone), and this
  // browser gets no more pushes for the account.
  const logout = useMutation({
    mutationFn: async () => {
      await forgetThisBrowser().catch(() => undefined);
      await api.logout();
    },
    onSettled: () => session.clear(),
  });
  const error = logout.error;
  return (
    <Card>
      <p className="muted small">{t('settings.signedInAs', { name: s.account?.username ?? '' })}</p>
      <ErrorNote error={error} />
      <button
        type="button"
        className="button danger"
        onClick={() => logout.mutate()}
        disabled={logout.isPending}
        data-testid="logout"
      >
        <Icon name="logout" size={16} /> {t('settings.logout')}
      </button>
    </Card>
  );
}
