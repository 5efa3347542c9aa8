import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useCallback, useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { ChatInfo, DeliveryLog, DeliveryPage, NewWebhook, Webhook } from '../../api/types';
import { formatDateTime, formatExact } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { useChatTitle, useChats } from '../../state/queries';
import { Card, CopyThenDone, ErrorNote, Field, Modal, Spinner, fieldError, useErrorText } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { FAILURES_TO_DISABLE, MAX_WEBHOOKS, addErrorText, attemptText, hookState, lastAttempt, newWebhook, withHook, type WebhookForm } from './webhooks';

/**
 * Settings → Notifications → Webhooks: my hooks (where each goes, all my notifications or one
 * chat's, active or turned off after failing with "Turn on again", its delivery log), a form
 * that adds one and then shows its secret once, and what a hook receives. A notify service
 * older than webhooks (404) shows no card.
 */
export function WebhooksCard() {
  const { t } = useI18n();
  const hooks = useQuery({ queryKey: keys.webhooks, queryFn: api.webhooks });
  // The secret of the hook just added: shown until dismissed, never again.
  const [added, setAdded] = useState<Webhook | null>(null);
  if (isApiError(hooks.error) && hooks.error.status === 404) return null;
  const list = hooks.data;
  return (
    <Card title={t('webhooks.title')} testId="webhooks">
      <p className="muted small">{t('webhooks.hint', { max: MAX_WEBHOOKS })}</p>
      <HowItWorks />
      {list ? (
        <>
          {list.length === 0 ? (
            <p className="muted small" data-testid="webhooks-none">
              {t('webhooks.none')}
            </p>
          ) : (
            <ul className="plain-list webhook-list" aria-label={t('webhooks.list')}>
              {list.map((h) => (
                <HookRow key={h.id} hook={h} />
              ))}
            </ul>
          )}
          {added?.secret ? <SecretPanel hook={added} onDone={() => setAdded(null)} /> : null}
          <AddForm onAdded={setAdded} />
        </>
      ) : hooks.isPending ? (
        <Spinner />
      ) : (
        <ErrorNote error={hooks.error} onRetry={() => void hooks.refetch()} />
      )}
    </Card>
  );
}

/** What a hook receives and how to check it: closed until asked for. */
function HowItWorks() {
  const { t } = useI18n();
  return (
    <details className="webhook-help small" data-testid="webhooks-help">
      <summary>{t('webhooks.how')}</summary>
      <p>{t('webhooks.howNew')}</p>
      <code className="webhook-code">{'{"event": "notification.new", "user_id": …, "notification": {…}}'}</code>
      <p>{t('webhooks.howRemoved')}</p>
      <code className="webhook-code">{'{"event": "notification.removed", "user_id": …, "chat_id": …, "ids": […]}'}</code>
      <p>{t('webhooks.howSignature')}</p>
      <code className="webhook-code">{'x-hybrid-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">'}</code>
      <p>{t('webhooks.howHeaders')}</p>
      <p>{t('webhooks.howRetries', { count: FAILURES_TO_DISABLE })}</p>
    </details>
  );
}

/** A chat's name among mine (a direct chat by the other person's name). */
function ChatName({ chat }: { chat: ChatInfo }) {
  return <>{useChatTitle(chat)}</>;
}

function ChatOption({ chat }: { chat: ChatInfo }) {
  return <option value={chat.id}>{useChatTitle(chat)}</option>;
}

/** Where a hook's notifications come from: all of mine, or one chat's (named when it is among mine). */
function HookTarget({ chatId }: { chatId?: number | null }) {
  const { t } = useI18n();
  const chats = useChats();
  if (!chatId) return <>{t('webhooks.all')}</>;
  const chat = chats.data?.find((c) => c.id === chatId);
  return chat ? <ChatName chat={chat} /> : <>{chats.isPending ? '…' : t('webhooks.unknownChat')}</>;
}

