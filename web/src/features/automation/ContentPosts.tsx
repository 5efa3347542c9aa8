import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { ContentPost, ContentPostChange, ContentSource } from '../../api/types';
import { formatNumber } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Field, Spinner, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { RichText } from '../chats/RichText';
import { known } from './automation';
import { POST_FILTERS, POST_STATES, blockTitle, postMoves } from './content';
import { replaced, storeItem, withoutItem, type Paged } from './lists';
import { ConfirmButton, PagedList, StateBadge, When } from './parts';
import { useContentPosts } from './queries';

/** Every cached posts list of the book (all, and each state's) with `post` as it is now, then asked again (it may have left a state's list). */
function storePost(qc: QueryClient, post: ContentPost): void {
  qc.setQueriesData<Paged<ContentPost>>({ queryKey: keys.contentPostLists(post.source_id) }, (list) => replaced(list, post));
  void qc.invalidateQueries({ queryKey: keys.contentPostLists(post.source_id) });
}

/** A post made or deleted changes which blocks are used: the book's chapters and blocks are asked again. */
function blocksChanged(qc: QueryClient, sourceId: number): void {
  void qc.invalidateQueries({ queryKey: keys.contentChapters(sourceId) });
  void qc.invalidateQueries({ queryKey: [...keys.contentSource(sourceId), 'blocks'] });
}

/**
 * The book's posts queue, newest first: "Make a post" takes the next summary no post was made
 * from; each post shows as a chat message would (its text and entities), its length and
 * whether it fits a Hybrid chat and Telegram, its Markdown to edit, and Approve, Skip, Back to
 * draft and Delete.
 */
export function ContentPosts({ source }: { source: ContentSource }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [filter, setFilter] = useState('');
  const posts = useContentPosts(source.id, filter);
  const make = useMutation({
    mutationFn: () => api.makeContentPost(source.id),
    onSuccess: (post) => {
      storeItem(qc, keys.contentPosts(source.id), post, 'first');
      void qc.invalidateQueries({ queryKey: keys.contentPostLists(source.id) });
      blocksChanged(qc, source.id);
    },
  });
  return (
    <Card title={t('content.posts')} className="auto-card" testId="content-posts">
      <p className="muted small">{t('content.postsHint')}</p>
      <ErrorNote error={make.error} />
      <div className="row auto-actions">
        <button type="button" className="button small primary" onClick={() => make.mutate()} disabled={make.isPending || source.summaries.done === 0} data-testid="posts-make">
          <Icon name="plus" size={14} /> {t('content.makePost')}
        </button>
        <label className="row small content-filter">
          <span>{t('content.show')}</span>
          <select value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="posts-filter">
            {POST_FILTERS.map((f) => (
              <option key={f} value={f}>
                {f ? t(`content.postState.${f}`) : t('content.allPosts')}
              </option>
            ))}
          </select>
        </label>
      </div>
      {source.summaries.done === 0 ? <p className="muted small">{t('content.postsNeedSummaries')}</p> : null}
      <PagedList query={posts} label={t('content.postsList')} empty={t(filter ? 'content.postsNoneHere' : 'content.postsNone')} testId="posts">
        {(p) => <PostRow key={p.id} post={p} />}
      </PagedList>
    </Card>
  );
}

function madeBy(post: ContentPost, t: ReturnType<typeof useI18n>['t']): string {
  if (post.made_by === 'template') return t('content.madeByTemplate');
  if (post.made_by === 'edited') return t('content.madeByEdited');
  return t('content.madeByModel', { model: post.made_by });
}

