/**
 * Recording a voice message with the microphone (MediaRecorder, Opus in WebM where the browser
 * has it): `idle`, `starting` (asking for the microphone), `recording` (with the time elapsed),
 * or `failed` (`denied`: the microphone was refused; `unavailable`: none, or it failed).
 * `stop` hands the recording over as `voice.webm`; `cancel` drops it. Leaving stops it.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export type RecorderState =
  | { status: 'idle' }
  | { status: 'starting' }
  | { status: 'recording'; elapsedMs: number }
  | { status: 'failed'; reason: 'denied' | 'unavailable' };

/** What MediaRecorder is asked to make. */
export const VOICE_TYPE = 'audio/webm;codecs=opus';
/** The name a recording is uploaded under. */
export const VOICE_NAME = 'voice.webm';

/** Whether this browser can record (MediaRecorder and a microphone API). */
export function canRecord(): boolean {
  return typeof MediaRecorder !== 'undefined' && typeof navigator !== 'undefined' && Boolean(navigator.mediaDevices?.getUserMedia);
}

function denied(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'NotAllowedError' || e.name === 'SecurityError');
}

interface Session {
  recorder: MediaRecorder;
  stream: MediaStream;
  keep: boolean;
}

export function useVoiceRecorder(onRecorded: (file: File) => void) {
  const [state, setState] = useState<RecorderState>({ status: 'idle' });
  const current = useRef<Session | null>(null);
  const timer = useRef<ReturnType<typeof setInterval> | null>(null);
  const handler = useRef(onRecorded);
  useEffect(() => {
    handler.current = onRecorded;
  }, [onRecorded]);

  const finish = useCallback((keep: boolean) => {
    const s = current.current;
    if (timer.current) clearInterval(timer.current);
    timer.current = null;
    if (!s) return;
    s.keep = keep;
    if (s.recorder.state !== 'inactive') s.recorder.stop();
    s.stream.getTracks().forEach((track) => track.stop());
    current.current = null;
    setState({ status: 'idle' });
  }, []);

  const start = useCallback(async () => {
    if (current.current) return;
    setState({ status: 'starting' });
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      setState({ status: 'failed', reason: denied(e) ? 'denied' : 'unavailable' });
      return;
    }
    let recorder: MediaRecorder;
    try {
      recorder = new MediaRecorder(stream, MediaRecorder.isTypeSupported?.(VOICE_TYPE) ? { mimeType: VOICE_TYPE } : undefined);
    } catch {
      stream.getTracks().forEach((track) => track.stop());
      setState({ status: 'failed', reason: 'unavailable' });
      return;
    }
    const session: Session = { recorder, stream, keep: false };
    const chunks: Blob[] = [];
    recorder.ondataavailable = (e) => {
      if (e.data.size > 0) chunks.push(e.data);
    };
    recorder.onstop = () => {
      if (!session.keep || chunks.length === 0) return;
      const type = recorder.mimeType || 'audio/webm';
      handler.current(new File(chunks, VOICE_NAME, { type }));
    };
    current.current = session;
    const startedAt = Date.now();
    recorder.start(250);
    setState({ status: 'recording', elapsedMs: 0 });
    timer.current = setInterval(() => setState({ status: 'recording', elapsedMs: Date.now() - startedAt }), 250);
  }, []);

  useEffect(() => () => finish(false), [finish]);

  return {
    state,
    start: () => void start(),
    stop: () => finish(true),
    cancel: () => finish(false),
    dismiss: () => setState({ status: 'idle' }),
  };
}

export type VoiceRecorder = ReturnType<typeof useVoiceRecorder>;