function HookRow({ hook }: { hook: Webhook }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const closeConfirm = useCallback(() => setConfirming(false), []);
  const enable = useMutation({
    mutationFn: () => api.enableWebhook(hook.id),
    onSuccess: (now) => qc.setQueryData<Webhook[]>(keys.webhooks, (list) => withHook(list, now)),
  });
  const remove = useMutation({
    mutationFn: () => api.removeWebhook(hook.id),
    onSuccess: () => qc.setQueryData<Webhook[]>(keys.webhooks, (list) => list?.filter((h) => h.id !== hook.id)),
    // Gone already (removed from another device): the list as it is now.
    onError: (e) => {
      if (isApiError(e) && e.status === 404) void qc.invalidateQueries({ queryKey: keys.webhooks });
    },
  });
  const state = hookState(hook);
  const logId = `webhook-log-${hook.id}`;
  return (
    <li className="webhook-row" data-testid="webhook" data-id={hook.id} data-state={state}>
      <div className="webhook-head">
        <span className="webhook-url" title={hook.url} data-testid="webhook-url">
          {hook.url}
        </span>
        <span className={`job-state ${state === 'active' ? 'state-done' : 'state-dead'}`} data-testid="webhook-state">
          {t(`webhooks.${state}`)}
        </span>
      </div>
      <div className="job-meta small muted">
        <span data-testid="webhook-target">
          <HookTarget chatId={hook.chat_id} />
        </span>
        <span>{t('webhooks.added', { date: formatDateTime(hook.created_at, lang) })}</span>
        {hook.failures > 0 && state === 'active' ? (
          <span className="danger-text" data-testid="webhook-failures">
            {t('webhooks.failures', { count: hook.failures })}
          </span>
        ) : null}
      </div>
      {hook.disabled_at ? (
        <div className="error-note webhook-off" role="status" data-testid="webhook-disabled">
          <Icon name="alert" size={16} />
          <span className="fill">
            {t('webhooks.disabledNote', { date: formatDateTime(hook.disabled_at, lang), count: Math.max(hook.failures, FAILURES_TO_DISABLE) })}
          </span>
          <button type="button" className="button small" onClick={() => enable.mutate()} disabled={enable.isPending} data-testid="webhook-enable">
            <Icon name="refresh" size={14} /> {t('webhooks.enable')}
          </button>
        </div>
      ) : null}
      <ErrorNote error={enable.error ?? remove.error} />
      <div className="row job-actions">
        <button
          type="button"
          className="button small"
          aria-expanded={open}
          aria-controls={logId}
          onClick={() => setOpen((o) => !o)}
          data-testid="webhook-log-toggle"
        >
          <Icon name="down" size={14} /> {t(open ? 'webhooks.hideLog' : 'webhooks.log')}
        </button>
        <button
          type="button"
          className="button small ghost danger-text"
          onClick={() => setConfirming(true)}
          disabled={remove.isPending}
          aria-label={t('webhooks.removeOne', { url: hook.url })}
          data-testid="webhook-remove"
        >
          {t('webhooks.remove')}
        </button>
      </div>
      {open ? <DeliveryLogView hookId={hook.id} id={logId} /> : null}
      {confirming ? (
        <Modal title={t('webhooks.removeTitle')} onClose={closeConfirm}>
          <p className="webhook-url-whole">{t('webhooks.removeText', { url: hook.url })}</p>
          <div className="modal-actions">
            <button type="button" className="button" onClick={closeConfirm}>
              {t('common.cancel')}
            </button>
            <button
              type="button"
              className="button danger"
              onClick={() => {
                setConfirming(false);
                remove.mutate();
              }}
              data-testid="confirm-remove-webhook"
            >
              {t('webhooks.remove')}
            </button>
          </div>
        </Modal>
      ) : null}
    </li>
  );
}

type DeliveryList = InfiniteData<DeliveryPage, string | undefined>;

/** A hook's deliveries, newest first, a page at a time; asked again every few seconds while one is pending. */
function DeliveryLogView({ hookId, id }: { hookId: number; id: string }) {
  const { t } = useI18n();
  const log = useInfiniteQuery<DeliveryPage, Error, DeliveryList, ReturnType<typeof keys.webhookDeliveries>, string | undefined>({
    queryKey: keys.webhookDeliveries(hookId),
    queryFn: ({ pageParam }) => api.webhookDeliveries(hookId, pageParam),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.items.some((d) => d.state === 'pending')) ? 2000 : false),
  });
  const items = log.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="webhook-log stack" id={id} aria-label={t('webhooks.log')} data-testid="webhook-log">
      <div className="row">
        <h3 className="section-title fill">{t('webhooks.log')}</h3>
        <button type="button" className="button small ghost" onClick={() => void log.refetch()} disabled={log.isFetching} data-testid="webhook-log-refresh">
          <Icon name="refresh" size={14} /> {t('webhooks.refresh')}
        </button>
      </div>
      {log.isPending ? <Spinner label={t('common.loading')} /> : null}
      <ErrorNote error={log.error} onRetry={() => void log.refetch()} />
      {log.isSuccess && items.length === 0 ? <p className="muted small">{t('webhooks.noDeliveries')}</p> : null}
      {items.length > 0 ? (
        <ul className="plain-list delivery-list">
          {items.map((d) => (
            <DeliveryRow key={d.id} delivery={d} />
          ))}
        </ul>
      ) : null}
      {log.hasNextPage ? (
        <button type="button" className="button small" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage} data-testid="webhook-log-more">
          {log.isFetchingNextPage ? <Spinner label={t('common.loading')} /> : null} {t('webhooks.more')}
        </button>
      ) : null}
    </section>
  );
}

