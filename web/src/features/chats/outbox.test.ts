import { QueryClient } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../../api/endpoints';
import { ApiError, networkError } from '../../api/errors';
import type { Message } from '../../api/types';
import { msg } from '../../test/fixtures';
import { clearOutbox, discard, enqueue, flush, outbox, retry, startOutbox, type OutboxItem } from './outbox';

const item = (nonce: string, at: number): OutboxItem => ({ nonce, user_id: 1, chat_id: 1, text: nonce, created_at: at });

let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  await clearOutbox();
});

describe('outbox', () => {
  it('keeps messages while the network is down, then sends them in order with their nonces', async () => {
    let up = false;
    const sent: string[] = [];
    const send = vi.fn(async (i: OutboxItem): Promise<Message> => {
      if (!up) throw networkError();
      sent.push(i.nonce);
      return msg(sent.length, { nonce: i.nonce, text: i.text });
    });
    stop = startOutbox(new QueryClient(), 1, { send });
    enqueue(item('a', 1));
    enqueue(item('b', 2));
    await vi.waitFor(() => expect(send).toHaveBeenCalled());
    await flush();
    expect(outbox.get().map((i) => i.nonce)).toEqual(['a', 'b']);
    up = true;
    await flush();
    expect(sent).toEqual(['a', 'b']);
    expect(outbox.get()).toEqual([]);
    // Every attempt carried the message's own nonce.
    expect(send.mock.calls.map(([i]) => i.nonce).every((n) => n === 'a' || n === 'b')).toBe(true);
  });

  it('marks a refused message failed, goes on with the next, and retries it on request', async () => {
    let refuse = true;
    const send = vi.fn(async (i: OutboxItem): Promise<Message> => {
      if (i.nonce === 'bad' && refuse) throw new ApiError(422, { code: 'validation_failed', message: 'too long', field: 'text' });
      return msg(1, { nonce: i.nonce });
    });
    stop = startOutbox(new QueryClient(), 1, { send });
    enqueue(item('bad', 1));
    enqueue(item('good', 2));
    await vi.waitFor(() =>
      expect(outbox.get()).toEqual([
        { ...item('bad', 1), failed: true, error: { status: 422, code: 'validation_failed', message: 'too long', field: 'text' } },
      ]),
    );
    refuse = false;
    retry('bad');
    await vi.waitFor(() => expect(outbox.get()).toEqual([]));
  });

  it('drops a deleted message and sends nothing for it', async () => {
    const send = vi.fn(async (): Promise<Message> => {
      throw networkError();
    });
    stop = startOutbox(new QueryClient(), 1, { send });
    enqueue(item('x', 1));
    discard('x');
    expect(outbox.get()).toEqual([]);
    send.mockImplementation(async () => msg(1));
    await flush();
    expect(send).toHaveBeenCalledTimes(1); // only the attempt made before it was deleted
  });
  it('sends a forward through the API as the address of its original', async () => {
    const send = vi.spyOn(api, 'send').mockImplementation(async (chatId, body) => msg(1, { chat_id: chatId, nonce: body.nonce, forwarded_from: 5 }));
    stop = startOutbox(new QueryClient(), 1);
    enqueue({ ...item('fw', 1), chat_id: 9, text: 'shown while pending', forward: { chat_id: 3, seq: 7 }, forwarded_from: 5 });
    await vi.waitFor(() => expect(outbox.get()).toEqual([]));
    expect(send).toHaveBeenCalledWith(9, { nonce: 'fw', text: '', forward: { chat_id: 3, seq: 7 } });
  });
});
