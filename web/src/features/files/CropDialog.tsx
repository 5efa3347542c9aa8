/**
 * Choosing the square of a picture that becomes an avatar: the picture fitted to the dialog and
 * the square over it, the rest dimmed, with the circle it will show in. Drag the square to move
 * it and its corner to resize it (mouse, pen or touch, as pointer events); with the keyboard,
 * the arrows move it and + and − resize it (Shift: bigger steps); the slider sets its size.
 * "Save" draws the square (at most 1024 px) as a JPEG and hands it over; while it is uploaded
 * and processed the dialog shows `status`, and an `error` if it failed.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';
import { useI18n } from '../../i18n/index';
import { Modal, Spinner, useErrorText } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { centredSquare, cropToJpeg, dragCorner, maxSide, minSide, moveSquare, resizeAround, squareForKey, squareStyle, type Picture, type Square } from './crop';
import { useObjectUrl } from './UploadDraft';

interface Drag {
  mode: 'move' | 'corner';
  x: number;
  y: number;
  from: Square;
  /** Picture pixels per CSS pixel of the picture as shown. */
  scale: number;
}

export function CropDialog({
  file,
  busy,
  status,
  error,
  onCrop,
  onClose,
}: {
  file: File;
  /** Uploading or saving: Save waits. */
  busy: boolean;
  /** What is going on meanwhile (progress). */
  status?: ReactNode;
  error?: unknown;
  onCrop: (jpeg: Blob) => void;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const url = useObjectUrl(file);
  const hintId = useId();
  const image = useRef<HTMLImageElement>(null);
  const selection = useRef<HTMLDivElement>(null);
  const drag = useRef<Drag | null>(null);
  const [picture, setPicture] = useState<Picture | null>(null);
  const [square, setSquare] = useState<Square | null>(null);
  const [unreadable, setUnreadable] = useState(false);
  const [drawError, setDrawError] = useState<unknown>(null);
  const shown = error ?? drawError;
  // Once the picture is there, the keyboard moves the square at once.
  useEffect(() => {
    if (picture) selection.current?.focus({ preventScroll: true });
  }, [picture]);

  function loaded() {
    const img = image.current;
    if (!img || !img.naturalWidth || !img.naturalHeight) return setUnreadable(true);
    const p = { width: img.naturalWidth, height: img.naturalHeight };
    setPicture(p);
    setSquare(centredSquare(p));
  }

  function startDrag(e: PointerEvent<HTMLDivElement>) {
    const img = image.current;
    if (!square || !picture || !img || e.button > 0) return;
    e.preventDefault();
    e.currentTarget.focus({ preventScroll: true });
    e.currentTarget.setPointerCapture?.(e.pointerId);
    const corner = (e.target as Element).closest('.crop-handle') !== null;
    drag.current = { mode: corner ? 'corner' : 'move', x: e.clientX, y: e.clientY, from: square, scale: picture.width / Math.max(1, img.getBoundingClientRect().width) };
  }

  function moveDrag(e: PointerEvent<HTMLDivElement>) {
    const d = drag.current;
    if (!d || !picture) return;
    const dx = (e.clientX - d.x) * d.scale;
    const dy = (e.clientY - d.y) * d.scale;
    setSquare(d.mode === 'move' ? moveSquare(d.from, dx, dy, picture) : dragCorner(d.from, dx, dy, picture));
  }

  function onKey(e: KeyboardEvent<HTMLDivElement>) {
    if (!square || !picture) return;
    const next = squareForKey(square, e.key, e.shiftKey, picture);
    if (!next) return;
    e.preventDefault();
    setSquare(next);
  }

  function save() {
    const img = image.current;
    if (!img || !square) return;
    setDrawError(null);
    cropToJpeg(img, square).then(onCrop, setDrawError);
  }

  return (
    <Modal title={t('avatar.cropTitle')} onClose={onClose}>
      <div className="crop" data-testid="crop-dialog">
        {unreadable ? (
          <p className="error-note" role="alert">
            <Icon name="alert" size={16} /> {t('avatar.unreadable')}
          </p>
        ) : (
          <div className="crop-stage">
            {url ? <img ref={image} src={url} alt={file.name} draggable={false} onLoad={loaded} onError={() => setUnreadable(true)} /> : null}
            {square && picture ? (
              <div
                ref={selection}
                className="crop-square"
                style={squareStyle(square, picture)}
                tabIndex={0}
                role="group"
                aria-label={t('avatar.square')}
                aria-describedby={hintId}
                data-testid="crop-square"
                data-square={`${Math.round(square.x)},${Math.round(square.y)},${Math.round(square.size)}`}
                onKeyDown={onKey}
                onPointerDown={startDrag}
                onPointerMove={moveDrag}
                onPointerUp={() => (drag.current = null)}
                onPointerCancel={() => (drag.current = null)}
              >
                <span className="crop-handle" aria-hidden="true" />
              </div>
            ) : url ? null : (
              <Spinner label={t('common.loading')} />
            )}
          </div>
        )}
        {square && picture ? (
          <label className="crop-size">
            <span>{t('avatar.size')}</span>
            <input
              type="range"
              min={minSide(picture)}
              max={maxSide(picture)}
              value={Math.round(square.size)}
              onChange={(e) => setSquare(resizeAround(square, Number(e.target.value), picture))}
              data-testid="crop-size"
            />
          </label>
        ) : null}
        <p className="muted small" id={hintId}>
          {t('avatar.cropHint')}
        </p>
        {status}
        {shown ? (
          <p className="error-note" role="alert" data-testid="avatar-error">
            <Icon name="alert" size={16} /> {errorText(shown, { inField: true })}
          </p>
        ) : null}
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="button" className="button primary" onClick={save} disabled={!square || busy} data-testid="crop-save">
            {t('avatar.save')}
          </button>
        </div>
      </div>
    </Modal>
  );
}
