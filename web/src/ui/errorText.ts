/**
 * What an error says to a person, in the UI language: every API error code has its own
 * text, a field that breaks a rule says which rule (the server's 422 names the field and
 * gives the rule in English in `message`: we read the rule and translate it), and a
 * `Retry-After` reads as a duration ("Try again in 15 minutes").
 */
import { isApiError, type ApiError, type ErrorCode } from '../api/errors';
import type { JobState } from '../api/types';
import { formatNumber, formatSize } from '../i18n/format';
import type { Key, Lang, Vars } from '../i18n/index';

type T = (key: Key, vars?: Vars) => string;

/** The server's validation messages (crates/*: `ApiError::validation`), as rules. */
const RULES: [RegExp, (m: RegExpMatchArray) => [Key, Vars?]][] = [
  [/^(?:must be )?at most (\d+) (?:UTF-16 code units|characters)$/, (m) => ['rule.maxLength', { count: Number(m[1]) }]],
  [/^must be at least (\d+) characters$/, (m) => ['rule.minLength', { count: Number(m[1]) }]],
  [/^must be (\d+) to (\d+) characters$/, (m) => ['rule.lengthRange', { min: m[1] ?? '', count: Number(m[2]) }]],
  [/^must be (\d+) to (\d+) characters on one line$/, (m) => ['rule.lengthRangeLine', { min: m[1] ?? '', count: Number(m[2]) }]],
  [/^must be 1 to 32 characters a-z, 0-9 or _$/, () => ['rule.usernameChars']],
  [/^is too simple/, () => ['rule.tooSimple']],
  [/^must not be the username$/, () => ['rule.notUsername']],
  [/^must start with a letter$/, () => ['rule.startLetter']],
  [/^may contain only letters a-z, digits and _$/, () => ['rule.usernameChars']],
  [/^must contain visible characters$/, () => ['rule.visible']],
  [/^must be one line$/, () => ['rule.oneLine']],
  [/^must not contain (?:bidirectional )?control characters$/, () => ['rule.controlChars']],
  [/^is required/, () => ['rule.required']],
  [/^must be between (\d+) and (\d+)$/, (m) => ['rule.between', { min: m[1] ?? '', max: m[2] ?? '' }]],
  [/^must be in the future$/, () => ['rule.future']],
  [/^must be one standard emoji$/, () => ['rule.emoji']],
  [/^this invite code is not valid/, () => ['rule.inviteCode']],
  [/^the code does not match/, () => ['rule.totpCode']],
  [/^needs at least one word$/, () => ['rule.oneWord']],
  // an avatar (crates/chats-api/src/avatar.rs, crates/files: `?purpose=avatar`)
  [/^not an attach token of one of your files$/, () => ['rule.avatarToken']],
  [/^the token expired/, () => ['rule.avatarExpired']],
  [/^not an avatar file/, () => ['rule.notAvatar']],
  [/^the picture is still being processed/, () => ['rule.avatarProcessing']],
  [/^the picture could not be processed$/, () => ['rule.avatarFailed']],
  [/^an avatar must be an image$/, () => ['rule.avatarImage']],
  // quiet hours (crates/notify/src/quiet.rs)
  [/^must be a time of day/, () => ['rule.timeOfDay']],
  [/^must be an IANA time zone name/, () => ['rule.timeZone']],
  // email (crates/notify/src/email.rs)
  [/^must be an email address$/, () => ['rule.email']],
  [/^must be (\d+) \(never\) to (\d+)/, (m) => ['rule.between', { min: m[1] ?? '', max: m[2] ?? '' }]],
  // the AI provider's address (crates/automation/src/content/provider.rs), before a webhook's
  [/^must be an http\(s\) URL such as https:\/\/api\.openai\.com\/v1$/, () => ['rule.baseUrl']],
  // a webhook (crates/notify/src/hooks.rs)
  [/^must be an http\(s\) URL/, () => ['rule.httpUrl']],
  // a bot's username (crates/bots/src/service.rs)
  [/^a bot's username is 5 to 32 characters and ends in "bot"$/, () => ['rule.botUsername']],
  // an invite link (crates/chats/src/invites.rs)
  [/^at most (\d+) characters on one line$/, (m) => ['rule.maxLengthLine', { count: Number(m[1]) }]],
  [/^a link that needs approval has no usage limit$/, () => ['rule.approvalNoLimit']],
  // automation (crates/automation/src/service.rs, audience.rs)
  [/^account \d+ is not in that chat$/, () => ['rule.accountNotInChat']],
  [/^account \d+ cannot act now/, () => ['rule.accountCannotAct']],
  [/^no (?:such )?account(?: \d+)? of yours$/, () => ['rule.noSuchAccount']],
  [/^no such audience of yours$/, () => ['rule.noSuchAudience']],
  [/^give 1 to (\d+) of your accounts$/, (m) => ['rule.accountCount', { count: Number(m[1]) }]],
  [/^must be at least (\d+)$/, (m) => ['rule.atLeast', { min: m[1] ?? '' }]],
  [/^must be at least pause_min_secs and at most a week$/, () => ['rule.pauseMax']],
  [/^not an ISO 3166 country code$/, () => ['rule.region']],
  [/^an import holds at most (\d+) bytes$/, (m) => ['rule.importSize', { count: Number(m[1]) }]],
  [/^an audience holds at most (\d+) people$/, (m) => ['rule.audienceSize', { count: Number(m[1]) }]],
  // the content pipeline (crates/automation/src/content/)
  [/^must contain \{(\w+)\}, where it goes$/, (m) => ['rule.placeholder', { name: `{${m[1] ?? ''}}` }]],
  [/^must be 0 to 1000 \(US dollars per million tokens\)$/, () => ['rule.price']],
  [/^must be at most (\d+) characters, without spaces$/, (m) => ['rule.apiKey', { count: Number(m[1]) }]],
  [/^must contain visible text$/, () => ['rule.visible']],
  [/^the text is (\d+) UTF-16 units; a post may be at most (\d+)$/, (m) => ['rule.postLength', { length: m[1] ?? '', count: Number(m[2]) }]],
  [/^no such file of yours$/, () => ['rule.noSuchFile']],
  [/^the file is \d+ bytes; a book may be at most (\d+)$/, (m) => ['rule.bookSize', { max: Math.floor(Number(m[1]) / 1048576) }]],
  [/ is not a book this server reads/, () => ['rule.notBook']],
  [/^no such block of this book$/, () => ['rule.noSuchBlock']],
  [/^the block has no summary yet$/, () => ['rule.noSummary']],
];

/** The size a 422 `image_too_large` names, and the limit it broke (megapixels, or pixels a side). */
function pictureLimit(key: 'files.tooManyPixels' | 'files.tooWide', m: RegExpMatchArray, t: T, lang: Lang): string {
  const max = key === 'files.tooManyPixels' ? Number(m[3]) / 1_000_000 : Number(m[3]);
  return t(key, { width: formatNumber(Number(m[1]), lang), height: formatNumber(Number(m[2]), lang), max: formatNumber(max, lang, 1), count: max });
}

/**
 * The server's messages that say more than their code, in words: a 409 from the jobs API
 * (crates/core/src/job_board.rs: "a cancelled job cannot be cancelled"; any other 409 reads as
 * `error.conflict`), the limit a 413 `file_too_large` names (crates/files: "a file may have
 * at most 1000 bytes"), and the size and limit of a picture refused as `image_too_large`
 * (crates/media: "the picture is 10000×10000 pixels: at most 50000000 pixels are processed",
 * "…: 30000×10 pixels: at most 20000 pixels a side").
 */
const MESSAGES: [ErrorCode, RegExp, (m: RegExpMatchArray, t: T, lang: Lang) => string][] = [
  ['conflict', /^a (ready|running|done|dead|cancelled) job cannot be cancelled$/, (m, t) => t('jobs.conflictCancel', { state: t(`jobs.state.${m[1] as JobState}`) })],
  ['conflict', /^a (ready|running|done|dead|cancelled) job cannot be retried$/, (m, t) => t('jobs.conflictRetry', { state: t(`jobs.state.${m[1] as JobState}`) })],
  ['file_too_large', /^(a file|an image) may have at most (\d+) bytes$/, (m, t, lang) =>
    t(m[1] === 'an image' ? 'files.tooLargeImage' : 'files.tooLargeFile', { size: formatSize(Number(m[2]), lang) })],
  ['image_too_large', /^the picture is (\d+)×(\d+) pixels: at most (\d+) pixels are processed/, (m, t, lang) => pictureLimit('files.tooManyPixels', m, t, lang)],
  ['image_too_large', /(\d+)×(\d+) pixels: at most (\d+) pixels a side/, (m, t, lang) => pictureLimit('files.tooWide', m, t, lang)],
  // the content pipeline (crates/automation/src/content/): `wrong_state` says more than "this state"
  ['wrong_state', /^every summarised block of this book has a post/, (_m, t) => t('content.noUnusedSummary')],
  ['wrong_state', /^the book is \w+, not ready$/, (_m, t) => t('content.notReady')],
  ['wrong_state', /^the model is still writing this post$/, (_m, t) => t('content.stillWriting')],
  ['wrong_state', /^a post without text cannot be approved$/, (_m, t) => t('content.emptyApprove')],
];

/** Inputs the UI has, named for errors shown away from their field. */
const FIELDS: Record<string, Key> = {
  username: 'auth.username',
  password: 'auth.password',
  new_password: 'settings.newPassword',
  current_password: 'settings.currentPassword',
  invite_code: 'auth.inviteCode',
  display_name: 'settings.displayName',
  bio: 'settings.bio',
  title: 'newChat.name',
  description: 'field.description',
  text: 'field.text',
  code: 'auth.code',
  totp_code: 'auth.code',
  avatar: 'avatar.photo',
  purpose: 'avatar.photo',
  time_zone: 'quiet.timeZone',
  from: 'quiet.from',
  to: 'quiet.to',
  address: 'email.address',
  unread_after_minutes: 'email.unreadAfter',
  digest_at: 'email.digestAt',
  url: 'webhooks.url',
  name: 'bots.name',
  usage_limit: 'field.usageLimit',
  expires_in_secs: 'field.expiry',
  daily_limit: 'automation.dailyLimit',
  token: 'automation.agentUsername',
  account_ids: 'automation.actingAccounts',
  account_id: 'automation.account',
  audience_id: 'automation.audience',
  audience_name: 'automation.audienceName',
  target_chat_id: 'automation.targetChat',
  source_chat_id: 'automation.sourceChat',
  max_people: 'automation.maxPeople',
  link_text: 'automation.linkText',
  pause_min_secs: 'automation.pauseMin',
  pause_max_secs: 'automation.pauseMax',
  region: 'automation.region',
  file_id: 'content.bookFile',
  base_url: 'content.baseUrl',
  api_key: 'content.apiKey',
  model: 'content.model',
  summary_prompt: 'content.summaryPrompt',
  post_prompt: 'content.postPrompt',
  price_in: 'content.priceIn',
  price_out: 'content.priceOut',
  requests_per_minute: 'content.rpm',
  markdown: 'content.markdown',
};

/** The rule a validation error breaks, in words; null when the message is not one we know. */
export function ruleText(e: ApiError, t: T): string | null {
  for (const [re, make] of RULES) {
    const m = e.message.match(re);
    if (m) {
      const [key, vars] = make(m);
      return t(key, vars);
    }
  }
  return null;
}

/** "15 minutes", "15 минут" (after "in"/"через"): whole seconds, minutes or hours, rounded up. */
export function durationText(secs: number, t: T): string {
  if (secs < 60) return t('time.seconds', { count: Math.max(1, Math.ceil(secs)) });
  const minutes = Math.ceil(secs / 60);
  if (minutes < 90) return t('time.minutes', { count: minutes });
  return t('time.hours', { count: Math.ceil(secs / 3600) });
}

/** Whether the same request may succeed later: not for 4xx (but 408, 429), yes for the rest. */
export function isRetryable(e: unknown): boolean {
  if (!isApiError(e)) return true;
  if (e.status === 0 || e.status >= 500) return true;
  return e.status === 408 || e.status === 429;
}

export interface ErrorTextOptions {
  /** Shown under its own field: no need to name the field. */
  inField?: boolean;
  /** The UI language, for the numbers some texts carry (sizes); English when not given. */
  lang?: Lang;
}

export function errorText(e: unknown, t: T, opts: ErrorTextOptions = {}): string {
  if (!e) return '';
  if (!isApiError(e)) return e instanceof Error ? e.message : String(e);
  if (e.code === 'validation_failed') {
    const rule = ruleText(e, t) ?? t('error.validation_failed');
    const label = e.field ? FIELDS[e.field] : undefined;
    return !opts.inField && label ? t('error.fieldRule', { field: t(label), rule: rule.charAt(0).toLowerCase() + rule.slice(1) }) : rule;
  }
  for (const [code, re, make] of MESSAGES) {
    const m = code === e.code ? e.message.match(re) : null;
    if (m) return make(m, t, opts.lang ?? 'en');
  }
  const key = `error.${e.code}` as Key;
  let text = t(key);
  if (text === key) text = e.status >= 500 ? t('error.internal') : t('error.unknown');
  if (e.retryAfter !== undefined && isRetryable(e)) text += ` ${t('error.retryIn', { time: durationText(e.retryAfter, t) })}`;
  else if (e.status >= 500 || e.status === 429) text += ` ${t('error.retrySoon')}`;
  return text;
}
