/**
 * Invite links (docs/api.md "Invite links"): the address one shares, which links still admit
 * people, and what the link form sends. A link may have a name (for those who manage links),
 * an expiry, a usage limit, or need an admin's approval (then it has no usage limit: each
 * request is decided on its own). Editing a link replaces all its terms at once.
 */
import type { InviteLink, InviteOptions } from '../../api/types';

export function inviteUrl(code: string, origin: string = window.location.origin): string {
  return `${origin}/join/${encodeURIComponent(code)}`;
}

/** Whether a link still admits people: not revoked, not expired, not used up. */
export function isWorking(link: InviteLink, now: number): boolean {
  return !link.revoked && (!link.expires_at || link.expires_at > now) && (!link.usage_limit || link.uses < link.usage_limit);
}

/** The longest name a link may have (characters). */
export const MAX_LINK_NAME = 32;

/** The expiries the form offers, in seconds from now: never, an hour, a day, a week, 30 days. */
export const EXPIRIES = [0, 3600, 86_400, 604_800, 2_592_000] as const;

/** When the link stops working: as it is now (`keep`, an edited link with an expiry), or seconds from now (0: never). */
export type Expiry = 'keep' | number;

/** The link form as typed. */
export interface InviteForm {
  name: string;
  approval: boolean;
  expiry: Expiry;
  /** The usage limit as typed ("" for none). */
  limit: string;
}

/** The form for a new link (no `link`), or filled with a link's terms to edit them. */
export function inviteForm(link?: InviteLink): InviteForm {
  return {
    name: link?.name ?? '',
    approval: link?.needs_approval ?? false,
    expiry: link?.expires_at ? 'keep' : 0,
    limit: link?.usage_limit ? String(link.usage_limit) : '',
  };
}

/**
 * What the form sends, for a new link or in place of an edited link's terms: the name
 * trimmed, an expiry kept as the seconds left (at least the minute the server asks for), and
 * no usage limit on a link that needs approval.
 */
export function inviteOptions(form: InviteForm, link: InviteLink | undefined, now: number): InviteOptions {
  const options: InviteOptions = { name: form.name.trim(), needs_approval: form.approval };
  if (form.expiry === 'keep') {
    if (link?.expires_at) options.expires_in_secs = Math.max(60, Math.ceil((link.expires_at - now) / 1000));
  } else if (form.expiry > 0) {
    options.expires_in_secs = form.expiry;
  }
  const limit = form.limit.trim();
  if (!form.approval && limit !== '' && Number.isFinite(Number(limit))) options.usage_limit = Number(limit);
  return options;
}

/** The links with `link` as the server answers it now: replaced where it is, else first (newest first). */
export function withLink(list: InviteLink[] | undefined, link: InviteLink): InviteLink[] {
  const links = list ?? [];
  return links.some((l) => l.code === link.code) ? links.map((l) => (l.code === link.code ? link : l)) : [link, ...links];
}
