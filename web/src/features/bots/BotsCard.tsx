import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { Bot, BotPage, BotUpdate, NewBot } from '../../api/types';
import { formatDateTime } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, CopyThenDone, ErrorNote, Field, Modal, Spinner, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { RenameForm } from '../../ui/RenameForm';
import { MAX_BOTS, apiBase, getMeUrl, newBot, withBot, withoutBot, type BotForm, type BotList } from './bots';

/** A token to show once: of a bot just made, or a new one. */
interface ShownToken {
  bot: Bot;
  made: boolean;
}

/**
 * Settings → Bots: my bot accounts (name, username, privacy mode), a form that makes one and
 * then shows its token once, rename, a new token (confirmed; shown once), delete (confirmed),
 * and how to point a Bot API library at this server. A server without the bots service (404)
 * shows no card.
 */
export function BotsCard() {
  const { t } = useI18n();
  const bots = useInfiniteQuery<BotPage, Error, BotList, typeof keys.bots, string | undefined>({
    queryKey: keys.bots,
    queryFn: ({ pageParam }) => api.bots(pageParam),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  // The token just made: shown until dismissed, never again.
  const [shown, setShown] = useState<ShownToken | null>(null);
  if (isApiError(bots.error) && bots.error.status === 404) return null;
  const list = bots.data?.pages.flatMap((p) => p.items);
  return (
    <Card title={t('bots.title')} testId="bots">
      <p className="muted small">{t('bots.hint', { max: MAX_BOTS })}</p>
      <HowToConnect />
      {list ? (
        <>
          {list.length === 0 ? (
            <p className="muted small" data-testid="bots-none">
              {t('bots.none')}
            </p>
          ) : (
            <ul className="plain-list bot-list" aria-label={t('bots.list')}>
              {list.map((b) => (
                <BotRow key={b.id} bot={b} onToken={(bot) => setShown({ bot, made: false })} />
              ))}
            </ul>
          )}
          {bots.hasNextPage ? (
            <button type="button" className="button small" onClick={() => void bots.fetchNextPage()} disabled={bots.isFetchingNextPage} data-testid="bots-more">
              {bots.isFetchingNextPage ? <Spinner label={t('common.loading')} /> : null} {t('bots.more')}
            </button>
          ) : null}
          {shown?.bot.token ? <TokenPanel shown={shown} onDone={() => setShown(null)} /> : null}
          <AddForm onMade={(bot) => setShown({ bot, made: true })} />
        </>
      ) : bots.isPending ? (
        <Spinner />
      ) : (
        <ErrorNote error={bots.error} onRetry={() => void bots.refetch()} />
      )}
    </Card>
  );
}

/** Where a library finds this server: closed until asked for. */
function HowToConnect() {
  const { t } = useI18n();
  const base = apiBase();
  return (
    <details className="webhook-help small" data-testid="bots-help">
      <summary>{t('bots.how')}</summary>
      <p>{t('bots.howBase')}</p>
      <code className="webhook-code" data-testid="bots-base">
        {base}
      </code>
      <p>{t('bots.howAiogram')}</p>
      <code className="webhook-code">{`Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base("${base}")))`}</code>
      <p>{t('bots.howPtb')}</p>
      <code className="webhook-code">{`ApplicationBuilder().token(token).base_url("${base}/bot").base_file_url("${base}/file/bot")`}</code>
      <p>{t('bots.howCurl')}</p>
      <code className="webhook-code">{getMeUrl('<token>', base)}</code>
    </details>
  );
}

function BotRow({ bot, onToken }: { bot: Bot; onToken: (bot: Bot) => void }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const [renaming, setRenaming] = useState(false);
  const [confirming, setConfirming] = useState<'token' | 'remove' | null>(null);
  const closeConfirm = useCallback(() => setConfirming(null), []);
  const store = (now: Bot) => qc.setQueryData<BotList>(keys.bots, (list) => withBot(list, now));
  // Gone already (deleted from another device): the list as it is now.
  const gone = (e: unknown) => {
    if (isApiError(e) && e.status === 404) void qc.invalidateQueries({ queryKey: keys.bots });
  };
  const update = useMutation({ mutationFn: (change: BotUpdate) => api.updateBot(bot.id, change), onSuccess: store, onError: gone });
  const token = useMutation({
    mutationFn: () => api.newBotToken(bot.id),
    onSuccess: (now) => {
      store(now);
      onToken(now);
    },
    onError: gone,
  });
  const remove = useMutation({
    mutationFn: () => api.removeBot(bot.id),
    onSuccess: () => qc.setQueryData<BotList>(keys.bots, (list) => withoutBot(list, bot.id)),
    onError: gone,
  });
  const busy = update.isPending || token.isPending || remove.isPending;
  return (
    <li className="bot-row" data-testid="bot" data-id={bot.id}>
      <div className="webhook-head">
        <span className="person-text">
          <span className="person-name" data-testid="bot-name">
            {bot.name}
          </span>
          <span className="muted small" data-testid="bot-username">
            @{bot.username}
          </span>
        </span>
        <span className="muted small">{t('bots.created', { date: formatDateTime(bot.created_at, lang) })}</span>
      </div>
      <label className="switch-row">
        <input
          type="checkbox"
          role="switch"
          checked={update.isPending && update.variables.privacy !== undefined ? Boolean(update.variables.privacy) : bot.privacy}
          disabled={busy}
          onChange={(e) => update.mutate({ privacy: e.target.checked })}
          data-testid="bot-privacy"
        />
        <span className="person-text">
          <span className="person-name">{t('bots.privacy')}</span>
          <span className="muted small">{t('bots.privacyHint')}</span>
        </span>
      </label>
      {renaming ? (
        <RenameForm
          name={bot.name}
          label={t('bots.name')}
          testId="bot-rename"
          error={update.error}
          pending={update.isPending}
          onCancel={() => {
            update.reset();
            setRenaming(false);
          }}
          onSave={(name) => update.mutate({ name }, { onSuccess: () => setRenaming(false) })}
        />
      ) : (
        <ErrorNote error={update.error} />
      )}
      <ErrorNote error={token.error ?? remove.error} />
      <div className="row job-actions">
        {!renaming ? (
          <button type="button" className="button small" onClick={() => setRenaming(true)} disabled={busy} aria-label={t('bots.renameOne', { username: bot.username })} data-testid="bot-rename">
            <Icon name="edit" size={14} /> {t('bots.rename')}
          </button>
        ) : null}
        <button
          type="button"
          className="button small"
          onClick={() => setConfirming('token')}
          disabled={busy}
          aria-label={t('bots.newTokenOne', { username: bot.username })}
          data-testid="bot-token"
        >
          <Icon name="refresh" size={14} /> {t('bots.newToken')}
        </button>
        <button
          type="button"
          className="button small ghost danger-text"
          onClick={() => setConfirming('remove')}
          disabled={busy}
          aria-label={t('bots.removeOne', { username: bot.username })}
          data-testid="bot-remove"
        >
          {t('bots.remove')}
        </button>
      </div>
      {confirming ? (
        <Modal title={t(confirming === 'token' ? 'bots.newTokenTitle' : 'bots.removeTitle')} onClose={closeConfirm}>
          <p>{t(confirming === 'token' ? 'bots.newTokenText' : 'bots.removeText', { username: bot.username })}</p>
          <div className="modal-actions">
            <button type="button" className="button" onClick={closeConfirm}>
              {t('common.cancel')}
            </button>
            <button
              type="button"
              className={`button ${confirming === 'token' ? 'primary' : 'danger'}`}
              onClick={() => {
                setConfirming(null);
                if (confirming === 'token') token.mutate();
                else remove.mutate();
              }}
              data-testid={confirming === 'token' ? 'confirm-bot-token' : 'confirm-remove-bot'}
            >
              {t(confirming === 'token' ? 'bots.newTokenConfirm' : 'bots.remove')}
            </button>
          </div>
        </Modal>
      ) : null}
    </li>
  );
}

/** A token, with a copy button and the call that checks it: the server shows it this once. */
function TokenPanel({ shown, onDone }: { shown: ShownToken; onDone: () => void }) {
  const { t } = useI18n();
  const token = shown.bot.token ?? '';
  return (
    <div className="webhook-secret stack" role="status" data-testid="bot-token-panel">
      <p className="success">
        <Icon name="check" size={16} /> {t(shown.made ? 'bots.createdNow' : 'bots.tokenNow', { username: shown.bot.username })}
      </p>
      <p>{t('bots.tokenOnce')}</p>
      <code className="secret" aria-label={t('bots.token')} data-testid="bot-token-value">
        {token}
      </code>
      <p className="small">{t('bots.tryIt')}</p>
      <code className="webhook-code small" data-testid="bot-getme">
        {getMeUrl(token)}
      </code>
      <CopyThenDone
        value={token}
        labels={{ copy: t('bots.copy'), copied: t('bots.copied'), done: t('bots.done') }}
        testId="bot-token"
        onDone={onDone}
      />
    </div>
  );
}

function AddForm({ onMade }: { onMade: (bot: Bot) => void }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [form, setForm] = useState<BotForm>({ username: '', name: '' });
  const add = useMutation({
    mutationFn: (bot: NewBot) => api.createBot(bot),
    onSuccess: (bot) => {
      qc.setQueryData<BotList>(keys.bots, (list) => withBot(list, bot));
      setForm({ username: '', name: '' });
      onMade(bot);
    },
  });
  const error = add.error;
  const elsewhere = error && !fieldError(error, 'username') && !fieldError(error, 'name') ? error : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate(newBot(form));
  };
  return (
    // The server checks the username and name (and says why at the field), not the browser.
    <form className="stack webhook-form" onSubmit={submit} noValidate data-testid="bot-form">
      <h3 className="section-title">{t('bots.new')}</h3>
      <Field label={t('bots.name')} error={fieldError(error, 'name')}>
        {(p) => (
          <input
            {...p}
            autoComplete="off"
            maxLength={64}
            placeholder={t('bots.namePlaceholder')}
            value={form.name}
            onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))}
            data-testid="bot-name-input"
          />
        )}
      </Field>
      <Field label={t('bots.username')} error={fieldError(error, 'username')} hint={t('bots.usernameHint')}>
        {(p) => (
          <input
            {...p}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={33}
            placeholder="weather_bot"
            value={form.username}
            onChange={(e) => setForm((f) => ({ ...f, username: e.target.value }))}
            data-testid="bot-username-input"
          />
        )}
      </Field>
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="submit" className="button primary" disabled={add.isPending || !form.username.trim() || !form.name.trim()} data-testid="bot-add">
          <Icon name="plus" size={16} /> {t('bots.create')}
        </button>
      </div>
    </form>
  );
}
