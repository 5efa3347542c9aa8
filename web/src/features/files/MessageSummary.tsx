/**
 * A message in one line (chat list, quotes, pins, search hits): its text, or for a file sent
 * without a caption a paperclip and the file's name.
 */
import type { Message } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { Icon } from '../../ui/Icon';
import { attachedFile } from './attachment';

export function MessageSummary({ message }: { message: Pick<Message, 'text' | 'attachment'> }) {
  const { t } = useI18n();
  const file = message.text ? null : attachedFile(message.attachment);
  if (!file) return <>{message.text}</>;
  return (
    <>
      <Icon name="paperclip" size={14} className="summary-icon" aria-label={t('files.file')} />
      {file.name}
    </>
  );
}
