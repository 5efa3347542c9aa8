import { Link } from 'react-router';
import type { ContentBlock } from '../../api/types';
import { formatNumber } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { Card, Spinner } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { known } from './automation';
import { SUMMARY_STATES, blockTitle, chapterTitle } from './content';
import { PagedList, StateBadge } from './parts';
import { useBlocks, useChapters, useSource } from './queries';

/**
 * A chapter's blocks, in reading order, a page at a time: each with its place and size, its
 * text folded (open to read it), its summary (and who wrote it), whether a post was made from
 * it, and why summarising it failed.
 */
export function ChapterPage({ id, chapter }: { id: number; chapter: number }) {
  const { t, lang } = useI18n();
  const source = useSource(id);
  const running = source.data?.summaries.running ?? false;
  const chapters = useChapters(id, true, running);
  const blocks = useBlocks(id, chapter, running);
  const info = chapters.data?.find((c) => c.index === chapter);
  return (
    <Card title={info ? chapterTitle(info, t('content.untitled')) : t('content.chapterN', { n: chapter + 1 })} className="auto-card" testId="chapter-page">
      <Link to={`/automation/content/${id}`} className="small" data-testid="back-to-book">
        <Icon name="back" size={14} /> {source.data ? source.data.name : t('content.backToBook')}
      </Link>
      {info ? (
        <p className="muted small auto-meta">
          <span data-testid="chapter-counts">
            {t('content.blocks', { count: info.blocks })} · {t('content.chars', { count: info.chars, n: formatNumber(info.chars, lang) })}
          </span>
          <span>{t('content.summarisedShort', { done: info.summarised, count: info.blocks })}</span>
          {info.used > 0 ? <span>{t('content.usedCount', { count: info.used })}</span> : null}
        </p>
      ) : chapters.isPending ? (
        <Spinner label={t('common.loading')} />
      ) : null}
      <PagedList query={blocks} label={t('content.blocksList')} empty={t('content.blocksNone')} testId="blocks">
        {(b) => <BlockRow key={b.id} block={b} />}
      </PagedList>
    </Card>
  );
}

function BlockRow({ block }: { block: ContentBlock }) {
  const { t, lang } = useI18n();
  const state = known(SUMMARY_STATES, block.summary_state);
  return (
    <li className="auto-row content-block" data-testid="block" data-id={block.id} data-seq={block.seq} data-summary={block.summary_state}>
      <div className="auto-head">
        <span className="person-text">
          <span className="person-name" dir="auto" data-testid="block-title">
            {blockTitle(block, (vars) => t('content.partOf', vars), t('content.untitled'))}
          </span>
          <span className="muted small">
            {t('content.blockN', { n: block.seq + 1 })} · {t('content.chars', { count: block.chars, n: formatNumber(block.chars, lang) })}
          </span>
        </span>
        <span className="auto-state-line">
          <StateBadge state={`summary-${block.summary_state}`} text={state ? t(`content.summaryState.${state}`) : block.summary_state} testId="block-summary-state" />
          {block.used ? <StateBadge state="used" text={t('content.used')} testId="block-used" /> : null}
        </span>
      </div>
      {block.summary_error ? (
        <p className="small auto-detail" data-testid="block-error">
          {block.summary_error}
        </p>
      ) : null}
      {block.summary ? (
        <div className="auto-report stack content-summary" data-testid="block-summary">
          <p className="small content-text" dir="auto">
            {block.summary.text}
          </p>
          <p className="muted small" data-testid="block-summary-by">
            {block.summary.by === 'offline' ? t('content.summaryByOffline') : t('content.summaryBy', { model: block.summary.by })}
            {block.summary.tokens_in > 0 || block.summary.tokens_out > 0
              ? ` · ${t('content.tokensSpent', { in: formatNumber(block.summary.tokens_in, lang), out: formatNumber(block.summary.tokens_out, lang) })}`
              : null}
          </p>
        </div>
      ) : null}
      <details className="content-details" data-testid="block-text">
        <summary className="small">{t('content.blockText')}</summary>
        <p className="small content-text" dir="auto">
          {block.text}
        </p>
      </details>
    </li>
  );
}
