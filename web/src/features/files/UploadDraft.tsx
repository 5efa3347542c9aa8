/**
 * The composer's side of files: the paperclip that picks one, and the bar above the message box
 * while it uploads (name, progress in bytes, cancel), once it is ready to send (its size, remove)
 * or when it could not be uploaded (why, in words; "Try again" when that may help). A picture
 * shows a small preview of itself, read from the local file (an object URL).
 */
import { useEffect, useRef, useState } from 'react';
import { formatSize } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { useErrorText } from '../../ui/common';
import { isRetryable } from '../../ui/errorText';
import { Icon } from '../../ui/Icon';
import { isImage } from './attachment';
import type { Upload } from './useUpload';

/**
 * A hidden file input and what opens it: `input` goes into the page, `open()` asks for a file,
 * and the one picked goes to `onFile` (picking the same file again works too).
 */
export function useFilePicker(onFile: (file: File) => void, { accept, testId }: { accept?: string; testId: string }) {
  const ref = useRef<HTMLInputElement>(null);
  const input = (
    <input
      ref={ref}
      type="file"
      hidden
      tabIndex={-1}
      aria-hidden="true"
      accept={accept}
      data-testid={testId}
      onChange={(e) => {
        const file = e.target.files?.[0];
        e.target.value = '';
        if (file) onFile(file);
      }}
    />
  );
  return { open: () => ref.current?.click(), input };
}

export function AttachButton({ onFile }: { onFile: (file: File) => void }) {
  const { t } = useI18n();
  const picker = useFilePicker(onFile, { testId: 'attach-input' });
  return (
    <>
      <button type="button" className="icon-button attach-button" onClick={picker.open} aria-label={t('files.attach')} title={t('files.attach')} data-testid="attach-button">
        <Icon name="paperclip" />
      </button>
      {picker.input}
    </>
  );
}

export function UploadDraft({ upload }: { upload: Upload }) {
  const { t, lang } = useI18n();
  const errorText = useErrorText();
  const s = upload.state;
  if (!s) return null;
  const size = (n: number) => formatSize(n, lang);
  return (
    <div className={`upload-draft ${s.status}`} data-testid="upload-draft" data-state={s.status}>
      <UploadPreview file={s.file} failed={s.status === 'failed'} />
      <span className="file-info">
        <span className="file-name" title={s.file.name} dir="auto">
          {s.file.name}
        </span>
        {s.status === 'uploading' ? (
          <span className="upload-progress">
            <progress max={Math.max(1, s.total)} value={s.sent} aria-label={t('files.uploading', { name: s.file.name })} />
            <span className="file-size" data-testid="upload-progress">
              {t('files.progress', { sent: size(s.sent), total: size(s.total) })}
            </span>
          </span>
        ) : s.status === 'done' ? (
          <span className="file-size">{size(s.info.size)}</span>
        ) : (
          <span className="upload-error" role="alert" data-testid="upload-error">
            {t('files.notUploaded', { reason: errorText(s.error) })}
            {isRetryable(s.error) ? (
              <>
                {' '}
                <button type="button" className="link-button" onClick={() => upload.start(s.file)}>
                  {t('common.retry')}
                </button>
              </>
            ) : null}
          </span>
        )}
      </span>
      <button type="button" className="icon-button small" onClick={upload.clear} aria-label={s.status === 'uploading' ? t('files.cancelUpload') : t('files.remove')} title={s.status === 'uploading' ? t('files.cancelUpload') : t('files.remove')}>
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}

/** An object URL for the local `file` while it is shown (revoked after). */
export function useObjectUrl(file: File | null): string | undefined {
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!file || typeof URL.createObjectURL !== 'function') return;
    const made = URL.createObjectURL(file);
    setUrl(made);
    return () => {
      URL.revokeObjectURL(made);
      setUrl(undefined);
    };
  }, [file]);
  return url;
}

/** The picture being sent, small; the file's icon for anything else (or a picture the browser cannot draw). */
function UploadPreview({ file, failed }: { file: File; failed: boolean }) {
  const picture = !failed && isImage({ content_type: file.type });
  const url = useObjectUrl(picture ? file : null);
  const [broken, setBroken] = useState<string | null>(null);
  if (url && broken !== url) {
    return (
      <span className="file-icon upload-preview" aria-hidden="true">
        <img src={url} alt="" data-testid="upload-preview" onError={() => setBroken(url)} />
      </span>
    );
  }
  return (
    <span className="file-icon" aria-hidden="true">
      <Icon name={failed ? 'alert' : picture ? 'image' : 'file'} size={20} />
    </span>
  );
}
