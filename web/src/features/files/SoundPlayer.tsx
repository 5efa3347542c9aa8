/**
 * A sound on a file card (a voice message): play/pause, its waveform with the played part
 * coloured, and its length. It plays in an <audio> element from a fresh link for the message
 * (links.ts), asked for on each press of play (a link expires; the same one is kept while fresh).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useI18n } from '../../i18n/index';
import { Spinner, useErrorText } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import type { AttachedFile } from './attachment';
import { linkQuery, type FileSource } from './links';
import { SoundTime, Waveform } from './Waveform';

/** Bars drawn for a sound the server has not measured (yet): flat. */
const FLAT = Array.from({ length: 64 }, () => 8);

export function SoundPlayer({ file, source }: { file: AttachedFile; source: FileSource }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const qc = useQueryClient();
  const audio = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  const [busy, setBusy] = useState(false);
  const [currentMs, setCurrentMs] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const media = file.media?.state === 'ready' ? file.media : undefined;
  const [measuredMs, setMeasuredMs] = useState<number | null>(null);
  const durationMs = media?.duration_ms ?? measuredMs;

  async function toggle() {
    const el = audio.current;
    if (!el) return;
    if (!el.paused) {
      el.pause();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { url } = await qc.fetchQuery(linkQuery(source));
      if (el.getAttribute('src') !== url) {
        const at = el.currentTime;
        el.src = url;
        if (at > 0 && !el.ended) el.currentTime = at;
      }
      await el.play();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const progress = durationMs && currentMs !== null ? currentMs / durationMs : 0;
  return (
    <div className="sound-player" data-testid="sound-player" data-state={playing ? 'playing' : 'paused'}>
      <button
        type="button"
        className="icon-button sound-toggle"
        onClick={() => void toggle()}
        disabled={busy}
        aria-label={playing ? t('files.pauseSound', { name: file.name }) : t('files.playSound', { name: file.name })}
        title={playing ? t('files.pause') : t('files.play')}
        data-testid="sound-toggle"
      >
        {busy ? <Spinner label={t('common.loading')} /> : <Icon name={playing ? 'pause' : 'play'} size={18} />}
      </button>
      <Waveform bars={media?.waveform?.length ? media.waveform : FLAT} progress={progress} />
      <SoundTime durationMs={durationMs} currentMs={currentMs} />
      <audio
        ref={audio}
        preload="none"
        data-testid="sound-audio"
        onPlay={() => setPlaying(true)}
        onPause={() => setPlaying(false)}
        onEnded={() => {
          setPlaying(false);
          setCurrentMs(null);
        }}
        onTimeUpdate={(e) => {
          if (!e.currentTarget.paused || e.currentTarget.currentTime > 0) setCurrentMs(e.currentTarget.currentTime * 1000);
        }}
        onLoadedMetadata={(e) => {
          const d = e.currentTarget.duration;
          if (Number.isFinite(d)) setMeasuredMs(d * 1000);
        }}
        onError={() => setPlaying(false)}
      />
      {error ? (
        <span className="file-error" role="alert">
          {errorText(error)}
        </span>
      ) : null}
    </div>
  );
}
