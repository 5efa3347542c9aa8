import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { api } from '../../api/endpoints';
import type { ChatInfo, Profile } from '../../api/types';
import { chat, msg } from '../../test/fixtures';
import { renderUi } from '../../test/render';
import { ForwardDialog } from './ForwardDialog';

// Most recent first, as the chat list orders them.
const chats: ChatInfo[] = [
  chat(1, { kind: 'group', title: 'Project Ёлка', member_count: 3, last_activity_at: 40 }),
  chat(2, { peer_id: 7, last_activity_at: 30 }),
  chat(3, { kind: 'channel', title: 'News I only read', my_permissions: [], last_activity_at: 20 }),
  chat(4, { kind: 'channel', title: 'My channel', member_count: 12, my_permissions: ['send_messages'], last_activity_at: 10 }),
];
const boris: Profile = { id: 7, username: 'boris', display_name: 'Boris Petrov' } as Profile;

function renderDialog(lang: 'en' | 'ru' = 'en') {
  vi.spyOn(api, 'chats').mockResolvedValue({ items: chats, next_cursor: null });
  vi.spyOn(api, 'user').mockResolvedValue(boris);
  const onPick = vi.fn();
  const onClose = vi.fn();
  renderUi(<ForwardDialog message={msg(5, { text: 'the plan' })} onPick={onPick} onClose={onClose} />, { lang });
  return { onPick, onClose };
}

const names = () => screen.queryAllByTestId('forward-target').map((b) => b.querySelector('.person-name')?.textContent);

describe('ForwardDialog', () => {
  it('lists the chats I may write in, with the message being forwarded', async () => {
    renderDialog();
    expect(screen.getByRole('dialog', { name: 'Forward to…' })).toBeTruthy();
    expect(screen.getByTestId('forward-message').textContent).toBe('the plan');
    await waitFor(() => expect(names()).toEqual(['Project Ёлка', 'Boris Petrov', 'My channel']));
    expect(screen.getByRole('button', { name: 'Forward to Project Ёлка' }).textContent).toContain('3 members');
    expect(screen.getByRole('button', { name: 'Forward to Boris Petrov' }).textContent).toContain('@boris');
    expect(screen.getByRole('button', { name: 'Forward to My channel' }).textContent).toContain('12 subscribers');
    // The filter box has the focus.
    expect(document.activeElement).toBe(screen.getByRole('searchbox', { name: 'Find a chat' }));
  });

  it('filters by name, a person’s too, and says when nothing matches', async () => {
    renderDialog();
    await waitFor(() => expect(names()).toHaveLength(3));
    const box = screen.getByRole('searchbox', { name: 'Find a chat' });
    fireEvent.change(box, { target: { value: 'елка' } });
    expect(names()).toEqual(['Project Ёлка']);
    fireEvent.change(box, { target: { value: 'petrov' } });
    expect(names()).toEqual(['Boris Petrov']);
    fireEvent.change(box, { target: { value: 'News' } });
    expect(names()).toEqual([]);
    expect(screen.getByText('No chat to forward to matches.')).toBeTruthy();
  });

  it('hands over the chat picked; Esc closes', async () => {
    const { onPick, onClose } = renderDialog();
    fireEvent.click(await screen.findByRole('button', { name: 'Forward to Boris Petrov' }));
    expect(onPick).toHaveBeenCalledWith(chats[1]);
    fireEvent.keyDown(document, { key: 'Escape' });
    expect(onClose).toHaveBeenCalled();
  });

  it('speaks Russian', async () => {
    renderDialog('ru');
    expect(screen.getByRole('dialog', { name: 'Переслать в…' })).toBeTruthy();
    expect((await screen.findByRole('button', { name: 'Переслать: Project Ёлка' })).textContent).toContain('3 участника');
    fireEvent.change(screen.getByRole('searchbox', { name: 'Найти чат' }), { target: { value: 'нет такого' } });
    expect(screen.getByText('Нет подходящих чатов.')).toBeTruthy();
  });
});
