/** One upload at a time, as the composer shows it: progress, the stored file, or the error. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { FileInfo } from '../../api/types';
import { isAbort, uploadFile, type UploadOptions } from './upload';

export type UploadState =
  | { status: 'uploading'; file: File; sent: number; total: number }
  | { status: 'done'; file: File; info: FileInfo; at: number }
  | { status: 'failed'; file: File; error: unknown };

export interface Upload {
  state: UploadState | null;
  /** Uploads `file`, cancelling the one before. */
  start(file: File): void;
  /** Cancels the upload, or forgets the finished one. */
  clear(): void;
}

export type Uploader = (file: File, opts: UploadOptions) => Promise<FileInfo>;

export function useUpload(upload: Uploader = uploadFile): Upload {
  const [state, setState] = useState<UploadState | null>(null);
  const current = useRef<AbortController | null>(null);

  const start = useCallback(
    (file: File) => {
      current.current?.abort();
      const ctrl = new AbortController();
      current.current = ctrl;
      const mine = () => current.current === ctrl;
      setState({ status: 'uploading', file, sent: 0, total: file.size });
      upload(file, {
        signal: ctrl.signal,
        onProgress: (sent, total) => {
          if (mine()) setState({ status: 'uploading', file, sent, total });
        },
      }).then(
        (info) => {
          if (mine()) setState({ status: 'done', file, info, at: Date.now() });
        },
        (error: unknown) => {
          if (mine() && !isAbort(error)) setState({ status: 'failed', file, error });
        },
      );
    },
    [upload],
  );

  const clear = useCallback(() => {
    current.current?.abort();
    current.current = null;
    setState(null);
  }, []);

  // Leaving the chat cancels what is still uploading.
  useEffect(() => () => current.current?.abort(), []);

  return { state, start, clear };
}
