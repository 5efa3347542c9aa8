import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../api/types';
import type { Lang } from '../../i18n/index';
import { botMsg, msg } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { Composer } from '../chats/Composer';
import { CommandMenu } from './CommandMenu';
import { KeyboardToggle, ReplyKeyboardBar, useReplyKeyboard } from './ReplyKeyboardBar';

const colours = (oneTime: boolean) =>
  botMsg(2, { keyboard: [['Red', 'Green'], ['Blue']], one_time_keyboard: oneTime, input_field_placeholder: 'Pick a colour' });

/** The composer with a bot's keyboard and command menu, wired as ChatView wires them. */
function Chat({ messages, live = true, botId, onSend }: { messages: Message[]; live?: boolean; botId?: number; onSend: (text: string) => void }) {
  const keys = useReplyKeyboard(messages, live);
  const keyboard = keys.open ? keys.keyboard : null;
  return (
    <Composer
      chatId={1}
      disabledReason={null}
      replyTo={null}
      editing={null}
      candidates={[]}
      onCancelReply={vi.fn()}
      onCancelEdit={vi.fn()}
      onSend={onSend}
      onSaveEdit={vi.fn()}
      onEditLast={vi.fn()}
      onTyping={vi.fn()}
      placeholder={keyboard?.placeholder}
      above={
        keyboard ? (
          <ReplyKeyboardBar
            keyboard={keyboard}
            onPick={(text) => {
              keys.used();
              onSend(text);
            }}
          />
        ) : null
      }
      tools={
        <>
          {botId ? <CommandMenu botId={botId} onPick={onSend} /> : null}
          {keys.keyboard ? <KeyboardToggle open={keys.open} onToggle={keys.toggle} /> : null}
        </>
      }
    />
  );
}

type Props = Omit<Parameters<typeof Chat>[0], 'onSend'>;

/** Renders the chat; `rerender` gives it other props (new messages arriving), inside the same providers. */
function setup(props: Props, lang: Lang = 'en') {
  const onSend = vi.fn();
  let change: (next: Props) => void = () => undefined;
  function Live() {
    const [now, setNow] = useState(props);
    change = setNow;
    return <Chat {...now} onSend={onSend} />;
  }
  renderUi(<Live />, { lang });
  return { onSend, rerender: (next: Props) => act(() => change(next)) };
}

const keyboard = () => screen.queryByRole('group', { name: 'Bot keyboard' });
const box = () => screen.getByRole('combobox') as HTMLTextAreaElement;

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
});

describe('reply keyboards', () => {
  it('shows the latest keyboard over the box; a button sends its text; a one-time keyboard then hides until asked for', () => {
    const { onSend } = setup({ messages: [msg(1), colours(true)] });
    const group = keyboard() as HTMLElement;
    expect([...group.querySelectorAll('.reply-keyboard-row')].map((r) => [...r.children].map((b) => b.textContent))).toEqual([['Red', 'Green'], ['Blue']]);
    expect(box().placeholder).toBe('Pick a colour');
    fireEvent.click(within(group).getByRole('button', { name: 'Green' }));
    expect(onSend).toHaveBeenCalledWith('Green');
    expect(keyboard()).toBeNull();
    expect(box().placeholder).toBe('Write a message…');
    const toggle = screen.getByRole('button', { name: 'Show the bot’s keyboard' });
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(toggle);
    expect(keyboard()).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Hide the bot’s keyboard' }));
    expect(keyboard()).toBeNull();
  });

  it('keeps a keyboard that is not one-time; a later message removing it takes it away, a new one brings one back', () => {
    const { onSend, rerender } = setup({ messages: [colours(false)] });
    fireEvent.click(screen.getByRole('button', { name: 'Blue' }));
    fireEvent.click(screen.getByRole('button', { name: 'Red' }));
    expect(onSend.mock.calls).toEqual([['Blue'], ['Red']]);
    expect(keyboard()).toBeTruthy();
    // My own message and an inline keyboard leave it.
    rerender({ messages: [colours(false), msg(3, { sender_id: 1, text: 'Red' }), botMsg(4, { inline_keyboard: [[{ text: 'Vote', callback_data: 'v' }]] })] });
    expect(keyboard()).toBeTruthy();
    rerender({ messages: [colours(false), botMsg(5, { remove_keyboard: true })] });
    expect(keyboard()).toBeNull();
    expect(screen.queryByTestId('keyboard-toggle')).toBeNull();
    rerender({ messages: [colours(false), botMsg(5, { remove_keyboard: true }), botMsg(6, { keyboard: [[{ text: 'Again' }]] })] });
    expect(within(keyboard() as HTMLElement).getByRole('button').textContent).toBe('Again');
  });

  it('shows none while the history does not reach the latest messages', () => {
    setup({ messages: [colours(false)], live: false });
    expect(keyboard()).toBeNull();
    expect(screen.queryByTestId('keyboard-toggle')).toBeNull();
  });
});

describe('a bot’s command menu', () => {
  it('lists the bot’s commands in the UI language; a pick sends /command', async () => {
    const calls = serve({
      'GET /api/v1/bots/9/commands': (req) =>
        jsonResponse(
          200,
          new URL(req.url).searchParams.get('language_code') === 'ru'
            ? [
                { command: 'start', description: 'Начать' },
                { command: 'help', description: 'Помощь' },
              ]
            : [],
        ),
    });
    const { onSend } = setup({ messages: [], botId: 9 }, 'ru');
    const button = await screen.findByRole('button', { name: 'Команды бота' });
    expect(calls).toEqual(['GET /api/v1/bots/9/commands?language_code=ru']);
    fireEvent.click(button);
    const menu = screen.getByRole('menu', { name: 'Команды бота' });
    expect(within(menu).getAllByRole('menuitem').map((b) => b.textContent)).toEqual(['/startНачать', '/helpПомощь']);
    fireEvent.click(within(menu).getByRole('menuitem', { name: /help/ }));
    expect(onSend).toHaveBeenCalledWith('/help');
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(button);
  });

  it('is not there while the bot has no commands', async () => {
    const calls = serve({ 'GET /api/v1/bots/9/commands': () => jsonResponse(200, []) });
    setup({ messages: [], botId: 9 });
    await waitFor(() => expect(calls).toEqual(['GET /api/v1/bots/9/commands?language_code=en']));
    expect(screen.queryByTestId('bot-commands-button')).toBeNull();
  });
});
