import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { ChatInfo, InviteLink, InviteOptions } from '../../api/types';
import { formatDateTime } from '../../i18n/format';
import { useI18n, type Key } from '../../i18n/index';
import { keys } from '../../state/keys';
import { copyText } from '../../ui/clipboard';
import { ErrorNote, Field, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { useSession } from '../auth/useSession';
import { EXPIRIES, MAX_LINK_NAME, inviteForm, inviteOptions, inviteUrl, isWorking, withLink, type InviteForm as Form } from './invites';
import { decidesJoins } from './joinRequests';

const EXPIRY_LABELS: Record<(typeof EXPIRIES)[number], Key> = {
  0: 'invites.expiryNever',
  3600: 'invites.expiryHour',
  86_400: 'invites.expiryDay',
  604_800: 'invites.expiryWeek',
  2_592_000: 'invites.expiryMonth',
};

/**
 * The chat's working invite links (for those who may invite): each with its name, whether it
 * needs approval, its uses and terms; copy, edit (its maker, or those who may change the
 * chat's info; one that needs approval, those who decide) and revoke. "New link" opens the form: a name, approval (admins and the owner
 * only), an expiry and a usage limit; the new link is copied at once.
 */
export function InviteLinks({ chat }: { chat: ChatInfo }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const me = useSession().account?.id ?? 0;
  const invites = useQuery({ queryKey: keys.invites(chat.id), queryFn: () => api.invites(chat.id) });
  const [copied, setCopied] = useState<string | null>(null);
  // The open form: a new link's, or the code of the link being edited.
  const [open, setOpen] = useState<{ code: string | null } | null>(null);
  const active = (invites.data ?? []).filter((l) => isWorking(l, Date.now()));
  const decides = decidesJoins(chat);
  // Its maker, or those who may change the chat's info; a link that needs approval only by
  // those who decide (the server refuses approval to others).
  const mayEdit = (l: InviteLink) => (l.created_by === me || chat.my_permissions.includes('change_info')) && (decides || !l.needs_approval);
  const store = (link: InviteLink) => qc.setQueryData<InviteLink[]>(keys.invites(chat.id), (list) => withLink(list, link));

  const create = useMutation({
    mutationFn: (req: InviteOptions) => api.createInvite(chat.id, req),
    onSuccess: async (link) => {
      store(link);
      setOpen(null);
      if (await copyText(inviteUrl(link.code))) setCopied(link.code);
    },
  });
  const edit = useMutation({
    mutationFn: ({ code, req }: { code: string; req: InviteOptions }) => api.editInvite(chat.id, code, req),
    onSuccess: (link) => {
      store(link);
      setOpen(null);
    },
    // Revoked meanwhile: the list as it is now.
    onError: (e) => {
      if (isApiError(e) && e.status === 404) void qc.invalidateQueries({ queryKey: keys.invites(chat.id) });
    },
  });
  const revoke = useMutation({
    mutationFn: (code: string) => api.revokeInvite(chat.id, code),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.invites(chat.id) }),
  });
  const close = () => {
    create.reset();
    edit.reset();
    setOpen(null);
  };

  return (
    <section className="panel-section" data-testid="invite-links">
      <div className="section-head">
        <h3 className="section-title">{t('invites.title')}</h3>
        <button
          type="button"
          className="button small"
          onClick={() => {
            close();
            if (open?.code !== null) setOpen({ code: null });
          }}
          aria-expanded={open?.code === null}
          data-testid="create-invite"
        >
          <Icon name="link" size={16} /> {t('invites.create')}
        </button>
      </div>
      {open?.code === null ? (
        <InviteForm decides={decides} error={create.error} pending={create.isPending} onCancel={close} onSave={(form) => create.mutate(inviteOptions(form, undefined, Date.now()))} />
      ) : null}
      <ErrorNote error={revoke.error} />
      {active.length === 0 && !invites.isPending ? <p className="muted small">{t('invites.none')}</p> : null}
      <ul className="plain-list">
        {active.map((l) => (
          <li key={l.code} className="invite-row" data-testid="invite-row">
            {l.name || l.needs_approval ? (
              <span className="invite-head">
                {l.name ? (
                  <span className="invite-name" data-testid="invite-name">
                    {l.name}
                  </span>
                ) : null}
                {l.needs_approval ? (
                  <span className="tag invite-approval" data-testid="invite-approval">
                    <Icon name="shield" size={12} /> {t('invites.approvalMark')}
                  </span>
                ) : null}
              </span>
            ) : null}
            <input className="invite-url" readOnly value={inviteUrl(l.code)} aria-label={t('invites.link')} onFocus={(e) => e.currentTarget.select()} data-testid="invite-url" />
            <InviteTerms link={l} />
            {open?.code === l.code ? (
              <InviteForm
                link={l}
                decides={decides}
                error={edit.error}
                pending={edit.isPending}
                onCancel={close}
                onSave={(form) => edit.mutate({ code: l.code, req: inviteOptions(form, l, Date.now()) })}
              />
            ) : (
              <span className="row">
                <button
                  type="button"
                  className="button small"
                  onClick={async () => {
                    if (await copyText(inviteUrl(l.code))) setCopied(l.code);
                  }}
                >
                  <Icon name={copied === l.code ? 'check' : 'copy'} size={14} /> {copied === l.code ? t('invites.copied') : t('invites.copy')}
                </button>
                {mayEdit(l) ? (
                  <button
                    type="button"
                    className="button small"
                    onClick={() => {
                      edit.reset();
                      setOpen({ code: l.code });
                    }}
                    data-testid="invite-edit"
                  >
                    <Icon name="edit" size={14} /> {t('invites.edit')}
                  </button>
                ) : null}
                <button type="button" className="button small ghost danger-text" onClick={() => revoke.mutate(l.code)}>
                  {t('invites.revoke')}
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** "used 3 times · up to 10 people · expires …". */
function InviteTerms({ link }: { link: InviteLink }) {
  const { t, lang } = useI18n();
  const parts = [t('invites.uses', { count: link.uses })];
  if (link.usage_limit) parts.push(t('invites.limitOf', { count: link.usage_limit }));
  if (link.expires_at) parts.push(t('invites.expires', { date: formatDateTime(link.expires_at, lang) }));
  return (
    <span className="muted small" data-testid="invite-uses">
      {parts.join(' · ')}
    </span>
  );
}

/**
 * A link's terms: a new link's (no `link`), or an edited link's, which the form replaces all
 * at once. The approval switch shows only to those who decide on requests; with it on there
 * is no usage limit. The server checks the rest and says why at the field.
 */
function InviteForm({
  link,
  decides,
  error,
  pending,
  onCancel,
  onSave,
}: {
  link?: InviteLink;
  decides: boolean;
  error: unknown;
  pending: boolean;
  onCancel: () => void;
  onSave: (form: Form) => void;
}) {
  const { t, lang } = useI18n();
  const [form, setForm] = useState<Form>(() => inviteForm(link));
  const set = (change: Partial<Form>) => setForm((f) => ({ ...f, ...change }));
  const fields = ['name', 'expires_in_secs', 'usage_limit'];
  const elsewhere = error && !fields.some((f) => fieldError(error, f)) ? error : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSave(form);
  };
  return (
    <form className="stack invite-form" onSubmit={submit} aria-label={t(link ? 'invites.editTitle' : 'invites.new')} data-testid="invite-form">
      <Field label={t('invites.name')} error={fieldError(error, 'name')} hint={t('invites.nameHint')}>
        {(p) => (
          <input
            {...p}
            value={form.name}
            maxLength={MAX_LINK_NAME}
            autoComplete="off"
            placeholder={t('invites.namePlaceholder')}
            onChange={(e) => set({ name: e.target.value })}
            data-testid="invite-name-input"
          />
        )}
      </Field>
      {decides ? (
        <label className="switch-row">
          <input type="checkbox" role="switch" checked={form.approval} onChange={(e) => set({ approval: e.target.checked })} data-testid="invite-approval-input" />
          <span className="person-text">
            <span className="person-name">{t('invites.approval')}</span>
            <span className="muted small">{t('invites.approvalHint')}</span>
          </span>
        </label>
      ) : null}
      <Field label={t('invites.expiry')} error={fieldError(error, 'expires_in_secs')}>
        {(p) => (
          <select
            {...p}
            value={String(form.expiry)}
            onChange={(e) => set({ expiry: e.target.value === 'keep' ? 'keep' : Number(e.target.value) })}
            data-testid="invite-expiry-input"
          >
            {link?.expires_at ? <option value="keep">{t('invites.expiryKeep', { date: formatDateTime(link.expires_at, lang) })}</option> : null}
            {EXPIRIES.map((secs) => (
              <option key={secs} value={String(secs)}>
                {t(EXPIRY_LABELS[secs])}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('invites.limit')} error={fieldError(error, 'usage_limit')} hint={form.approval ? t('invites.limitOff') : t('invites.limitHint')}>
        {(p) => (
          <input
            {...p}
            type="number"
            inputMode="numeric"
            min={1}
            max={100_000}
            step={1}
            value={form.approval ? '' : form.limit}
            disabled={form.approval}
            onChange={(e) => set({ limit: e.target.value })}
            data-testid="invite-limit-input"
          />
        )}
      </Field>
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="button" className="button small ghost" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="button small primary" disabled={pending} data-testid="invite-save">
          {link ? t('common.save') : t('invites.createLink')}
        </button>
      </div>
    </form>
  );
}
