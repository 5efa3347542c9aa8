import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { AccountChange, AutomationAccount } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Field, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { ACCOUNT_STATES, countField, known } from './automation';
import { ConnectForm } from './ConnectForm';
import { dropItem, storeItem } from './lists';
import { ConfirmButton, PagedList, StateBadge, When } from './parts';
import { useAccounts } from './queries';

/**
 * Automation → Accounts: the identities campaigns act as, oldest first, each with its state in
 * words, its use of the day and its actions (check, pause or resume, daily limit, delete); the
 * form that connects one of this server's users.
 */
export function AccountsSection() {
  const { t } = useI18n();
  const accounts = useAccounts();
  return (
    <>
      <Card title={t('automation.accounts')} className="auto-card" testId="automation-accounts">
        <p className="muted small">{t('automation.accountsHint')}</p>
        <PagedList query={accounts} label={t('automation.accountsList')} empty={t('automation.accountsNone')} testId="accounts">
          {(a) => <AccountRow key={a.id} account={a} />}
        </PagedList>
      </Card>
      <Card title={t('automation.connect')} className="auto-card" testId="automation-connect">
        <ConnectForm />
      </Card>
    </>
  );
}

function AccountRow({ account }: { account: AutomationAccount }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const store = (now: AutomationAccount) => storeItem(qc, keys.automationAccounts, now, 'last');
  // Gone already (deleted from another tab): the list as it is now.
  const gone = (e: unknown) => {
    if (isApiError(e) && e.status === 404) void qc.invalidateQueries({ queryKey: keys.automationAccounts });
  };
  const change = useMutation({ mutationFn: (c: AccountChange) => api.changeAccount(account.id, c), onSuccess: store, onError: gone });
  const check = useMutation({ mutationFn: () => api.checkAccount(account.id), onSuccess: store, onError: gone });
  const remove = useMutation({
    mutationFn: () => api.removeAccount(account.id),
    onSuccess: () => dropItem(qc, keys.automationAccounts, account.id),
    onError: gone,
  });
  const busy = change.isPending || check.isPending || remove.isPending;
  const state = known(ACCOUNT_STATES, account.state);
  const paused = account.state === 'paused';
  return (
    <li className="auto-row" data-testid="account" data-id={account.id}>
      <div className="auto-head">
        <span className="person-text">
          <span className="person-name" data-testid="account-name">
            {account.name}
          </span>
          <span className="muted small" data-testid="account-actor">
            @{account.actor_name}
          </span>
        </span>
        <StateBadge state={account.state} text={state ? t(`automation.accountState.${state}`) : account.state} testId="account-state" />
      </div>
      <p className="muted small">{state ? t(`automation.accountStateHint.${state}`) : null}</p>
      {account.state_detail ? (
        <p className="small auto-detail" data-testid="account-detail">
          {account.state_detail}
        </p>
      ) : null}
      <div className="auto-meta muted small">
        {account.rest_until ? (
          <span data-testid="account-rest">
            {t('automation.restUntil')} <When ms={account.rest_until} />
          </span>
        ) : null}
        <span data-testid="account-used">{t('automation.usedToday', { used: account.used_today, count: account.daily_limit })}</span>
        {account.reachable != null ? <span data-testid="account-reachable">{t('automation.reachable', { count: account.reachable })}</span> : null}
        <span>
          {t('automation.lastUsed')} {account.last_used_at ? <When ms={account.last_used_at} /> : t('automation.never')}
        </span>
      </div>
      {editing ? (
        <LimitForm
          account={account}
          error={change.error}
          pending={change.isPending}
          onCancel={() => {
            change.reset();
            setEditing(false);
          }}
          onSave={(daily_limit) => change.mutate({ daily_limit }, { onSuccess: () => setEditing(false) })}
        />
      ) : (
        <ErrorNote error={change.error} />
      )}
      <ErrorNote error={check.error ?? remove.error} />
      <div className="row auto-actions">
        <button type="button" className="button small" onClick={() => check.mutate()} disabled={busy} aria-label={t('automation.checkOne', { name: account.name })} data-testid="account-check">
          <Icon name="refresh" size={14} /> {t('automation.check')}
        </button>
        <button
          type="button"
          className="button small"
          onClick={() => change.mutate({ paused: !paused })}
          disabled={busy}
          aria-label={t(paused ? 'automation.resumeOne' : 'automation.pauseOne', { name: account.name })}
          data-testid={paused ? 'account-resume' : 'account-pause'}
        >
          <Icon name={paused ? 'play' : 'pause'} size={14} /> {t(paused ? 'automation.resume' : 'automation.pause')}
        </button>
        {!editing ? (
          <button type="button" className="button small" onClick={() => setEditing(true)} disabled={busy} aria-label={t('automation.limitOne', { name: account.name })} data-testid="account-limit">
            <Icon name="edit" size={14} /> {t('automation.limit')}
          </button>
        ) : null}
        <ConfirmButton
          label={t('common.delete')}
          ariaLabel={t('automation.removeAccountOne', { name: account.name })}
          title={t('automation.removeAccountTitle')}
          text={t('automation.removeAccountText', { name: account.name })}
          confirm={t('common.delete')}
          disabled={busy}
          testId="account-remove"
          onConfirm={() => remove.mutate()}
        />
      </div>
    </li>
  );
}

function LimitForm({
  account,
  error,
  pending,
  onCancel,
  onSave,
}: {
  account: AutomationAccount;
  error: unknown;
  pending: boolean;
  onCancel: () => void;
  onSave: (limit: number) => void;
}) {
  const { t } = useI18n();
  const [limit, setLimit] = useState(String(account.daily_limit));
  const value = countField(limit);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value !== undefined && Number.isFinite(value)) onSave(value);
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="account-limit-form">
      <Field label={t('automation.dailyLimit')} error={fieldError(error, 'daily_limit')} hint={t('automation.dailyLimitHint')}>
        {(p) => <input {...p} inputMode="numeric" value={limit} onChange={(e) => setLimit(e.target.value)} data-testid="account-limit-input" />}
      </Field>
      <div className="row">
        <button type="button" className="button small ghost" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="button small primary" disabled={pending || value === undefined || !Number.isFinite(value)} data-testid="account-limit-save">
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