function PostRow({ post }: { post: ContentPost }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  // Gone (deleted elsewhere) or moved on: the lists as they are now.
  const stale = (e: unknown) => {
    if (isApiError(e) && (e.status === 404 || e.code === 'wrong_state')) void qc.invalidateQueries({ queryKey: keys.contentPostLists(post.source_id) });
  };
  const change = useMutation({
    mutationFn: (c: ContentPostChange) => api.changeContentPost(post.id, c),
    onSuccess: (now) => storePost(qc, now),
    onError: stale,
  });
  const remove = useMutation({
    mutationFn: () => api.removeContentPost(post.id),
    onSuccess: () => {
      qc.setQueriesData<Paged<ContentPost>>({ queryKey: keys.contentPostLists(post.source_id) }, (list) => withoutItem(list, post.id));
      blocksChanged(qc, post.source_id);
    },
    onError: stale,
  });
  const state = known(POST_STATES, post.state);
  const busy = change.isPending || remove.isPending;
  const generating = post.state === 'generating';
  const save = (e: FormEvent) => {
    e.preventDefault();
    if (editing === null) return;
    change.mutate({ markdown: editing }, { onSuccess: () => setEditing(null) });
  };
  const atMarkdown = fieldError(change.error, 'markdown');
  return (
    <li className="auto-row content-post" data-testid="post" data-id={post.id} data-state={post.state}>
      <div className="auto-head">
        <span className="person-text">
          <span className="person-name" dir="auto" data-testid="post-title">
            {blockTitle(post, (vars) => t('content.partOf', vars), t('content.untitled'))}
          </span>
          <span className="muted small">
            <span data-testid="post-made-by">{madeBy(post, t)}</span> · <When ms={post.updated_at} />
          </span>
        </span>
        <StateBadge state={post.state} text={state ? t(`content.postState.${state}`) : post.state} testId="post-state" />
      </div>
      {generating ? (
        <p className="muted small row">
          <Spinner label={t('common.loading')} /> {t('content.generating')}
        </p>
      ) : null}
      {post.error ? (
        <p className="small auto-detail" data-testid="post-error">
          {post.error}
        </p>
      ) : null}
      {post.text ? (
        <div className="content-preview" aria-label={t('content.preview')} role="group">
          <div className="bubble">
            <p className="message-text" dir="auto" data-testid="post-preview">
              <RichText text={post.text} entities={post.entities} />
            </p>
          </div>
        </div>
      ) : null}
      {!generating ? (
        <p className="small auto-meta">
          <span data-testid="post-length">{t('content.length', { count: post.length, n: formatNumber(post.length, lang) })}</span>
          {post.targets.map((fit) => (
            <span key={fit.target} className={`job-state auto-state ${fit.fits ? 'state-finished' : 'state-failed'}`} data-testid="post-fit" data-target={fit.target} data-fits={fit.fits}>
              {t(fit.fits ? 'content.fits' : 'content.tooLong', {
                target: fit.target === 'telegram' ? 'Telegram' : fit.target === 'hybrid' ? t('content.targetHybrid') : fit.target,
                max: formatNumber(fit.max_length, lang),
              })}
            </span>
          ))}
        </p>
      ) : null}
      {editing !== null ? (
        <form className="stack" onSubmit={save} noValidate data-testid="post-editor">
          <Field label={t('content.markdown')} error={atMarkdown} hint={t('content.markdownHint')}>
            {(p) => <textarea {...p} rows={8} dir="auto" value={editing} onChange={(e) => setEditing(e.target.value)} data-testid="post-markdown" />}
          </Field>
          <ErrorNote error={change.error && !atMarkdown ? change.error : null} />
          <div className="row">
            <button
              type="button"
              className="button small ghost"
              onClick={() => {
                change.reset();
                setEditing(null);
              }}
            >
              {t('common.cancel')}
            </button>
            <button type="submit" className="button small primary" disabled={busy || editing === post.markdown} data-testid="post-save">
              {t('common.save')}
            </button>
          </div>
        </form>
      ) : (
        <ErrorNote error={change.error ?? remove.error} />
      )}
      <div className="row auto-actions">
        {!generating && editing === null ? (
          <button
            type="button"
            className="button small"
            onClick={() => {
              change.reset();
              setEditing(post.markdown);
            }}
            disabled={busy}
            data-testid="post-edit"
          >
            <Icon name="edit" size={14} /> {t('content.edit')}
          </button>
        ) : null}
        {postMoves(post.state).map((to) => (
          <button
            key={to}
            type="button"
            className={`button small${to === 'approved' ? ' primary' : ''}`}
            onClick={() => change.mutate({ state: to })}
            disabled={busy || editing !== null}
            data-testid={to === 'approved' ? 'post-approve' : to === 'skipped' ? 'post-skip' : 'post-draft'}
          >
            {to === 'approved' ? <Icon name="check" size={14} /> : null} {t(to === 'approved' ? 'content.approve' : to === 'skipped' ? 'content.skip' : 'content.toDraft')}
          </button>
        ))}
        <ConfirmButton
          label={t('common.delete')}
          ariaLabel={t('content.removePostOne', { name: blockTitle(post, (vars) => t('content.partOf', vars), t('content.untitled')) })}
          title={t('content.removePostTitle')}
          text={t('content.removePostText')}
          confirm={t('common.delete')}
          disabled={busy}
          testId="post-remove"
          onConfirm={() => remove.mutate()}
        />
      </div>
    </li>
  );
}
