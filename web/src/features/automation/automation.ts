/**
 * The automation service (docs/automation.md): accounts campaigns act through, audiences of
 * people, the member parser and invite campaigns. What the screens need as plain functions:
 * the states and outcomes they name, what the forms send, signing an agent in without touching
 * this tab's own session, the order of the live log, and CSV downloads with the bearer token.
 */
import { freshToken } from '../../api/client';
import { errorFromResponse, networkError } from '../../api/errors';
import { apiOrigin } from '../../api/origin';
import type { CampaignContact, NewAutomationAccount, NewCampaign, NewParse, NewTelegramLogin } from '../../api/types';
import { session } from '../auth/session';

/** Every state an account can be in, in the order a reader expects them. */
export const ACCOUNT_STATES = ['active', 'paused', 'flood_wait', 'peer_flood', 'logged_out', 'banned'] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

/** Every outcome a campaign's contact can have (`pending`: none yet), in the counters' order. */
export const OUTCOMES = ['invited', 'link_sent', 'already_member', 'privacy_restricted', 'not_mutual_contact', 'not_found', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const CAMPAIGN_STATES = ['running', 'paused', 'finished', 'cancelled'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];
export const PARSE_STATES = ['running', 'finished', 'cancelled', 'failed'] as const;
export type ParseState = (typeof PARSE_STATES)[number];

export const MODES = ['invite', 'link', 'invite_then_link'] as const;
export type Mode = (typeof MODES)[number];

/** What a campaign waits for while running (`waiting`), when it says. */
export const WAITING = ['pause', 'daily_limit', 'flood_wait', 'accounts'] as const;

export const PARSE_SOURCES = ['members', 'authors'] as const;

/** Regions an import may read numbers without a `+` country code as (ISO 3166; "" for none). */
export const REGIONS = ['', 'RU', 'UA', 'BY', 'KZ', 'UZ', 'US', 'GB', 'DE'] as const;

/** The reasons the server gives for a rejected import line (crates/automation/src/audience.rs), as text keys. */
const REJECT_REASONS = [
  [/^a number without a \+country code/, 'automation.reject.noRegion'],
  [/^not a phone number$/, 'automation.reject.notPhone'],
  [/^not a valid phone number$/, 'automation.reject.invalidPhone'],
  [/^neither a phone number nor a username$/, 'automation.reject.neither'],
] as const;

/** A rejected line's reason as a text key, or null for one this client does not know (shown as sent). */
export function rejectReason(reason: string): (typeof REJECT_REASONS)[number][1] | null {
  return REJECT_REASONS.find(([re]) => re.test(reason))?.[1] ?? null;
}

/** The link text a new campaign starts with: `{link}` marks where the link goes. */
export const DEFAULT_LINK_TEXT = 'Join us: {link}';

/** The device name the agent's session is listed under in its own sessions. */
export const AGENT_DEVICE = 'Hybrid automation';

/** A known value of an open string field, or null (a newer server may send others). */
export function known<T extends string>(list: readonly T[], value: string | null | undefined): T | null {
  return (list as readonly string[]).includes(value ?? '') ? (value as T) : null;
}

/** A whole number from a form field: undefined when empty, NaN when not a positive integer. */
export function countField(text: string): number | undefined {
  const t = text.trim();
  if (!t) return undefined;
  return /^\d+$/.test(t) && Number(t) > 0 ? Number(t) : Number.NaN;
}

/** The kinds of account the form connects: a user of this server, or a bot over the Bot API. */
export const CONNECTORS = ['hybrid', 'telegram_bot'] as const;
export type Connector = (typeof CONNECTORS)[number];

/**
 * What the connect form offers: the connectors above, sent to `POST /automation/accounts`, and
 * a Telegram user account (`telegram_user`), signed in by QR code through `/automation/logins`.
 */
export const CONNECT_KINDS = [...CONNECTORS, 'telegram_user'] as const;
export type ConnectKind = (typeof CONNECT_KINDS)[number];

/** The states of a Telegram QR sign-in (`TelegramLogin.state`); it is asked again only while `waiting`. */
export const LOGIN_STATES = ['waiting', 'password_needed', 'done', 'expired', 'failed'] as const;
export type LoginState = (typeof LOGIN_STATES)[number];

/** What starting a Telegram sign-in sends: the daily limit only when given. */
export function newTelegramLogin(name: string, dailyLimit: string): NewTelegramLogin {
  const limit = countField(dailyLimit);
  return { name: name.trim(), ...(limit === undefined ? {} : { daily_limit: limit }) };
}

export interface ConnectForm {
  connector: Connector;
  name: string;
  /** An agent's (connector `hybrid`). */
  username: string;
  password: string;
  totp: string;
  /** A bot's (connector `telegram_bot`): its token, and the Bot API's URL (empty: the server's default, Telegram's). */
  botToken: string;
  endpoint: string;
  dailyLimit: string;
}

/** The agent's login: `totp_code` only once the server asked for it. */
export interface AgentLogin {
  username: string;
  password: string;
  totp_code?: string;
}

export function agentLogin(form: ConnectForm, withCode: boolean): AgentLogin {
  const login: AgentLogin = { username: form.username.trim().replace(/^@/, ''), password: form.password };
  if (withCode && form.totp.trim()) login.totp_code = form.totp.trim();
  return login;
}

/**
 * Signs the agent in and gives its new session's access token. A plain fetch, not the typed
 * client or `session`: those would make the agent the signed-in user of this tab (and
 * `refresh_in_cookie` would replace this browser's refresh cookie). No cookie goes either way;
 * the refresh token in the answer is dropped, so the sealed access token is all that is kept.
 */
export async function signInAgent(login: AgentLogin, fetchImpl: typeof fetch = (...a) => fetch(...a)): Promise<string> {
  let res: Response;
  try {
    res = await fetchImpl(
      new Request(`${apiOrigin()}/api/v1/auth/login`, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ ...login, device_name: AGENT_DEVICE }),
      }),
    );
  } catch {
    throw networkError();
  }
  if (!res.ok) throw await errorFromResponse(res);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

