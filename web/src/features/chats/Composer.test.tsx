import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderUi } from '../../test/render';
import { Composer, mentionAt } from './Composer';

function setup(over: Partial<Parameters<typeof Composer>[0]> = {}) {
  const props = {
    chatId: 1,
    disabledReason: null,
    replyTo: null,
    editing: null,
    candidates: [
      { id: 2, username: 'alice', display_name: 'Alice', bio: '', created_at: 0 },
      { id: 3, username: 'bob', display_name: '', bio: '', created_at: 0 },
    ],
    onCancelReply: vi.fn(),
    onCancelEdit: vi.fn(),
    onSend: vi.fn(),
    onSaveEdit: vi.fn(),
    onEditLast: vi.fn(),
    onTyping: vi.fn(),
    ...over,
  };
  renderUi(<Composer {...props} />);
  const box = screen.getByRole('combobox') as HTMLTextAreaElement;
  const type = (value: string) => fireEvent.change(box, { target: { value, selectionStart: value.length } });
  return { props, box, type };
}

describe('Composer', () => {
  it('sends with Enter and adds a line with Shift+Enter', () => {
    const { props, box, type } = setup();
    type('hello');
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(props.onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).toHaveBeenCalledWith('hello');
    expect(box.value).toBe('');
    expect(props.onTyping).toHaveBeenCalled();
  });

  it('counts UTF-16 code units near the limit and refuses text over it', () => {
    const { props, box, type } = setup();
    type('a'.repeat(3000));
    expect(screen.queryByTestId('composer-counter')).toBeNull();
    type(`${'a'.repeat(4000)}👍`); // the emoji is two code units
    expect(screen.getByTestId('composer-counter').textContent).toBe('94');
    type('a'.repeat(4097));
    expect(screen.getByTestId('composer-counter').textContent).toBe('-1');
    expect(screen.getByRole('alert').textContent).toBe('The message is 1 character too long: shorten it to send.');
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).not.toHaveBeenCalled();
    type('a'.repeat(4096));
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).toHaveBeenCalledWith('a'.repeat(4096));
  });

  it('does not send blank text', () => {
    const { props, box, type } = setup();
    type('   ');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).not.toHaveBeenCalled();
  });

  it('suggests members after @ and inserts the picked username', () => {
    const { box, type } = setup();
    type('hi @al');
    const options = screen.getAllByRole('option');
    expect(options).toHaveLength(1);
    expect(options[0]?.textContent).toContain('@alice');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(box.value).toBe('hi @alice ');
  });

  it('suggests only the chat\'s members, by username or any word of the name', () => {
    const { type } = setup({
      candidates: [
        { id: 2, username: 'alice', display_name: 'Alice Ёлкина' },
        { id: 3, username: 'bob', display_name: '' },
      ],
    });
    type('@елк');
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual([expect.stringContaining('@alice')]);
    type('@carol');
    expect(screen.queryAllByRole('option')).toHaveLength(0);
  });

  it('Escape closes the suggestions', () => {
    const { box, type } = setup();
    type('@');
    expect(screen.getAllByRole('option')).toHaveLength(2);
    fireEvent.keyDown(box, { key: 'Escape' });
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('↑ in an empty box edits the last message', () => {
    const { props, box } = setup();
    fireEvent.keyDown(box, { key: 'ArrowUp' });
    expect(props.onEditLast).toHaveBeenCalled();
  });

  it('shows why it is read-only', () => {
    renderUi(
      <Composer
        chatId={1}
        disabledReason="Only admins post in this channel."
        replyTo={null}
        editing={null}
        candidates={[]}
        onCancelReply={vi.fn()}
        onCancelEdit={vi.fn()}
        onSend={vi.fn()}
        onSaveEdit={vi.fn()}
        onEditLast={vi.fn()}
        onTyping={vi.fn()}
      />,
    );
    expect(screen.getByText('Only admins post in this channel.')).toBeTruthy();
  });
});

describe('mentionAt', () => {
  it('finds the @word before the caret', () => {
    expect(mentionAt('hi @bo', 6)).toEqual({ start: 3, query: 'bo' });
    expect(mentionAt('mail a@b', 8)).toBeNull();
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
  });
});
