import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/endpoints';
import type { NewParse, Parse } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Field, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { PARSE_SOURCES, PARSE_STATES, known, newParse, type ParseForm } from './automation';
import { itemsOf, storeItem } from './lists';
import { AccountOptions, ChatTitle, GroupOptions, PagedList, ProgressBar, StateBadge, When } from './parts';
import { useAccounts, useParses } from './queries';

/**
 * Automation → Parser: fills a new audience with a chat's members or its history's authors, as
 * one of my accounts sees them. Running parses move live (`automation.parse_updated` frames,
 * and a slow poll as a safety net); each can be cancelled, and links to the audience it fills.
 */
export function ParsesSection() {
  const { t } = useI18n();
  const parses = useParses();
  return (
    <>
      <Card title={t('automation.parses')} className="auto-card" testId="automation-parses">
        <p className="muted small">{t('automation.parsesHint')}</p>
        <PagedList query={parses} label={t('automation.parsesList')} empty={t('automation.parsesNone')} testId="parses">
          {(p) => <ParseRow key={p.id} parse={p} />}
        </PagedList>
      </Card>
      <Card title={t('automation.parseStart')} className="auto-card" testId="automation-parse-form">
        <StartForm />
      </Card>
    </>
  );
}

function ParseRow({ parse }: { parse: Parse }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const cancel = useMutation({ mutationFn: () => api.cancelParse(parse.id), onSuccess: (p) => storeItem(qc, keys.parses, p, 'first') });
  const state = known(PARSE_STATES, parse.state);
  return (
    <li className="auto-row" data-testid="parse" data-id={parse.id} data-state={parse.state}>
      <div className="auto-head">
        <span className="person-text">
          <span className="person-name">
            <ChatTitle id={parse.source_chat_id} />
          </span>
          <span className="muted small">
            {t(parse.source === 'authors' ? 'automation.sourceAuthors' : 'automation.sourceMembers')} · <When ms={parse.created_at} />
          </span>
        </span>
        <StateBadge state={parse.state} text={state ? t(`automation.parseState.${state}`) : parse.state} testId="parse-state" />
      </div>
      <ProgressBar value={parse.found} max={parse.max_people} label={t('automation.parseProgress')} />
      <p className="small" data-testid="parse-progress">
        {t(parse.source === 'authors' ? 'automation.readMessages' : 'automation.readMembers', { count: parse.scanned })} ·{' '}
        {t('automation.foundOf', { count: parse.found, max: parse.max_people })}
      </p>
      {parse.detail ? (
        <p className="small auto-detail" data-testid="parse-detail">
          {parse.detail}
        </p>
      ) : null}
      <ErrorNote error={cancel.error} />
      <div className="row auto-actions">
        {parse.audience_id ? (
          <Link to={`/automation/audiences/${parse.audience_id}`} className="button small" data-testid="parse-audience">
            <Icon name="users" size={14} /> {t('automation.openAudience')}
          </Link>
        ) : null}
        {parse.state === 'running' ? (
          <button type="button" className="button small ghost danger-text" onClick={() => cancel.mutate()} disabled={cancel.isPending} data-testid="parse-cancel">
            {t('common.cancel')}
          </button>
        ) : null}
      </div>
    </li>
  );
}

function StartForm() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const accounts = useAccounts();
  const list = itemsOf(accounts.data);
  const [form, setForm] = useState<ParseForm>({ accountId: '', chatId: '', source: 'members', maxPeople: '', audienceName: '' });
  const start = useMutation({
    mutationFn: (req: NewParse) => api.startParse(req),
    onSuccess: (p) => {
      storeItem(qc, keys.parses, p, 'first');
      void qc.invalidateQueries({ queryKey: keys.audiences });
      setForm((f) => ({ ...f, audienceName: '' }));
    },
  });
  const error = start.error;
  const fields = ['account_id', 'source_chat_id', 'source', 'max_people', 'audience_name'] as const;
  const elsewhere = error && !fields.some((f) => fieldError(error, f)) ? error : null;
  const set = (patch: Partial<ParseForm>) => setForm((f) => ({ ...f, ...patch }));
  const accountId = form.accountId || String(list[0]?.id ?? '');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate(newParse({ ...form, accountId }));
  };
  if (accounts.data && list.length === 0) return <p className="muted small" data-testid="parse-no-accounts">{t('automation.needAccount')}</p>;
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="parse-form">
      <Field label={t('automation.account')} error={fieldError(error, 'account_id')}>
        {(p) => (
          <select {...p} value={accountId} onChange={(e) => set({ accountId: e.target.value })} data-testid="parse-account">
            <AccountOptions accounts={list} />
          </select>
        )}
      </Field>
      <Field label={t('automation.sourceChat')} error={fieldError(error, 'source_chat_id')}>
        {(p) => (
          <select {...p} value={form.chatId} onChange={(e) => set({ chatId: e.target.value })} data-testid="parse-chat">
            <option value="">{t('automation.pickChat')}</option>
            <GroupOptions />
          </select>
        )}
      </Field>
      <fieldset className="auto-choices">
        <legend>{t('automation.source')}</legend>
        {PARSE_SOURCES.map((s) => (
          <label key={s} className="auto-choice">
            <input type="radio" name="parse-source" value={s} checked={form.source === s} onChange={() => set({ source: s })} data-testid={`parse-source-${s}`} />
            <span className="person-text">
              <span>{t(s === 'authors' ? 'automation.sourceAuthors' : 'automation.sourceMembers')}</span>
              <span className="muted small">{t(s === 'authors' ? 'automation.sourceAuthorsHint' : 'automation.sourceMembersHint')}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <Field label={t('automation.maxPeople')} error={fieldError(error, 'max_people')} hint={t('automation.maxPeopleHint')}>
        {(p) => <input {...p} inputMode="numeric" value={form.maxPeople} onChange={(e) => set({ maxPeople: e.target.value })} data-testid="parse-max" />}
      </Field>
      <Field label={t('automation.audienceName')} error={fieldError(error, 'audience_name')}>
        {(p) => <input {...p} autoComplete="off" maxLength={64} value={form.audienceName} onChange={(e) => set({ audienceName: e.target.value })} data-testid="parse-audience-name" />}
      </Field>
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="submit" className="button primary" disabled={start.isPending || !accountId || !form.chatId || !form.audienceName.trim()} data-testid="parse-submit">
          <Icon name="play" size={16} /> {t('automation.parseButton')}
        </button>
      </div>
    </form>
  );
}
