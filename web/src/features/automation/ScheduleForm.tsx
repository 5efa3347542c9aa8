import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { ChatInfo, NewSchedule, Schedule, ScheduleChange } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { useChatTitle, useChats } from '../../state/queries';
import { ErrorNote, Field, SavedNote, useErrorText } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { MAX_TARGETS, emptyScheduleForm, newSchedule, scheduleChange, scheduleForm, scheduleProblems, timeZones, weekdayNames, type ScheduleForm } from './autopost';
import { itemsOf, storeItem } from './lists';
import { useAccounts, useSources } from './queries';

/** The server's 422 when it names `field` or a part of it (`times[1]`, `targets[0].chat_id`). */
export function errorAt(error: unknown, field: string): unknown {
  if (!isApiError(error) || !error.field) return null;
  const f = error.field;
  return f === field || f.startsWith(`${field}[`) || f.startsWith(`${field}.`) ? error : null;
}

/** The error of one target's field (`targets[i].chat_id`, or `targets.i.chat_id`). */
function targetError(error: unknown, i: number, field: 'account_id' | 'chat_id'): unknown {
  if (!isApiError(error) || !error.field) return null;
  return error.field === `targets[${i}].${field}` || error.field === `targets.${i}.${field}` ? error : null;
}

const TOP_FIELDS = ['name', 'timezone', 'times', 'weekdays', 'random_order', 'source_id', 'targets'] as const;

/**
 * A schedule's settings: name, time zone, times of day, weekdays (Monday first), random order,
 * the book it takes posts from, and its targets (an account and a chat each). Without `saved`
 * it makes a new schedule (running) and opens it; with it, it sends what changed.
 */
