/** Time zones, as IANA names: the browser's own, and every one it knows (quiet hours, the email digest). */

/** The browser's own time zone. */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Every time zone the browser knows, with `current` among them. */
export function timeZones(current: string): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    // an older browser: only the current one
  }
  return zones.includes(current) ? zones : [current, ...zones];
}

/** A zone's name as shown: "America/New York". */
export function zoneLabel(zone: string): string {
  return zone.replace(/_/g, ' ');
}
