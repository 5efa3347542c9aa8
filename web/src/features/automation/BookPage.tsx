import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/endpoints';
import type { ContentChapter, ContentSource } from '../../api/types';
import { formatNumber } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { RenameForm } from '../../ui/RenameForm';
import { chapterTitle } from './content';
import { ContentPosts } from './ContentPosts';
import { SourceCounts, SourceStateBadge } from './ContentSection';
import { dropItem } from './lists';
import { ConfirmButton, When } from './parts';
import { useChapters, useSource } from './queries';
import { SummarisePanel } from './SummarisePanel';

/**
 * One book: its state and counts, delete (confirmed); once read, the summarise panel, its
 * chapters (each opening its blocks) and its posts queue.
 */
export function BookPage({ id }: { id: number }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const source = useSource(id);
  const s = source.data;
  const [renaming, setRenaming] = useState(false);
  const rename = useMutation({
    mutationFn: (name: string) => api.renameSource(id, name),
    onSuccess: (renamed) => {
      qc.setQueryData(keys.contentSource(id), renamed);
      void qc.invalidateQueries({ queryKey: keys.contentSources });
      setRenaming(false);
    },
  });
  const remove = useMutation({
    mutationFn: () => api.removeSource(id),
    onSuccess: () => {
      dropItem(qc, keys.contentSources, id);
      qc.removeQueries({ queryKey: keys.contentSource(id) });
      navigate('/automation/content');
    },
  });
  if (!s) {
    return (
      <Card className="auto-card">
        <BackToBooks />
        {source.isPending ? <Spinner label={t('common.loading')} /> : <ErrorNote error={source.error} onRetry={() => void source.refetch()} />}
      </Card>
    );
  }
  return (
    <>
      <Card title={s.name} className="auto-card" testId="book-page">
        <BackToBooks />
        <div className="auto-head">
          <span className="muted small">
            {s.title && s.title !== s.name ? (
              <>
                <span dir="auto" data-testid="book-title">
                  {s.title}
                </span>{' '}
                ·{' '}
              </>
            ) : null}
            {s.format.toUpperCase()} · <When ms={s.created_at} />
          </span>
          <SourceStateBadge source={s} />
        </div>
        {s.state === 'extracting' ? (
          <p className="muted small row">
            <Spinner label={t('common.loading')} /> {t('content.extracting')}
          </p>
        ) : null}
        {s.error ? (
          <p className="small auto-detail" data-testid="source-error">
            {s.error}
          </p>
        ) : null}
        {s.state === 'ready' ? (
          <p className="small auto-meta">
            <SourceCounts source={s} />
          </p>
        ) : null}
        {renaming ? (
          <RenameForm
            name={s.name}
            label={t('content.bookName')}
            testId="book-rename"
            sendBlank
            error={rename.error}
            pending={rename.isPending}
            onCancel={() => {
              rename.reset();
              setRenaming(false);
            }}
            onSave={(name) => rename.mutate(name)}
          />
        ) : null}
        <ErrorNote error={remove.error} />
        <div className="row auto-actions">
          {!renaming ? (
            <button
              type="button"
              className="button small"
              onClick={() => setRenaming(true)}
              aria-label={t('content.renameOne', { name: s.name })}
              data-testid="book-rename"
            >
              <Icon name="edit" size={14} /> {t('content.rename')}
            </button>
          ) : null}
          <ConfirmButton
            label={t('common.delete')}
            title={t('content.removeTitle')}
            text={t('content.removeText', { name: s.name })}
            confirm={t('common.delete')}
            disabled={remove.isPending}
            testId="book-remove"
            onConfirm={() => remove.mutate()}
          />
        </div>
      </Card>
      {s.state === 'ready' ? (
        <>
          <SummarisePanel source={s} />
          <Chapters source={s} />
          <ContentPosts source={s} />
        </>
      ) : null}
    </>
  );
}

function BackToBooks() {
  const { t } = useI18n();
  return (
    <Link to="/automation/content" className="small" data-testid="back-to-books">
      <Icon name="back" size={14} /> {t('content.allBooks')}
    </Link>
  );
}

function Chapters({ source }: { source: ContentSource }) {
  const { t } = useI18n();
  const chapters = useChapters(source.id, true, source.summaries.running);
  return (
    <Card title={t('content.chaptersTitle')} className="auto-card" testId="chapters">
      <p className="muted small">{t('content.chaptersHint')}</p>
      {chapters.data ? (
        chapters.data.length === 0 ? (
          <p className="muted small">{t('content.chaptersNone')}</p>
        ) : (
          <ul className="plain-list auto-list" aria-label={t('content.chaptersTitle')}>
            {chapters.data.map((c) => (
              <ChapterRow key={c.index} sourceId={source.id} chapter={c} />
            ))}
          </ul>
        )
      ) : chapters.isPending ? (
        <Spinner label={t('common.loading')} />
      ) : (
        <ErrorNote error={chapters.error} onRetry={() => void chapters.refetch()} />
      )}
    </Card>
  );
}

function ChapterRow({ sourceId, chapter }: { sourceId: number; chapter: ContentChapter }) {
  const { t, lang } = useI18n();
  const all = chapter.blocks > 0 && chapter.summarised === chapter.blocks;
  return (
    <li className="auto-row" data-testid="chapter" data-index={chapter.index}>
      <Link to={`/automation/content/${sourceId}/chapters/${chapter.index}`} className="admin-link auto-link" data-testid="chapter-link">
        <span className="person-text">
          <span className="person-name" dir="auto" data-testid="chapter-title">
            {chapterTitle(chapter, t('content.untitled'))}
          </span>
          <span className="muted small">
            {t('content.blocks', { count: chapter.blocks })} · {t('content.chars', { count: chapter.chars, n: formatNumber(chapter.chars, lang) })}
          </span>
          <span className="auto-state-line">
            <span className={`job-state auto-state${all ? ' state-finished' : ''}`} data-testid="chapter-summarised">
              {t('content.summarisedShort', { done: chapter.summarised, count: chapter.blocks })}
            </span>
            {chapter.used > 0 ? (
              <span className="job-state auto-state state-active" data-testid="chapter-used">
                {t('content.usedCount', { count: chapter.used })}
              </span>
            ) : null}
          </span>
        </span>
        <Icon name="forward" size={18} />
      </Link>
    </li>
  );
}
