/**
 * A sound's loudness as bars (the server's 64, each 0 to 100), the played part coloured, and
 * its length: `m:ss`, or the time played of the length while it plays.
 */
import { formatDuration } from './attachment';

/** The bars, `progress` (0 to 1) of them played. */
export function Waveform({ bars, progress }: { bars: number[]; progress: number }) {
  const played = Math.round(Math.min(1, Math.max(0, progress)) * bars.length);
  return (
    <span className="waveform" aria-hidden="true" data-testid="waveform">
      {bars.map((v, i) => (
        <span key={i} className={i < played ? 'played' : undefined} style={{ height: `${Math.max(8, v)}%` }} />
      ))}
    </span>
  );
}

/** The length (`m:ss`), or `current / length` once it has started. */
export function SoundTime({ durationMs, currentMs }: { durationMs: number | null; currentMs: number | null }) {
  const total = durationMs === null ? '' : formatDuration(durationMs);
  const text = currentMs === null ? total : total ? `${formatDuration(currentMs)} / ${total}` : formatDuration(currentMs);
  return (
    <span className="sound-time" data-testid="sound-time">
      {text}
    </span>
  );
}
