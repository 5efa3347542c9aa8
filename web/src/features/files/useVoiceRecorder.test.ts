import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useVoiceRecorder, VOICE_NAME, VOICE_TYPE } from './useVoiceRecorder';

/** A MediaRecorder that hands over one chunk when stopped. */
class FakeRecorder {
  static last: FakeRecorder | null = null;
  static isTypeSupported = (t: string) => t === VOICE_TYPE;
  state: 'inactive' | 'recording' = 'inactive';
  mimeType: string;
  ondataavailable: ((e: { data: Blob }) => void) | null = null;
  onstop: (() => void) | null = null;
  constructor(
    public stream: MediaStream,
    opts?: { mimeType?: string },
  ) {
    this.mimeType = opts?.mimeType ?? '';
    FakeRecorder.last = this;
  }
  start() {
    this.state = 'recording';
  }
  stop() {
    this.state = 'inactive';
    this.ondataavailable?.({ data: new Blob(['opus'], { type: this.mimeType }) });
    this.onstop?.();
  }
}

const track = { stop: vi.fn() };
const stream = { getTracks: () => [track] } as unknown as MediaStream;
const getUserMedia = vi.fn<() => Promise<MediaStream>>();

beforeEach(() => {
  vi.useFakeTimers();
  FakeRecorder.last = null;
  track.stop.mockClear();
  getUserMedia.mockReset();
  vi.stubGlobal('MediaRecorder', FakeRecorder);
  Object.defineProperty(navigator, 'mediaDevices', { value: { getUserMedia }, configurable: true });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

async function started(onRecorded: (f: File) => void) {
  const hook = renderHook(() => useVoiceRecorder(onRecorded));
  await act(async () => {
    hook.result.current.start();
    await Promise.resolve();
  });
  return hook;
}

describe('useVoiceRecorder', () => {
  it('records Opus in WebM with the time elapsed, and stopping hands over voice.webm', async () => {
    getUserMedia.mockResolvedValue(stream);
    const onRecorded = vi.fn();
    const { result } = await started(onRecorded);
    expect(getUserMedia).toHaveBeenCalledWith({ audio: true });
    expect(FakeRecorder.last?.mimeType).toBe(VOICE_TYPE);
    expect(result.current.state).toEqual({ status: 'recording', elapsedMs: 0 });
    act(() => void vi.advanceTimersByTime(2000));
    expect(result.current.state).toMatchObject({ status: 'recording', elapsedMs: 2000 });
    act(() => result.current.stop());
    expect(result.current.state).toEqual({ status: 'idle' });
    expect(track.stop).toHaveBeenCalled();
    expect(onRecorded).toHaveBeenCalledTimes(1);
    const file = onRecorded.mock.calls[0]?.[0] as File;
    expect([file.name, file.type]).toEqual([VOICE_NAME, VOICE_TYPE]);
  });

  it('cancelling drops the recording and frees the microphone', async () => {
    getUserMedia.mockResolvedValue(stream);
    const onRecorded = vi.fn();
    const { result } = await started(onRecorded);
    act(() => result.current.cancel());
    expect(result.current.state).toEqual({ status: 'idle' });
    expect(track.stop).toHaveBeenCalled();
    expect(onRecorded).not.toHaveBeenCalled();
  });

  it('a refused microphone is `denied`, a missing one `unavailable`', async () => {
    getUserMedia.mockRejectedValue(new DOMException('no', 'NotAllowedError'));
    const denied = await started(vi.fn());
    expect(denied.result.current.state).toEqual({ status: 'failed', reason: 'denied' });
    act(() => denied.result.current.dismiss());
    expect(denied.result.current.state).toEqual({ status: 'idle' });

    getUserMedia.mockRejectedValue(new DOMException('none', 'NotFoundError'));
    const missing = await started(vi.fn());
    expect(missing.result.current.state).toEqual({ status: 'failed', reason: 'unavailable' });
  });

  it('leaving while recording stops without handing anything over', async () => {
    getUserMedia.mockResolvedValue(stream);
    const onRecorded = vi.fn();
    const { unmount } = await started(onRecorded);
    unmount();
    expect(FakeRecorder.last?.state).toBe('inactive');
    expect(onRecorded).not.toHaveBeenCalled();
  });
});
