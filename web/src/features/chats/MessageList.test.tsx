import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/errors';
import type { Message, Profile } from '../../api/types';
import { botMsg, chat, msg } from '../../test/fixtures';
import { renderUi } from '../../test/render';
import { MessageList, type MessageActions } from './MessageList';

const DAY = 86_400_000;
const now = Date.now();
const directChat = chat(1, {
  last_seq: 4,
  last_activity_at: now,
  peer_id: 2,
  my_permissions: ['send_messages', 'pin'],
  read_seq: 2,
  unread_count: 2,
});
const actions: MessageActions = {
  onReply: vi.fn(),
  onForward: vi.fn(),
  onEdit: vi.fn(),
  onDelete: vi.fn(),
  onReact: vi.fn(),
  onPin: vi.fn(),
  onRetry: vi.fn(),
  onDiscard: vi.fn(),
  onJump: vi.fn(),
};

function renderList(over: Partial<Parameters<typeof MessageList>[0]> = {}) {
  return renderUi(
    <MessageList
      chat={directChat}
      me={1}
      messages={[
        msg(1, { created_at: now - 2 * DAY, sender_id: 1 }),
        msg(2, { created_at: now - DAY }),
        msg(3, { created_at: now - 1000 }),
        msg(4, { created_at: now, deleted: true, text: '' }),
      ]}
      pending={[]}
      hasOlder={false}
      loadingOlder={false}
      loadOlder={vi.fn()}
      peerReadSeq={1}
      pinned={new Set([2])}
      highlight={null}
      actions={actions}
      onBottomChange={vi.fn()}
      canPin
      canDeleteOthers={false}
      canEditOthers={false}
      unreadAfter={2}
      {...over}
    />,
  );
}