const DELIVERY_CLASS = { pending: 'state-ready', delivered: 'state-done', failed: 'state-dead' } as const;

function DeliveryRow({ delivery: d }: { delivery: DeliveryLog }) {
  const { t, lang } = useI18n();
  const last = lastAttempt(d);
  return (
    <li className="delivery-row" data-testid="delivery" data-state={d.state} data-status={last?.status ?? undefined}>
      <div className="webhook-head">
        <code className="delivery-event">{d.event}</code>
        <span className={`job-state ${DELIVERY_CLASS[d.state]}`} data-testid="delivery-state">
          {t(`webhooks.state.${d.state}`)}
        </span>
      </div>
      <div className="job-meta small muted">
        <time dateTime={new Date(d.created_at).toISOString()} title={formatExact(d.created_at, lang)}>
          {formatDateTime(d.created_at, lang)}
        </time>
        <span>{t('webhooks.attempts', { count: d.attempts.length })}</span>
      </div>
      {last ? (
        <p className="delivery-attempt small" data-testid="delivery-attempt">
          <span className="muted">{t('webhooks.lastAttempt')}:</span> {attemptText(last, t)}
        </p>
      ) : null}
    </li>
  );
}

/** The new hook's secret, with a copy button: the server shows it this once. */
function SecretPanel({ hook, onDone }: { hook: Webhook; onDone: () => void }) {
  const { t } = useI18n();
  const secret = hook.secret ?? '';
  return (
    <div className="webhook-secret stack" role="status" data-testid="webhook-secret">
      <p className="success">
        <Icon name="check" size={16} /> {t('webhooks.addedNow')}
      </p>
      <p>{t('webhooks.secretOnce')}</p>
      <code className="secret" aria-label={t('webhooks.secret')} data-testid="webhook-secret-value">
        {secret}
      </code>
      <CopyThenDone
        value={secret}
        labels={{ copy: t('webhooks.copy'), copied: t('webhooks.copied'), done: t('webhooks.secretDone') }}
        testId="webhook-secret"
        onDone={onDone}
      />
    </div>
  );
}

function AddForm({ onAdded }: { onAdded: (hook: Webhook) => void }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const errorText = useErrorText();
  const chats = useChats();
  const [form, setForm] = useState<WebhookForm>({ url: '', chat: '' });
  const add = useMutation({
    mutationFn: (hook: NewWebhook) => api.addWebhook(hook),
    onSuccess: (hook) => {
      qc.setQueryData<Webhook[]>(keys.webhooks, (list) => withHook(list, hook));
      setForm({ url: '', chat: '' });
      onAdded(hook);
    },
  });
  const error = add.error;
  const elsewhere = error && !fieldError(error, 'url') ? error : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate(newWebhook(form));
  };
  return (
    // The server checks the URL (and says why at the field), not the browser.
    <form className="stack webhook-form" onSubmit={submit} noValidate data-testid="webhook-form">
      <h3 className="section-title">{t('webhooks.new')}</h3>
      <Field label={t('webhooks.url')} error={fieldError(error, 'url')}>
        {(p) => (
          <input
            {...p}
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="https://example.com/hook"
            value={form.url}
            onChange={(e) => setForm((f) => ({ ...f, url: e.target.value }))}
            data-testid="webhook-url-input"
          />
        )}
      </Field>
      <Field label={t('webhooks.which')}>
        {(p) => (
          <select {...p} value={form.chat} onChange={(e) => setForm((f) => ({ ...f, chat: e.target.value }))} data-testid="webhook-chat">
            <option value="">{t('webhooks.all')}</option>
            {(chats.data ?? []).map((c) => (
              <ChatOption key={c.id} chat={c} />
            ))}
          </select>
        )}
      </Field>
      {elsewhere ? (
        <p className="error-note" role="alert" data-testid="webhook-add-error">
          <Icon name="alert" size={16} /> {addErrorText(elsewhere, t, errorText)}
        </p>
      ) : null}
      <div className="row">
        <button type="submit" className="button primary" disabled={add.isPending || !form.url.trim()} data-testid="webhook-add">
          <Icon name="plus" size={16} /> {t('webhooks.add')}
        </button>
      </div>
    </form>
  );
}
