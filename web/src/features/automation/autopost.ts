/**
 * Autopost, statistics and alerts (docs/automation.md): schedules that publish approved posts at
 * set times of day to their targets, the numbers per day, and where alerts go. What their
 * screens need as plain functions: the states they name, what the schedule form sends, time
 * zones and weekdays in the reader's language, and the day series the charts draw.
 */
import type { AlertKinds, AlertSettings, AlertSettingsChange, NewSchedule, Schedule, ScheduleChange, StatsDay } from '../../api/types';
import type { Lang } from '../../i18n/index';
import { OUTCOMES } from './automation';

export const SCHEDULE_STATES = ['running', 'stopped'] as const;
export const PUBLICATION_STATES = ['publishing', 'published', 'partial', 'failed', 'empty'] as const;
export const DELIVERY_STATES = ['pending', 'sent', 'failed'] as const;
export const TRIGGERS = ['slot', 'now', 'republish'] as const;
export const ALERT_KINDS = ['job_failed', 'account_down', 'queue_high', 'campaign_finished', 'autopost_failed'] as const satisfies readonly (keyof AlertKinds)[];
export type AlertKind = (typeof ALERT_KINDS)[number];
export const ALERT_STATES = ['pending', 'sent', 'suppressed', 'failed'] as const;

/** The dashboard's ranges, in days. */
export const RANGES = [7, 30, 90] as const;
/** Targets a schedule may have (the server's limit). */
export const MAX_TARGETS = 10;
/** Publications per page of a schedule's log. */
export const LOG_PAGE = 20;
/** ISO weekdays, Monday first. */
export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