describe('MessageList', () => {
  it('separates days, marks where unread messages start, and shows tombstones', () => {
    const { container } = renderList();
    const separators = [...container.querySelectorAll('.day-separator')].map((e) => e.textContent);
    expect(separators).toHaveLength(3);
    expect(separators.slice(1)).toEqual(['Yesterday', 'Today']);
    const divider = container.querySelector('.unread-divider');
    expect(divider?.textContent).toBe('New messages');
    expect(divider?.nextElementSibling?.getAttribute('data-seq')).toBe('3');
    expect(screen.getByText('Message deleted')).toBeTruthy();
    expect(screen.getByText('This is the beginning of the conversation.')).toBeTruthy();
  });

  it('ticks my messages as read up to the peer read marker', () => {
    renderList();
    expect(screen.getByRole('img', { name: 'Read' })).toBeTruthy();
  });

  it('a quote of a message that is not loaded asks to jump to it', () => {
    renderList({ messages: [msg(40, { created_at: now, reply_to: 7 })], hasOlder: true });
    screen.getByRole('button', { name: /An earlier message/ }).click();
    expect(actions.onJump).toHaveBeenCalledWith(7);
  });

  it('below a jump, the latest-messages button goes back to the live end', () => {
    const onJumpToLatest = vi.fn();
    renderList({ hasNewer: true, loadNewer: vi.fn(), onJumpToLatest });
    screen.getByRole('button', { name: 'Jump to the latest messages' }).click();
    expect(onJumpToLatest).toHaveBeenCalled();
  });

  it('shows pending and failed sends with a retry', () => {
    renderList({ pending: [{ nonce: 'n1', text: 'on its way', created_at: now, failed: true }] });
    expect(screen.getByText('on its way')).toBeTruthy();
    screen.getByRole('button', { name: 'Try again' }).click();
    expect(actions.onRetry).toHaveBeenCalled();
  });

  it('a refused send says why, and offers no retry when it cannot help', () => {
    const error = new ApiError(422, { code: 'validation_failed', message: 'must be at most 100 UTF-16 code units', field: 'text' });
    renderList({ pending: [{ nonce: 'n3', text: 'too long', created_at: now, failed: true, error, retryable: false }] });
    expect(screen.getByTestId('failed-note').textContent).toBe('Not sent: At most 100 characters.');
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
    screen.getByRole('button', { name: 'Delete' }).click();
    expect(actions.onDiscard).toHaveBeenCalledWith(expect.objectContaining({ nonce: 'n3' }));
  });

  it('draws a service message as a line without reply or menu', () => {
    const group = chat(1, { kind: 'group', title: 'G' });
    const { container } = renderList({
      chat: group,
      messages: [msg(1, { created_at: now, text: '', action: { type: 'title_changed', title: 'New name' } })],
    });
    const line = screen.getByTestId('service-message');
    expect(line.textContent).toContain('changed the group name to «New name»');
    expect(line.querySelector('button')).toBeNull(); // not an admin here: no delete either
    expect(container.querySelectorAll('[data-testid="message"]')).toHaveLength(0);
  });

  it('a pending message can be cancelled, and the jump button shows the unread count', () => {
    renderList({ pending: [{ nonce: 'n2', text: 'queued', created_at: now, failed: false }], hasNewer: true, loadNewer: vi.fn(), unreadCount: 7 });
    screen.getByRole('button', { name: 'Cancel sending' }).click();
    expect(actions.onDiscard).toHaveBeenCalledWith(expect.objectContaining({ nonce: 'n2' }));
    expect(screen.getByTestId('jump-unread').textContent).toBe('7');
  });

  it('shows a file card for a message carrying a file, with its caption or alone', () => {
    const card = (id: string, name: string) => ({
      type: 'file',
      service: 'files',
      object_id: id,
      version: 1,
      preview: { name, size: 2048, content_type: 'application/pdf' } as unknown as NonNullable<Message['attachment']>['preview'],
    });
    const { container } = renderList({
      messages: [msg(5, { created_at: now, text: 'the report', attachment: card('7', 'report.pdf') }), msg(6, { created_at: now, text: '', attachment: card('8', 'old.pdf') }), msg(7, { created_at: now, deleted: true, text: '', attachment: card('9', 'gone.pdf') })],
      pending: [{ nonce: 'n4', text: '', file: { name: 'slides.pdf', size: 10, content_type: 'application/pdf' }, created_at: now, failed: false }],
    });
    const cards = screen.getAllByTestId('file-card');
    expect(cards.map((c) => c.querySelector('.file-name')?.textContent)).toEqual(['report.pdf', 'old.pdf', 'slides.pdf']);
    expect(screen.getByText('the report')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Download old.pdf' })).toBeTruthy();
    // No empty text under a file sent without a caption, and no card on a deleted message.
    expect(container.querySelector('[data-seq="6"] .message-text')).toBeNull();
    expect(cards[2]?.dataset.state).toBe('sending');
  });

  it('opens a picture full-window, and moves to the history’s other pictures', async () => {
    vi.spyOn(api, 'fileLink').mockImplementation(async (id, _chat, _seq, variant) => ({ url: `/link/${id}/${variant ?? 'file'}`, expires_at: Date.now() / 1000 + 600 }));
    const picture = (id: string, name: string) => ({
      type: 'file',
      service: 'files',
      object_id: id,
      version: 2,
      preview: {
        name,
        size: 2048,
        content_type: 'image/png',
        media: { state: 'ready', width: 640, height: 480, blurhash: 'LzFN}$p1N{%4KnXBjvXBA_Wto2SP', thumbnails: [{ side: 320, width: 320, height: 240 }] },
      } as unknown as NonNullable<Message['attachment']>['preview'],
    });
    renderList({ messages: [msg(5, { created_at: now, text: '', attachment: picture('7', 'one.png') }), msg(6, { created_at: now, text: 'two', attachment: picture('8', 'two.png') })] });
    expect((await screen.findByRole('img', { name: 'one.png' })).getAttribute('src')).toBe('/link/7/320.webp');
    fireEvent.click(screen.getByRole('button', { name: 'Open the picture two.png' }));
    expect(screen.getByRole('dialog', { name: 'two.png' })).toBeTruthy();
    fireEvent.keyDown(document.activeElement ?? document, { key: 'ArrowLeft' });
    expect(screen.getByRole('dialog', { name: 'one.png' })).toBeTruthy();
    fireEvent.keyDown(document.activeElement ?? document, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });
  it('a forwarded message says whom it is from, also while on its way; the menu forwards', async () => {
    vi.spyOn(api, 'user').mockImplementation(async (id) => ({ id, username: `u${id}`, display_name: id === 3 ? 'Anna Smirnova' : 'Someone' }) as Profile);
    const forwarded = msg(5, { created_at: now, text: 'look at this', forwarded_from: 3 });
    renderList({
      messages: [msg(4, { created_at: now, text: 'my own words' }), forwarded],
      pending: [{ nonce: 'n5', text: 'and this', forwarded_from: 3, created_at: now, failed: false }],
    });
    await waitFor(() => expect(screen.getAllByTestId('forwarded-from').map((e) => e.textContent)).toEqual(['Forwarded from Anna Smirnova', 'Forwarded from Anna Smirnova']));
    // Only the forwarded ones say so.
    expect(document.querySelector('[data-seq="4"] [data-testid="forwarded-from"]')).toBeNull();
    const item = document.querySelector<HTMLElement>('[data-seq="5"]');
    fireEvent.click(within(item as HTMLElement).getByRole('button', { name: 'Message actions' }));
    fireEvent.click(screen.getByRole('menuitem', { name: 'Forward' }));
    expect(actions.onForward).toHaveBeenCalledWith(forwarded);
    expect(screen.queryByRole('menu')).toBeNull();
  });

  it('says "Forwarded from" in Russian', async () => {
    vi.spyOn(api, 'user').mockResolvedValue({ id: 3, username: 'anna', display_name: 'Анна' } as Profile);
    renderUi(
      <MessageList
        chat={directChat}
        me={1}
        messages={[msg(5, { created_at: now, forwarded_from: 3 })]}
        pending={[]}
        hasOlder={false}
        loadingOlder={false}
        loadOlder={vi.fn()}
        peerReadSeq={undefined}
        pinned={new Set()}
        highlight={null}
        actions={actions}
        onBottomChange={vi.fn()}
        canPin={false}
        canDeleteOthers={false}
        canEditOthers={false}
        unreadAfter={null}
      />,
      { lang: 'ru' },
    );
    expect((await screen.findByText('Переслано от Анна')).closest('[data-seq="5"]')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Действия с сообщением' }));
    expect(screen.getByRole('menuitem', { name: 'Переслать' })).toBeTruthy();
  });

  it('draws a bot’s buttons under its bubble, named as a bot in a group; a press goes to the chat with the message', async () => {
    vi.spyOn(api, 'user').mockImplementation(async (id) => ({ id, username: id === 9 ? 'poll_bot' : `u${id}`, display_name: id === 9 ? 'Poll' : 'Someone', is_bot: id === 9 }) as Profile);
    let answered: () => void = () => undefined;
    const onPress = vi.fn(() => new Promise<void>((ok) => (answered = ok)));
    const poll = botMsg(5, { inline_keyboard: [[{ text: 'Tea', callback_data: 'tea' }, { text: 'Coffee', callback_data: 'coffee' }]] }, { created_at: now, text: 'Tea or coffee?' });
    renderList({ chat: chat(1, { kind: 'group', title: 'G' }), messages: [msg(4, { created_at: now, text: 'hi' }), poll], actions: { ...actions, onPress } });
    const item = document.querySelector<HTMLElement>('[data-seq="5"]') as HTMLElement;
    const column = item.querySelector('.bubble-column') as HTMLElement;
    expect(column.firstElementChild?.classList.contains('bubble')).toBe(true);
    expect(within(column).getByRole('group', { name: 'Bot buttons' })).toBe(column.lastElementChild);
    await waitFor(() => expect(item.querySelector('.message-sender')?.textContent).toBe('Pollbot'));
    expect(item.querySelector('.message-sender [data-testid="bot-badge"]')?.textContent).toBe('bot');
    // Only the bot is marked, and a message without buttons has no column.
    await waitFor(() => expect(document.querySelector('[data-seq="4"] .message-sender')?.textContent).toBe('Someone'));
    expect(document.querySelector('[data-seq="4"] .bubble-column')).toBeNull();
    const coffee = within(column).getByRole('button', { name: 'Coffee' }) as HTMLButtonElement;
    fireEvent.click(coffee);
    expect(onPress).toHaveBeenCalledWith(poll, 'coffee');
    expect(coffee.disabled).toBe(true);
    answered();
    await waitFor(() => expect(coffee.disabled).toBe(false));
  });
});
