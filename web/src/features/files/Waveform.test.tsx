import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderUi } from '../../test/render';
import { formatDuration, playKind, readMedia } from './attachment';
import { SoundPlayer } from './SoundPlayer';
import { SoundTime, Waveform } from './Waveform';

const BARS = Array.from({ length: 64 }, (_, i) => (i * 37) % 101);

describe('Waveform', () => {
  it('draws 64 bars at their heights, none played before it plays', () => {
    const { container } = render(<Waveform bars={BARS} progress={0} />);
    const bars = container.querySelectorAll('.waveform > span');
    expect(bars).toHaveLength(64);
    expect((bars[1] as HTMLElement).style.height).toBe('37%');
    // A silent bar still shows.
    expect((bars[0] as HTMLElement).style.height).toBe('8%');
    expect(container.querySelectorAll('.played')).toHaveLength(0);
  });

  it('colours the played part', () => {
    const { container, rerender } = render(<Waveform bars={BARS} progress={0.25} />);
    expect(container.querySelectorAll('.played')).toHaveLength(16);
    rerender(<Waveform bars={BARS} progress={2} />);
    expect(container.querySelectorAll('.played')).toHaveLength(64);
  });
});

describe('SoundTime', () => {
  it('shows the length, then the time played of it', () => {
    const { getByTestId, rerender } = render(<SoundTime durationMs={2000} currentMs={null} />);
    expect(getByTestId('sound-time').textContent).toBe('0:02');
    rerender(<SoundTime durationMs={125_400} currentMs={61_900} />);
    expect(getByTestId('sound-time').textContent).toBe('1:01 / 2:05');
    rerender(<SoundTime durationMs={null} currentMs={3000} />);
    expect(getByTestId('sound-time').textContent).toBe('0:03');
  });

  it('formats durations as m:ss, h:mm:ss from an hour', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(1999)).toBe('0:01');
    expect(formatDuration(600_000)).toBe('10:00');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(-5)).toBe('0:00');
  });
});

describe('sound and video cards', () => {
  it('reads a sound’s media (no size) and a video’s', () => {
    expect(readMedia({ state: 'ready', duration_ms: 2000, waveform: [0, 50, 150, 'x'] })).toEqual({ state: 'ready', duration_ms: 2000, waveform: [0, 50, 100] });
    expect(readMedia({ state: 'ready', duration_ms: 1500, width: 640, height: 360, blurhash: null, thumbnails: [{ side: 320, width: 320, height: 180 }] })).toMatchObject({
      duration_ms: 1500,
      width: 640,
      thumbnails: [{ side: 320 }],
    });
    expect(readMedia({ state: 'ready' })).toBeUndefined();
  });

  it('plays a waveform or audio/* as sound, video/* as video', () => {
    const file = { name: 'voice.webm', size: 1 };
    expect(playKind({ ...file, content_type: 'video/webm', media: { state: 'ready', waveform: BARS } })).toBe('sound');
    expect(playKind({ ...file, content_type: 'audio/ogg' })).toBe('sound');
    expect(playKind({ ...file, content_type: 'video/mp4', media: { state: 'ready', width: 2, height: 2 } })).toBe('video');
    expect(playKind({ ...file, content_type: 'video/mp4', media: { state: 'failed', error: null } })).toBe('none');
    expect(playKind({ ...file, content_type: 'image/png' })).toBe('none');
  });
});

describe('SoundPlayer', () => {
  const file = { id: 7, version: 2, name: 'voice.webm', size: 19_000, content_type: 'video/webm', media: { state: 'ready' as const, duration_ms: 2000, waveform: BARS } };
  const source = { id: 7, chatId: 1, seq: 3 };

  it('shows play, the 64 bars and the length, named in English and Russian', () => {
    const en = renderUi(<SoundPlayer file={file} source={source} />);
    expect(en.getByRole('button', { name: 'Play voice.webm' })).toBeTruthy();
    expect(en.container.querySelectorAll('.waveform > span')).toHaveLength(64);
    expect(en.getByTestId('sound-time').textContent).toBe('0:02');
    en.unmount();
    const ru = renderUi(<SoundPlayer file={file} source={source} />, { lang: 'ru' });
    expect(ru.getByRole('button', { name: 'Слушать voice.webm' })).toBeTruthy();
  });
});
