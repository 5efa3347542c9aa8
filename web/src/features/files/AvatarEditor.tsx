/**
 * A profile's or chat's picture with "Change photo" and "Remove photo": a picture picked (or
 * dropped onto the avatar) opens the crop dialog; the square chosen there is uploaded as an
 * avatar (progress, then "Processing…" while the server prepares it) and set with `save`
 * (the PATCH of the profile or chat, given the file's attach token; `""` removes the picture).
 */
import { useMutation } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import type { AvatarInfo } from '../../api/types';
import { formatSize } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { Avatar } from '../../ui/Avatar';
import { ErrorNote, Spinner } from '../../ui/common';
import { uploadAvatar } from './avatarUpload';
import { CropDialog } from './CropDialog';
import { useFileDrop } from './drop';
import { useFilePicker } from './UploadDraft';

type Step = { step: 'uploading'; sent: number; total: number } | { step: 'processing' } | { step: 'saving' };

/** Uploading a cropped picture and setting it: where it is, cancelling, and the error. */
function useAvatarUpload(save: (avatar: string) => Promise<unknown>, onDone: () => void) {
  const [step, setStep] = useState<Step | null>(null);
  const running = useRef<AbortController | null>(null);
  const upload = useMutation({
    mutationFn: async (jpeg: Blob) => {
      const ctrl = new AbortController();
      running.current = ctrl;
      setStep({ step: 'uploading', sent: 0, total: jpeg.size });
      const token = await uploadAvatar(jpeg, {
        signal: ctrl.signal,
        onProgress: (sent, total) => setStep({ step: 'uploading', sent, total }),
        onProcessing: () => setStep({ step: 'processing' }),
      });
      if (ctrl.signal.aborted) return;
      setStep({ step: 'saving' });
      await save(token);
      if (!ctrl.signal.aborted) onDone();
    },
    onSettled: () => setStep(null),
  });
  return {
    step,
    busy: upload.isPending,
    error: upload.error,
    start: (jpeg: Blob) => upload.mutate(jpeg),
    cancel: () => {
      running.current?.abort();
      upload.reset();
    },
  };
}

function UploadStep({ step }: { step: Step | null }) {
  const { t, lang } = useI18n();
  if (!step) return null;
  if (step.step === 'uploading') {
    return (
      <p className="upload-progress" data-testid="avatar-progress" data-step="uploading">
        <progress max={Math.max(1, step.total)} value={step.sent} aria-label={t('avatar.uploading')} />
        <span className="file-size">{t('files.progress', { sent: formatSize(step.sent, lang), total: formatSize(step.total, lang) })}</span>
      </p>
    );
  }
  return (
    <p className="avatar-step" role="status" data-testid="avatar-progress" data-step={step.step}>
      <Spinner /> {step.step === 'processing' ? t('files.processing') : t('avatar.saving')}
    </p>
  );
}

export function AvatarEditor({
  name,
  id,
  avatar,
  size = 80,
  save,
}: {
  name: string;
  id: number;
  avatar: AvatarInfo | null | undefined;
  size?: number;
  /** Sets the picture: an avatar file's attach token, or `""` to remove it. */
  save: (avatar: string) => Promise<unknown>;
}) {
  const { t } = useI18n();
  const [picked, setPicked] = useState<File | null>(null);
  const close = () => setPicked(null);
  const upload = useAvatarUpload(save, close);
  const remove = useMutation({ mutationFn: () => save('') });
  const pick = (file: File) => {
    upload.cancel();
    remove.reset();
    setPicked(file);
  };
  const picker = useFilePicker(pick, { accept: 'image/*', testId: 'avatar-input' });
  const drop = useFileDrop(pick, picked === null);
  return (
    <div className={`avatar-editor${drop.over ? ' drop-over' : ''}`} data-testid="avatar-editor" {...drop.handlers}>
      <span className="avatar-drop">
        <Avatar name={name} id={id} size={size} avatar={avatar} />
        {drop.over ? <span className="avatar-drop-hint">{t('avatar.dropHere')}</span> : null}
      </span>
      <span className="avatar-actions">
        <button type="button" className="link-button" onClick={picker.open} data-testid="avatar-change">
          {avatar ? t('avatar.change') : t('avatar.add')}
        </button>
        {avatar ? (
          <button type="button" className="link-button danger-text" onClick={() => remove.mutate()} disabled={remove.isPending} data-testid="avatar-remove">
            {t('avatar.remove')}
          </button>
        ) : null}
      </span>
      {picker.input}
      <ErrorNote error={remove.error} />
      {picked ? (
        <CropDialog
          file={picked}
          busy={upload.busy}
          status={<UploadStep step={upload.step} />}
          error={upload.error}
          onCrop={upload.start}
          onClose={() => {
            upload.cancel();
            close();
          }}
        />
      ) : null}
    </div>
  );
}
