/**
 * The composer's microphone: a button that starts recording a voice message, and while it
 * records a bar with the time elapsed, cancel and send (stop). A refused microphone says so.
 */
import { useI18n } from '../../i18n/index';
import { Icon } from '../../ui/Icon';
import { formatDuration } from './attachment';
import type { VoiceRecorder } from './useVoiceRecorder';

export function MicButton({ recorder }: { recorder: VoiceRecorder }) {
  const { t } = useI18n();
  return (
    <button
      type="button"
      className="send-button mic-button"
      onClick={recorder.start}
      disabled={recorder.state.status === 'starting'}
      aria-label={t('voice.record')}
      title={t('voice.record')}
      data-testid="mic-button"
    >
      <Icon name="mic" />
    </button>
  );
}

/** The bar over the message box while recording, or the reason it could not. */
export function RecordingBar({ recorder }: { recorder: VoiceRecorder }) {
  const { t } = useI18n();
  const s = recorder.state;
  if (s.status === 'failed') {
    return (
      <div className="upload-draft failed" data-testid="voice-error">
        <span className="upload-error" role="alert">
          {t(s.reason === 'denied' ? 'voice.denied' : 'voice.unavailable')}
        </span>
        <button type="button" className="icon-button small" onClick={recorder.dismiss} aria-label={t('common.close')} title={t('common.close')}>
          <Icon name="close" size={16} />
        </button>
      </div>
    );
  }
  if (s.status !== 'recording') return null;
  return (
    <div className="upload-draft recording" data-testid="voice-recording">
      <span className="recording-dot" aria-hidden="true" />
      <span className="file-info">
        <span className="file-name">{t('voice.recording')}</span>
        <span className="file-size" data-testid="voice-elapsed" role="timer">
          {formatDuration(s.elapsedMs)}
        </span>
      </span>
      <button type="button" className="icon-button small" onClick={recorder.cancel} aria-label={t('voice.cancel')} title={t('voice.cancel')} data-testid="voice-cancel">
        <Icon name="close" size={16} />
      </button>
      <button type="button" className="send-button" onClick={recorder.stop} aria-label={t('voice.send')} title={t('voice.send')} data-testid="voice-send">
        <Icon name="send" />
      </button>
    </div>
  );
}
