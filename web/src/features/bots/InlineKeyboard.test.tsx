import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallbackAnswer, Message } from '../../api/types';
import { botMsg, msg } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { BotAnswerView, NOTICE_MS, useButtonPress } from './BotAnswer';
import { InlineKeyboard } from './InlineKeyboard';

const PRESS = 'POST /api/v1/chats/1/messages/4/callback';
const weather = { id: 9, username: 'weather_bot', display_name: 'Weather', bio: '', created_at: 0, is_bot: true };
const message = botMsg(4, {
  inline_keyboard: [
    [
      { text: 'Yes', callback_data: 'vote:yes' },
      { text: 'No', callback_data: 'vote:no' },
    ],
    [
      { text: 'Docs', url: 'https://example.com/docs' },
      { text: 'Sneaky', url: 'javascript:alert(1)' },
    ],
  ],
});

/** The keyboard under a message with the chat's press handling, as ChatView wires them. */
function Pressable({ m, onError }: { m: Message; onError: (e: unknown) => void }) {
  const buttons = useButtonPress(1, onError);
  return (
    <>
      <InlineKeyboard message={m} onPress={(data) => buttons.press(m, data)} />
      <BotAnswerView shown={buttons.shown} onDismiss={buttons.dismiss} />
    </>
  );
}

/** A fake press endpoint whose answer the test gives when it likes. */
function pressServer() {
  const bodies: unknown[] = [];
  let answer: (a: CallbackAnswer | Response) => void = () => undefined;
  const calls = serve({
    [PRESS]: async (req) => {
      bodies.push(await req.json());
      const a = await new Promise<CallbackAnswer | Response>((ok) => (answer = ok));
      return a instanceof Response ? a : jsonResponse(200, a);
    },
    'GET /api/v1/users/9': () => jsonResponse(200, weather),
  });
  return { calls, bodies, answer: (a: CallbackAnswer | Response) => answer(a) };
}

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('inline keyboards', () => {
  it('draws the rows; a link opens in a new tab only when it is http(s)', () => {
    renderUi(<InlineKeyboard message={message} onPress={vi.fn()} />);
    const group = screen.getByRole('group', { name: 'Bot buttons' });
    const rows = group.querySelectorAll('.inline-keyboard-row');
    expect([...rows].map((r) => [...r.children].map((b) => b.textContent))).toEqual([
      ['Yes', 'No'],
      ['Docs', 'Sneaky'],
    ]);
    const link = screen.getByRole('link', { name: 'Docs' });
    expect(link.getAttribute('href')).toBe('https://example.com/docs');
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer');
    // Not a link, not a button: shown, inert.
    expect(screen.queryByRole('link', { name: 'Sneaky' })).toBeNull();
    expect(screen.getByText('Sneaky').closest('[aria-disabled="true"]')).toBeTruthy();
  });

  it('is nothing without buttons, and disabled with nowhere to press them', () => {
    const { container } = renderUi(<InlineKeyboard message={msg(1)} onPress={vi.fn()} />);
    expect(container.querySelector('.inline-keyboard')).toBeNull();
    renderUi(<InlineKeyboard message={message} />);
    expect((screen.getByRole('button', { name: 'Yes' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('presses a button: its data sent, the button disabled until the answer, whose text shows as a passing notice', async () => {
    const server = pressServer();
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderUi(<Pressable m={message} onError={vi.fn()} />);
    const yes = screen.getByRole('button', { name: 'Yes' }) as HTMLButtonElement;
    fireEvent.click(yes);
    await waitFor(() => expect(server.bodies).toEqual([{ data: 'vote:yes' }]));
    expect(yes.disabled).toBe(true);
    expect(yes.getAttribute('aria-busy')).toBe('true');
    // The other buttons still work meanwhile; pressing the waiting one again sends nothing.
    expect((screen.getByRole('button', { name: 'No' }) as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(yes);
    expect(server.calls.filter((c) => c.startsWith('POST'))).toHaveLength(1);
    act(() => server.answer({ answered: true, text: 'Counted: yes', show_alert: false }));
    const notice = await screen.findByTestId('bot-notice');
    expect(notice.getAttribute('role')).toBe('status');
    expect(notice.textContent).toBe('Counted: yes');
    await waitFor(() => expect(yes.disabled).toBe(false));
    // It goes by itself.
    act(() => vi.advanceTimersByTime(NOTICE_MS + 10));
    expect(screen.queryByTestId('bot-notice')).toBeNull();
  });

  it('shows an alert to dismiss, named by the bot, and opens the answer’s http(s) link in a new tab', async () => {
    const server = pressServer();
    const open = vi.spyOn(window, 'open').mockImplementation(() => null);
    renderUi(<Pressable m={message} onError={vi.fn()} />, { lang: 'ru' });
    fireEvent.click(screen.getByRole('button', { name: 'No' }));
    await waitFor(() => expect(server.bodies).toEqual([{ data: 'vote:no' }]));
    act(() => server.answer({ answered: true, text: 'Точно нет?', show_alert: true, url: 'https://example.com/why' }));
    const dialog = await screen.findByRole('dialog', { name: 'Weather' });
    expect(within(dialog).getByTestId('bot-alert').textContent).toBe('Точно нет?');
    expect(open).toHaveBeenCalledWith('https://example.com/why', '_blank', 'noopener,noreferrer');
    const link = within(dialog).getByRole('link', { name: 'Открыть example.com' });
    expect(link.getAttribute('rel')).toBe('noopener noreferrer');
    fireEvent.click(within(dialog).getByRole('button', { name: 'OK' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('says when the bot did not answer, opens no other address, and hands a refused press to the chat', async () => {
    const server = pressServer();
    const open = vi.spyOn(window, 'open').mockImplementation(() => null);
    const onError = vi.fn();
    renderUi(<Pressable m={message} onError={onError} />);
    fireEvent.click(screen.getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(server.bodies).toHaveLength(1));
    act(() => server.answer({ answered: false }));
    const notice = await screen.findByTestId('bot-notice');
    expect(notice.dataset.kind).toBe('unanswered');
    expect(notice.textContent).toBe('The bot did not answer.');

    fireEvent.click(screen.getByRole('button', { name: 'No' }));
    await waitFor(() => expect(server.bodies).toHaveLength(2));
    act(() => server.answer({ answered: true, url: 'javascript:alert(1)' }));
    // Answered with nothing to show: the notice goes, nothing opens.
    await waitFor(() => expect(screen.queryByTestId('bot-notice')).toBeNull());
    expect(open).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(server.bodies).toHaveLength(3));
    act(() => server.answer(jsonResponse(422, { error: { code: 'validation_failed', message: 'no button of this message has this data', field: 'data' } })));
    await waitFor(() => expect(onError).toHaveBeenCalledWith(expect.objectContaining({ status: 422 })));
    expect((screen.getByRole('button', { name: 'Yes' }) as HTMLButtonElement).disabled).toBe(false);
  });
});

