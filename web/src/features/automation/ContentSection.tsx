import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { ContentSource } from '../../api/types';
import { formatNumber, formatSize } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { isAbort, uploadFile } from '../files/upload';
import { known } from './automation';
import { BOOK_ACCEPT, SOURCE_STATES } from './content';
import { ContentSettingsCard } from './ContentSettings';
import { dropItem, storeItem } from './lists';
import { ConfirmButton, PagedList, ProgressBar, StateBadge, When } from './parts';
import { useSources } from './queries';

/**
 * Automation → Content: my books, newest first, each with its state (being read, ready,
 * failed and why), its counts and how far its summaries are; a book is uploaded to the files
 * service (with its progress) and then handed to the pipeline. Under them, the AI provider.
 */
export function ContentSection() {
  const { t } = useI18n();
  const sources = useSources();
  return (
    <>
      <Card title={t('content.books')} className="auto-card" testId="content-books">
        <p className="muted small">{t('content.booksHint')}</p>
        <BookUpload />
        <PagedList query={sources} label={t('content.booksList')} empty={t('content.booksNone')} testId="sources">
          {(s) => <SourceRow key={s.id} source={s} />}
        </PagedList>
      </Card>
      <ContentSettingsCard />
    </>
  );
}

/** Picks a book, uploads it (resumably when large) and adds it as a source: one at a time, cancellable while it uploads. */
function BookUpload() {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const current = useRef<AbortController | null>(null);
  const [progress, setProgress] = useState<{ name: string; sent: number; total: number } | null>(null);
  const add = useMutation({
    mutationFn: async (file: File) => {
      const ctrl = new AbortController();
      current.current = ctrl;
      setProgress({ name: file.name, sent: 0, total: file.size });
      try {
        const info = await uploadFile(file, { signal: ctrl.signal, onProgress: (sent, total) => setProgress({ name: file.name, sent, total }) });
        return await api.addSource({ file_id: info.id });
      } finally {
        setProgress(null);
        if (current.current === ctrl) current.current = null;
      }
    },
    onSuccess: (source) => storeItem(qc, keys.contentSources, source, 'first'),
  });
  // Leaving the page cancels what is still uploading.
  useEffect(() => () => current.current?.abort(), []);
  const error = add.error && !isAbort(add.error) ? add.error : null;
  const size = (n: number) => formatSize(n, lang);
  return (
    <div className="stack content-upload" data-testid="book-upload">
      <div className="row auto-actions">
        <button type="button" className="button small primary" onClick={() => input.current?.click()} disabled={add.isPending} data-testid="book-pick">
          <Icon name="paperclip" size={14} /> {t('content.upload')}
        </button>
        <input
          ref={input}
          type="file"
          hidden
          accept={BOOK_ACCEPT}
          aria-label={t('content.upload')}
          data-testid="book-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) add.mutate(file);
          }}
        />
        <span className="muted small">{t('content.uploadHint')}</span>
      </div>
      {progress ? (
        <div className="upload-progress content-progress" data-testid="book-uploading">
          <span className="file-name" title={progress.name} dir="auto">
            {progress.name}
          </span>
          <progress max={Math.max(1, progress.total)} value={progress.sent} aria-label={t('files.uploading', { name: progress.name })} />
          <span className="muted small" data-testid="book-upload-progress">
            {t('files.progress', { sent: size(progress.sent), total: size(progress.total) })}
          </span>
          <button type="button" className="button small ghost" onClick={() => current.current?.abort()} data-testid="book-upload-cancel">
            {t('common.cancel')}
          </button>
        </div>
      ) : add.isPending ? (
        <Spinner label={t('common.loading')} />
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}

/** A book's state in words. */
export function SourceStateBadge({ source }: { source: ContentSource }) {
  const { t } = useI18n();
  const state = known(SOURCE_STATES, source.state);
  return <StateBadge state={source.state} text={state ? t(`content.sourceState.${state}`) : source.state} testId="source-state" />;
}

/** "3 chapters · 5 blocks · 10,337 characters". */
export function SourceCounts({ source }: { source: ContentSource }) {
  const { t, lang } = useI18n();
  return (
    <span data-testid="source-counts">
      {t('content.chapters', { count: source.chapters })} · {t('content.blocks', { count: source.blocks })} · {t('content.chars', { count: source.chars, n: formatNumber(source.chars, lang) })}
    </span>
  );
}

function SourceRow({ source }: { source: ContentSource }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const remove = useMutation({
    mutationFn: () => api.removeSource(source.id),
    onSuccess: () => {
      dropItem(qc, keys.contentSources, source.id);
      qc.removeQueries({ queryKey: keys.contentSource(source.id) });
    },
    onError: (e) => {
      if (isApiError(e) && e.status === 404) void qc.invalidateQueries({ queryKey: keys.contentSources });
    },
  });
  const s = source.summaries;
  return (
    <li className="auto-row" data-testid="source" data-id={source.id} data-state={source.state}>
      <div className="auto-head">
        <Link to={`/automation/content/${source.id}`} className="auto-link person-text" data-testid="source-link">
          <span className="person-name" data-testid="source-name" dir="auto">
            {source.name}
          </span>
          <span className="muted small">
            {source.title && source.title !== source.name ? (
              <>
                <span dir="auto">{source.title}</span> ·{' '}
              </>
            ) : null}
            {source.format.toUpperCase()} · <When ms={source.created_at} />
          </span>
        </Link>
        <SourceStateBadge source={source} />
      </div>
      {source.state === 'extracting' ? <p className="muted small">{t('content.extracting')}</p> : null}
      {source.error ? (
        <p className="small auto-detail" data-testid="source-error">
          {source.error}
        </p>
      ) : null}
      {source.state === 'ready' ? (
        <>
          <p className="small auto-meta">
            <SourceCounts source={source} />
          </p>
          {s.done > 0 || s.running ? <ProgressBar value={s.done} max={source.blocks} label={t('content.summariesProgress')} /> : null}
          <p className="small auto-meta muted">
            <span data-testid="source-summaries">{t('content.summarisedOf', { done: s.done, count: source.blocks })}</span>
            {s.running ? <span data-testid="source-running">{t('content.running')}</span> : null}
            {s.failed > 0 ? <span>{t('content.failedCount', { count: s.failed })}</span> : null}
          </p>
        </>
      ) : null}
      <ErrorNote error={remove.error} />
      <div className="row auto-actions">
        <Link to={`/automation/content/${source.id}`} className="button small" data-testid="source-open">
          <Icon name="file" size={14} /> {t('content.open')}
        </Link>
        <ConfirmButton
          label={t('common.delete')}
          ariaLabel={t('content.removeOne', { name: source.name })}
          title={t('content.removeTitle')}
          text={t('content.removeText', { name: source.name })}
          confirm={t('common.delete')}
          disabled={remove.isPending}
          testId="source-remove"
          onConfirm={() => remove.mutate()}
        />
      </div>
    </li>
  );
}
