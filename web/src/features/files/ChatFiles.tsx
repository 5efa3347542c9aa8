/**
 * A chat's files and media, in its info panel: the messages that carry a file
 * (`GET /chats/{id}/messages?with_attachment=true`, paged like the history), newest first,
 * each as its file card (a picture opens the lightbox, which moves through the listed
 * pictures; a file downloads), who sent it and when, and "Load more" for older ones. Live
 * events keep the list current (realtime/apply.ts).
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useCallback, useId, useMemo, useState } from 'react';
import { api } from '../../api/endpoints';
import type { HistoryPage, Message } from '../../api/types';
import { formatDateTime } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { displayName, useUser } from '../../state/queries';
import { ErrorNote, Spinner } from '../../ui/common';
import { olderParam, type History, type HistoryParam } from '../realtime/apply';
import { attachedFile, pictureKind, type AttachedFile } from './attachment';
import { FileCard } from './FileCard';
import { chatPictures, Lightbox } from './Lightbox';

/** A file of the chat: the message carrying it and the file. */
export interface ChatFile {
  message: Message;
  file: AttachedFile;
}

/** The files of the loaded pages, newest first (deleted messages and other cards left out). */
export function newestFiles(data: History | undefined): ChatFile[] {
  // pages[0] is the newest page; each page is oldest first.
  return (data?.pages ?? []).flatMap((page) =>
    [...page.messages].reverse().flatMap((message) => {
      const file = message.deleted ? null : attachedFile(message.attachment);
      return file ? [{ message, file }] : [];
    }),
  );
}

export function useChatFiles(chatId: number) {
  return useInfiniteQuery<HistoryPage, Error, History, ReturnType<typeof keys.chatFiles>, HistoryParam>({
    queryKey: keys.chatFiles(chatId),
    queryFn: ({ pageParam }) => api.chatFiles(chatId, pageParam?.before),
    initialPageParam: undefined,
    getNextPageParam: (oldest) => olderParam(oldest),
    // Kept current by live events.
    staleTime: Infinity,
  });
}

export function ChatFiles({ chatId }: { chatId: number }) {
  const { t } = useI18n();
  const titleId = useId();
  const files = useChatFiles(chatId);
  const items = useMemo(() => newestFiles(files.data), [files.data]);
  // The picture shown full-window (its message's seq); the lightbox goes oldest to newest.
  const [viewing, setViewing] = useState<number | null>(null);
  const pictures = useMemo(() => (viewing === null ? [] : chatPictures(items.map((i) => i.message).reverse())), [viewing, items]);
  const closeViewer = useCallback(() => setViewing(null), []);
  return (
    <section className="panel-section chat-files" aria-labelledby={titleId} data-testid="chat-files">
      <h3 className="section-title" id={titleId}>
        {t('chatFiles.title')}
      </h3>
      {files.isPending ? <Spinner label={t('common.loading')} /> : null}
      <ErrorNote error={files.error} onRetry={() => void files.refetch()} />
      {files.isSuccess && items.length === 0 && !files.hasNextPage ? <p className="muted small">{t('chatFiles.none')}</p> : null}
      <ul className="plain-list chat-file-list">
        {items.map((item) => (
          <ChatFileRow key={item.message.seq} item={item} onOpen={setViewing} />
        ))}
      </ul>
      {files.hasNextPage ? (
        <button type="button" className="button small" onClick={() => void files.fetchNextPage()} disabled={files.isFetchingNextPage} data-testid="chat-files-more">
          {files.isFetchingNextPage ? <Spinner label={t('common.loading')} /> : null} {t('chatFiles.more')}
        </button>
      ) : null}
      {viewing !== null ? <Lightbox pictures={pictures} seq={viewing} onShow={setViewing} onClose={closeViewer} /> : null}
    </section>
  );
}

function ChatFileRow({ item: { message, file }, onOpen }: { item: ChatFile; onOpen: (seq: number) => void }) {
  const { lang } = useI18n();
  const sender = useUser(message.sender_id);
  return (
    <li className="chat-file" data-testid="chat-file" data-seq={message.seq}>
      <FileCard
        file={file}
        source={{ id: file.id, chatId: message.chat_id, seq: message.seq }}
        onOpen={pictureKind(file) === 'none' ? undefined : () => onOpen(message.seq)}
      />
      <span className="muted small chat-file-meta">
        {displayName(sender.data)} · <time dateTime={new Date(message.created_at).toISOString()}>{formatDateTime(message.created_at, lang)}</time>
      </span>
    </li>
  );
}