/** The browser's time zone (UTC when it does not say). */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Every IANA zone the browser knows, with `also` (a saved schedule's) among them. */
export function timeZones(also?: string): string[] {
  const intl = Intl as { supportedValuesOf?: (key: 'timeZone') => string[] };
  let zones: string[] = [];
  try {
    zones = intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    zones = [];
  }
  const all = new Set(zones);
  for (const z of ['UTC', browserZone(), also ?? '']) if (z) all.add(z);
  return [...all].sort();
}

/** Monday-first short weekday names in `lang` ("Mon" … / "пн" …), by ISO number. */
export function weekdayNames(lang: Lang): { day: number; short: string; long: string }[] {
  const short = new Intl.DateTimeFormat(lang, { weekday: 'short', timeZone: 'UTC' });
  const long = new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' });
  // 2024-01-01 was a Monday.
  return WEEKDAYS.map((day) => {
    const at = Date.UTC(2024, 0, day);
    return { day, short: short.format(at), long: long.format(at) };
  });
}

/** A moment in `zone` ("Mon, 9 Dec, 09:00"); in the browser's zone when none is given. */
export function formatInZone(ms: number, lang: Lang, zone?: string): string {
  try {
    return new Intl.DateTimeFormat(lang, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(zone ? { timeZone: zone } : {}) }).format(ms);
  } catch {
    return new Intl.DateTimeFormat(lang, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
  }
}

/** A time of day as the server takes it: `HH:MM`, 00:00 to 23:59. */
export function isTimeOfDay(text: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(text);
}

export interface TargetForm {
  accountId: string;
  chatId: string;
}

export interface ScheduleForm {
  name: string;
  timezone: string;
  times: string[];
  /** ISO weekdays chosen; all seven is every day. */
  weekdays: number[];
  randomOrder: boolean;
  /** A book's id, or "" for every approved post. */
  sourceId: string;
  targets: TargetForm[];
}

export function emptyScheduleForm(zone = browserZone()): ScheduleForm {
  return { name: '', timezone: zone, times: ['09:00'], weekdays: [...WEEKDAYS], randomOrder: false, sourceId: '', targets: [{ accountId: '', chatId: '' }] };
}

export function scheduleForm(s: Schedule): ScheduleForm {
  return {
    name: s.name,
    timezone: s.timezone,
    times: s.times.length ? [...s.times] : [''],
    weekdays: s.weekdays.length ? [...s.weekdays].sort() : [...WEEKDAYS],
    randomOrder: s.random_order,
    sourceId: s.source_id === null || s.source_id === undefined ? '' : String(s.source_id),
    targets: s.targets.map((t) => ({ accountId: String(t.account_id), chatId: String(t.chat_id) })),
  };
}

/** The times to send: as typed, blank rows left out, without repeats, in order. */
export function formTimes(form: ScheduleForm): string[] {
  return [...new Set(form.times.map((t) => t.trim()).filter(Boolean))].sort();
}

/** A chat id field: an integer (a Telegram group's is negative); NaN when it is not one. */
export function chatIdField(text: string): number {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : Number.NaN;
}

/** What the form cannot send as it is (checked before the server is asked). */
export function scheduleProblems(form: ScheduleForm): ('name' | 'times' | 'weekdays' | 'targets')[] {
  const bad: ('name' | 'times' | 'weekdays' | 'targets')[] = [];
  if (!form.name.trim()) bad.push('name');
  const times = formTimes(form);
  if (times.length === 0 || !times.every(isTimeOfDay)) bad.push('times');
  if (form.weekdays.length === 0) bad.push('weekdays');
  if (form.targets.length === 0 || form.targets.length > MAX_TARGETS || form.targets.some((t) => !t.accountId || !Number.isFinite(chatIdField(t.chatId)))) bad.push('targets');
  return bad;
}

/** Weekdays as the API takes them: omitted (every day) when all seven are chosen. */
function weekdaysOf(form: ScheduleForm): number[] | undefined {
  const days = [...new Set(form.weekdays)].sort();
  return days.length === WEEKDAYS.length ? undefined : days;
}

function targetsOf(form: ScheduleForm) {
  return form.targets.map((t) => ({ account_id: Number(t.accountId), chat_id: chatIdField(t.chatId) }));
}

/** What creating a schedule sends. */
export function newSchedule(form: ScheduleForm): NewSchedule {
  const weekdays = weekdaysOf(form);
  return {
    name: form.name.trim(),
    timezone: form.timezone,
    times: formTimes(form),
    ...(weekdays ? { weekdays } : {}),
    random_order: form.randomOrder,
    source_id: form.sourceId ? Number(form.sourceId) : null,
    targets: targetsOf(form),
  };
}

const sameList = <T>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** What saving an edited schedule sends: the fields that differ (`targets` as a whole; every day as all seven). */
export function scheduleChange(form: ScheduleForm, saved: Schedule): ScheduleChange {
  const change: ScheduleChange = {};
  if (form.name.trim() !== saved.name) change.name = form.name.trim();
  if (form.timezone !== saved.timezone) change.timezone = form.timezone;
  const times = formTimes(form);
  if (!sameList(times, [...saved.times].sort())) change.times = times;
  const days = weekdaysOf(form) ?? [...WEEKDAYS];
  const savedDays = saved.weekdays.length ? [...saved.weekdays].sort() : [...WEEKDAYS];
  if (!sameList(days, savedDays)) change.weekdays = days;
  if (form.randomOrder !== saved.random_order) change.random_order = form.randomOrder;
  const source = form.sourceId ? Number(form.sourceId) : null;
  if (source !== (saved.source_id ?? null)) change.source_id = source;
  const targets = targetsOf(form);
  const savedTargets = saved.targets.map((t) => ({ account_id: t.account_id, chat_id: t.chat_id }));
  if (targets.length !== savedTargets.length || targets.some((t, i) => t.account_id !== savedTargets[i]?.account_id || t.chat_id !== savedTargets[i]?.chat_id)) change.targets = targets;
  return change;
}

/** The day series the dashboard draws: invites per outcome, and posts sent and failed. */
export const INVITE_SERIES = OUTCOMES;
export const POST_SERIES = ['posts_sent', 'posts_failed'] as const;
export type DayField = (typeof INVITE_SERIES)[number] | (typeof POST_SERIES)[number];

export function daySeries(days: readonly StatsDay[], field: DayField): number[] {
  return days.map((d) => d[field] ?? 0);
}

/** Sums of a field over the range. */
export function dayTotal(days: readonly StatsDay[], field: DayField): number {
  return daySeries(days, field).reduce((a, b) => a + b, 0);
}

/** "2024-12-09" as a short date in `lang` ("9 Dec" / "9 дек."). */
export function formatDayLabel(day: string, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

export interface AlertForm {
  accountId: string;
  chatId: string;
  kinds: AlertKinds;
  threshold: string;
  /** Minutes between two alerts of a kind (the API counts seconds). */
  intervalMin: string;
}

export function alertForm(s: AlertSettings): AlertForm {
  return {
    accountId: s.account_id === null || s.account_id === undefined ? '' : String(s.account_id),
    chatId: s.chat_id === null || s.chat_id === undefined ? '' : String(s.chat_id),
    kinds: { ...s.kinds },
    threshold: String(s.queue_threshold),
    intervalMin: String(Math.round(s.min_interval_secs / 60)),
  };
}

/** A whole number ≥ 0 from a field; NaN when it is not one. */
export function wholeField(text: string): number {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : Number.NaN;
}

/** The alert form's fields that cannot be sent as typed. */
export function alertProblems(form: AlertForm): ('chat_id' | 'queue_threshold' | 'min_interval_secs')[] {
  const bad: ('chat_id' | 'queue_threshold' | 'min_interval_secs')[] = [];
  if (form.accountId && !Number.isFinite(chatIdField(form.chatId))) bad.push('chat_id');
  if (!Number.isFinite(wholeField(form.threshold)) || wholeField(form.threshold) < 1) bad.push('queue_threshold');
  if (!Number.isFinite(wholeField(form.intervalMin))) bad.push('min_interval_secs');
  return bad;
}

/** What saving the alert form sends: what differs (no account clears the destination: `account_id: null`). */
export function alertChange(form: AlertForm, saved: AlertSettings): AlertSettingsChange {
  const change: AlertSettingsChange = {};
  const account = form.accountId ? Number(form.accountId) : null;
  if (account !== (saved.account_id ?? null)) change.account_id = account;
  if (account !== null) {
    const chat = chatIdField(form.chatId);
    if (Number.isFinite(chat) && chat !== saved.chat_id) change.chat_id = chat;
  }
  const kinds: Partial<AlertKinds> = {};
  for (const k of ALERT_KINDS) if (form.kinds[k] !== saved.kinds[k]) kinds[k] = form.kinds[k];
  if (Object.keys(kinds).length) change.kinds = kinds;
  const threshold = wholeField(form.threshold);
  if (Number.isFinite(threshold) && threshold !== saved.queue_threshold) change.queue_threshold = threshold;
  const interval = wholeField(form.intervalMin);
  if (Number.isFinite(interval) && interval !== wholeField(alertForm(saved).intervalMin)) change.min_interval_secs = interval * 60;
  return change;
}