/** Ends a session of the agent that no account keeps (best effort: else it stays in their sessions list). */
async function signOutAgent(token: string, fetchImpl: typeof fetch): Promise<void> {
  try {
    await fetchImpl(new Request(`${apiOrigin()}/api/v1/auth/logout`, { method: 'POST', credentials: 'omit', headers: { authorization: `Bearer ${token}` } }));
  } catch {
    // nothing more to do from here
  }
}

/**
 * The connect flow: sign the agent in, hand the new session's token to `connect` (the API's
 * `POST /automation/accounts`). When the server refuses the account, the session just made is
 * signed out again, so a failed attempt leaves no session behind. A bot is connected with its
 * token as it is: there is nobody to sign in.
 */
export async function connectAgent<A>(
  form: ConnectForm,
  withCode: boolean,
  connect: (req: NewAutomationAccount) => Promise<A>,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): Promise<A> {
  if (form.connector === 'telegram_bot') return connect(newAccount(form, form.botToken.trim()));
  const token = await signInAgent(agentLogin(form, withCode), fetchImpl);
  try {
    return await connect(newAccount(form, token));
  } catch (e) {
    await signOutAgent(token, fetchImpl);
    throw e;
  }
}

export function newAccount(form: ConnectForm, token: string): NewAutomationAccount {
  const limit = countField(form.dailyLimit);
  const endpoint = form.connector === 'telegram_bot' ? form.endpoint.trim() : '';
  return {
    name: form.name.trim(),
    connector: form.connector,
    token,
    ...(endpoint ? { endpoint } : {}),
    ...(limit === undefined ? {} : { daily_limit: limit }),
  };
}

export interface CampaignForm {
  name: string;
  audienceId: string;
  chatId: string;
  accountIds: number[];
  mode: Mode;
  linkText: string;
  pauseMin: string;
  pauseMax: string;
}

/** What the campaign form sends: pauses only when given (the server's default otherwise). */
export function newCampaign(form: CampaignForm): NewCampaign {
  const min = countField(form.pauseMin);
  const max = countField(form.pauseMax);
  return {
    name: form.name.trim(),
    audience_id: Number(form.audienceId),
    target_chat_id: Number(form.chatId),
    account_ids: form.accountIds,
    mode: form.mode,
    ...(form.mode === 'invite' ? {} : { link_text: form.linkText }),
    ...(min === undefined ? {} : { pause_min_secs: min }),
    ...(max === undefined ? {} : { pause_max_secs: max }),
  };
}

export interface ParseForm {
  accountId: string;
  chatId: string;
  source: string;
  maxPeople: string;
  audienceName: string;
}

export function newParse(form: ParseForm): NewParse {
  const max = countField(form.maxPeople);
  return {
    account_id: Number(form.accountId),
    source_chat_id: Number(form.chatId),
    source: form.source,
    audience_name: form.audienceName.trim(),
    ...(max === undefined ? {} : { max_people: max }),
  };
}

/**
 * The live log: contacts that have been tried, most recent attempt first (the API pages them
 * so, `order=recent`; a frame's contact put into a loaded page is sorted into place here);
 * people not tried yet are left out.
 */
export function newestFirst(contacts: readonly CampaignContact[]): CampaignContact[] {
  return contacts.filter((c) => c.outcome || c.attempts > 0).sort((a, b) => b.updated_at - a.updated_at || b.id - a.id);
}


/**
 * Saves a CSV the API makes (`/automation/…/export`) under `name`: fetched with this session's
 * bearer token (a plain link would carry none), then handed to the browser as a Blob.
 */
export async function downloadCsv(path: string, name: string, fetchImpl: typeof fetch = (...a) => fetch(...a)): Promise<void> {
  const token = await freshToken(session);
  let res: Response;
  try {
    res = await fetchImpl(new Request(`${apiOrigin()}/api/v1${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, credentials: 'same-origin' }));
  } catch {
    throw networkError();
  }
  if (!res.ok) throw await errorFromResponse(res);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The click has started the download; the URL is not needed after this turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