export function ScheduleFormView({ saved }: { saved?: Schedule }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [form, setForm] = useState<ScheduleForm>(() => (saved ? scheduleForm(saved) : emptyScheduleForm()));
  const [done, setDone] = useState(false);
  const accounts = itemsOf(useAccounts().data);
  const sources = itemsOf(useSources().data);
  // Some 400 options, made once rather than at every keystroke.
  const zoneOptions = useMemo(
    () =>
      timeZones(saved?.timezone).map((z) => (
        <option key={z} value={z}>
          {z}
        </option>
      )),
    [saved?.timezone],
  );
  const days = useMemo(() => weekdayNames(lang), [lang]);
  const store = (s: Schedule) => {
    qc.setQueryData(keys.schedule(s.id), s);
    storeItem(qc, keys.schedules, s, 'first');
  };
  const create = useMutation({
    mutationFn: (req: NewSchedule) => api.createSchedule(req),
    onSuccess: (s) => {
      store(s);
      navigate(`/automation/autopost/${s.id}`);
    },
  });
  const edit = useMutation({
    mutationFn: (change: ScheduleChange) => api.changeSchedule(saved?.id ?? 0, change),
    onSuccess: (s) => {
      store(s);
      setForm(scheduleForm(s));
      setDone(true);
    },
  });
  const save = saved ? edit : create;
  const error = save.error;
  const set = (patch: Partial<ScheduleForm>) => {
    setDone(false);
    setForm((f) => ({ ...f, ...patch }));
  };
  const problems = scheduleProblems(form);
  const change = saved ? scheduleChange(form, saved) : null;
  const targetsShown = error && isApiError(error) && error.field?.startsWith('targets') && form.targets.some((_, i) => targetError(error, i, 'chat_id') || targetError(error, i, 'account_id'));
  const elsewhere = error && !TOP_FIELDS.some((f) => errorAt(error, f)) ? error : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (problems.length) return;
    if (saved && change) edit.mutate(change);
    else if (!saved) create.mutate(newSchedule(form));
  };
  const setTarget = (i: number, patch: Partial<ScheduleForm['targets'][number]>) => set({ targets: form.targets.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  const id = saved ? `schedule-${saved.id}` : 'schedule-new';
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="schedule-form">
      <Field label={t('autopost.name')} error={errorAt(error, 'name')}>
        {(p) => <input {...p} autoComplete="off" maxLength={64} value={form.name} onChange={(e) => set({ name: e.target.value })} data-testid="schedule-name-input" />}
      </Field>
      <Field label={t('autopost.timezone')} error={errorAt(error, 'timezone')} hint={t('autopost.timezoneHint')}>
        {(p) => (
          <select {...p} value={form.timezone} onChange={(e) => set({ timezone: e.target.value })} data-testid="schedule-timezone">
            {zoneOptions}
          </select>
        )}
      </Field>
      <fieldset className="auto-choices" aria-describedby={`${id}-times-msg`} data-testid="schedule-times">
        <legend>{t('autopost.times')}</legend>
        <div className="autopost-times">
          {form.times.map((time, i) => (
            <span key={i} className="autopost-time">
              <input
                type="time"
                value={time}
                aria-label={t('autopost.timeN', { n: i + 1 })}
                aria-invalid={Boolean(errorAt(error, 'times'))}
                onChange={(e) => set({ times: form.times.map((x, j) => (j === i ? e.target.value : x)) })}
                data-testid="schedule-time"
              />
              {form.times.length > 1 ? (
                <button type="button" className="icon-button" aria-label={t('autopost.removeTime', { n: i + 1 })} onClick={() => set({ times: form.times.filter((_, j) => j !== i) })} data-testid="schedule-time-remove">
                  <Icon name="close" size={14} />
                </button>
              ) : null}
            </span>
          ))}
          <button type="button" className="button small" onClick={() => set({ times: [...form.times, ''] })} data-testid="schedule-time-add">
            <Icon name="plus" size={14} /> {t('autopost.addTime')}
          </button>
        </div>
        <FieldNote id={`${id}-times-msg`} error={errorAt(error, 'times')} hint={t('autopost.timesHint')} />
      </fieldset>
      <fieldset className="auto-choices" data-testid="schedule-weekdays">
        <legend>{t('autopost.weekdays')}</legend>
        <div className="autopost-days" role="group" aria-label={t('autopost.weekdays')}>
          {days.map((d) => {
            const on = form.weekdays.includes(d.day);
            return (
              <button
                key={d.day}
                type="button"
                className={`button small autopost-day${on ? ' primary' : ''}`}
                aria-pressed={on}
                aria-label={d.long}
                title={d.long}
                onClick={() => set({ weekdays: on ? form.weekdays.filter((x) => x !== d.day) : [...form.weekdays, d.day].sort() })}
                data-testid="schedule-weekday"
                data-day={d.day}
              >
                {d.short}
              </button>
            );
          })}
        </div>
        <FieldNote id={`${id}-days-msg`} error={errorAt(error, 'weekdays') ?? (form.weekdays.length === 0 ? new Error(t('autopost.pickDay')) : null)} hint={t('autopost.weekdaysHint')} />
      </fieldset>
      <label className="auto-choice">
        <input type="checkbox" checked={form.randomOrder} onChange={(e) => set({ randomOrder: e.target.checked })} data-testid="schedule-random" />
        <span className="person-text">
          <span>{t('autopost.randomOrder')}</span>
          <span className="muted small">{t('autopost.randomOrderHint')}</span>
        </span>
      </label>
      <Field label={t('autopost.book')} error={errorAt(error, 'source_id')} hint={t('autopost.bookHint')}>
        {(p) => (
          <select {...p} value={form.sourceId} onChange={(e) => set({ sourceId: e.target.value })} data-testid="schedule-book">
            <option value="">{t('autopost.allBooks')}</option>
            {sources.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
            {form.sourceId && !sources.some((s) => String(s.id) === form.sourceId) ? <option value={form.sourceId}>#{form.sourceId}</option> : null}
          </select>
        )}
      </Field>
      <fieldset className="auto-choices" data-testid="schedule-targets">
        <legend>{t('autopost.targets')}</legend>
        <p className="muted small">{t('autopost.targetsHint')}</p>
        {accounts.length === 0 ? <p className="muted small">{t('automation.needAccount')}</p> : null}
        {form.targets.map((target, i) => {
          const account = accounts.find((a) => String(a.id) === target.accountId);
          return (
            <div key={i} className="row auto-pace autopost-target" data-testid="schedule-target">
              <Field label={t('autopost.targetAccount', { n: i + 1 })} error={targetError(error, i, 'account_id')}>
                {(p) => (
                  <select {...p} value={target.accountId} onChange={(e) => setTarget(i, { accountId: e.target.value })} data-testid="schedule-target-account">
                    <option value="">{t('autopost.pickAccount')}</option>
                    {accounts.map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.name} ({t(`autopost.connector.${a.connector === 'hybrid' ? 'hybrid' : a.connector === 'telegram_bot' ? 'telegram_bot' : 'telegram_user'}`)})
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label={t('autopost.targetChat', { n: i + 1 })} error={targetError(error, i, 'chat_id')} hint={account?.connector === 'hybrid' ? t('autopost.chatHybrid') : account ? t('autopost.chatTelegram') : undefined}>
                {(p) => (
                  <input
                    {...p}
                    inputMode="numeric"
                    autoComplete="off"
                    list={account?.connector === 'hybrid' ? `${id}-chats` : undefined}
                    value={target.chatId}
                    onChange={(e) => setTarget(i, { chatId: e.target.value })}
                    data-testid="schedule-target-chat"
                  />
                )}
              </Field>
              {form.targets.length > 1 ? (
                <button type="button" className="button small ghost danger-text" aria-label={t('autopost.removeTarget', { n: i + 1 })} onClick={() => set({ targets: form.targets.filter((_, j) => j !== i) })} data-testid="schedule-target-remove">
                  <Icon name="trash" size={14} />
                </button>
              ) : null}
            </div>
          );
        })}
        <datalist id={`${id}-chats`}>
          <ChatChoices />
        </datalist>
        {form.targets.length < MAX_TARGETS ? (
          <div className="row">
            <button type="button" className="button small" onClick={() => set({ targets: [...form.targets, { accountId: '', chatId: '' }] })} data-testid="schedule-target-add">
              <Icon name="plus" size={14} /> {t('autopost.addTarget')}
            </button>
          </div>
        ) : null}
        {errorAt(error, 'targets') && !targetsShown ? <ErrorNote error={error} /> : null}
      </fieldset>
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="submit" className="button primary" disabled={save.isPending || problems.length > 0 || (change !== null && Object.keys(change).length === 0)} data-testid="schedule-submit">
          {saved ? t('common.save') : (
            <>
              <Icon name="play" size={16} /> {t('autopost.create')}
            </>
          )}
        </button>
        <SavedNote shown={done && !save.isPending} />
      </div>
    </form>
  );
}

/** A message under a group of inputs: the error (the server's, in its field's words), else the hint. */
function FieldNote({ id, error, hint }: { id: string; error: unknown; hint: string }) {
  const text = useErrorText();
  const msg = error ? (isApiError(error) ? text(error, { inField: true }) : error instanceof Error ? error.message : '') : hint;
  return (
    <small id={id} className={error ? 'field-error' : 'field-hint'} role={error ? 'alert' : undefined}>
      {msg}
    </small>
  );
}

function ChatChoice({ chat }: { chat: ChatInfo }) {
  return <option value={chat.id}>{useChatTitle(chat)}</option>;
}

/** My groups and channels as choices of a chat id field. */
function ChatChoices() {
  const chats = useChats();
  return (
    <>
      {(chats.data ?? [])
        .filter((c) => c.kind !== 'direct')
        .map((c) => (
          <ChatChoice key={c.id} chat={c} />
        ))}
    </>
  );
}
