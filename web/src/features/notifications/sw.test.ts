/**
 * public/sw.js itself, run against a stand-in of the worker's globals: what a push shows,
 * and where a click leads.
 */
import { describe, expect, it, vi } from 'vitest';
// The file as served (read as text here; the build copies it from public/).
import SOURCE from '../../../public/sw.js?raw';
import { translate, type Key, type Vars } from '../../i18n/index';
import { workerLines } from './text';

interface Tab {
  focused: boolean;
  visibilityState: string;
  postMessage: ReturnType<typeof vi.fn>;
  focus: ReturnType<typeof vi.fn>;
}

function worker(tabs: Tab[] = []) {
  const listeners = new Map<string, ((e: unknown) => void)[]>();
  const store = new Map<string, Response>();
  const caches = {
    open: async () => ({
      match: async (key: string) => store.get(key)?.clone(),
      put: async (key: string, res: Response) => void store.set(key, res),
    }),
    delete: async () => store.clear(),
  };
  const self = {
    addEventListener: (type: string, fn: (e: unknown) => void) => listeners.set(type, [...(listeners.get(type) ?? []), fn]),
    skipWaiting: vi.fn(),
    registration: { showNotification: vi.fn(async () => undefined) },
    clients: { matchAll: vi.fn(async () => tabs), openWindow: vi.fn(async () => null), claim: vi.fn(async () => undefined) },
  };
  new Function('self', 'caches', SOURCE)(self, caches);
  /** Fires an event and waits for what it asked to wait for. */
  const fire = async (type: string, props: object) => {
    const waits: Promise<unknown>[] = [];
    for (const fn of listeners.get(type) ?? []) fn({ ...props, waitUntil: (p: Promise<unknown>) => waits.push(p) });
    await Promise.all(waits);
  };
  const push = (payload: unknown) => fire('push', { data: { json: () => payload } });
  return { self, fire, push };
}

const payload = { id: 3, kind: 'mention', chat_id: 7, seq: 70, actor_id: 5, chat_title: 'Book club', preview: 'see you @anna' };
const config = (lang: 'en' | 'ru') => ({
  app: 'Hybrid',
  lines: workerLines((key: Key, vars?: Vars) => translate(lang, key, vars)),
  names: { 5: 'Boris' },
});

describe('the service worker', () => {
  it('shows a push worded as the page last said, tagged by chat, carrying where it leads', async () => {
    const w = worker();
    await w.fire('message', { data: { type: 'hybrid.config', config: config('ru') } });
    await w.push(payload);
    expect(w.self.registration.showNotification).toHaveBeenCalledWith('Book club', {
      body: 'Boris: Вас упомянули: see you @anna',
      tag: 'chat-7',
      renotify: true,
      icon: '/favicon.svg',
      data: { ...payload, url: '/chat/7?seq=70' },
    });
  });

  it('a direct chat is titled by the person; hidden text says only what happened', async () => {
    const w = worker();
    await w.fire('message', { data: { type: 'hybrid.config', config: config('en') } });
    await w.push({ id: 4, kind: 'direct_message', chat_id: 9, seq: 2, actor_id: 5, chat_title: '' });
    expect(w.self.registration.showNotification).toHaveBeenLastCalledWith('Boris', expect.objectContaining({ body: 'New message', tag: 'chat-9' }));
    await w.push({ id: 5, kind: 'added_to_chat', chat_id: 11, actor_id: 8, chat_title: 'Team' });
    // Someone whose name the page did not know: the line alone; no message: the chat's address.
    expect(w.self.registration.showNotification).toHaveBeenLastCalledWith(
      'Team',
      expect.objectContaining({ body: 'Added you to the chat', data: expect.objectContaining({ url: '/chat/11' }) }),
    );
  });

  it('without the page’s words: the chat’s title and the text; something unreadable still shows', async () => {
    const w = worker();
    await w.push(payload);
    expect(w.self.registration.showNotification).toHaveBeenLastCalledWith('Book club', expect.objectContaining({ body: 'see you @anna' }));
    await w.push('not ours');
    expect(w.self.registration.showNotification).toHaveBeenLastCalledWith('Hybrid', { tag: 'hybrid' });
  });

  it('a click routes an open tab (the one in front first) and focuses it', async () => {
    const tab = (focused: boolean, visibilityState = 'hidden'): Tab => ({ focused, visibilityState, postMessage: vi.fn(), focus: vi.fn(async () => undefined) });
    const back = tab(false);
    const front = tab(true, 'visible');
    const w = worker([back, front]);
    const close = vi.fn();
    await w.fire('notificationclick', { notification: { data: { ...payload, url: '/chat/7?seq=70' }, close } });
    expect(close).toHaveBeenCalled();
    expect(front.postMessage).toHaveBeenCalledWith({ type: 'hybrid.open', url: '/chat/7?seq=70', id: 3 });
    expect(front.focus).toHaveBeenCalled();
    expect(back.postMessage).not.toHaveBeenCalled();
    expect(w.self.clients.openWindow).not.toHaveBeenCalled();
  });

  it('a click with no tab open opens one at the chat', async () => {
    const w = worker([]);
    await w.fire('notificationclick', { notification: { data: { url: '/chat/9?seq=2' }, close: vi.fn() } });
    expect(w.self.clients.openWindow).toHaveBeenCalledWith('/chat/9?seq=2');
  });

  it('takes over at once, and a focus refused (no user activation) is no failure', async () => {
    const refusing: Tab = { focused: false, visibilityState: 'visible', postMessage: vi.fn(), focus: vi.fn(async () => Promise.reject(new Error('Not allowed to focus a window.'))) };
    const w = worker([refusing]);
    await w.fire('install', {});
    expect(w.self.skipWaiting).toHaveBeenCalled();
    await w.fire('activate', {});
    expect(w.self.clients.claim).toHaveBeenCalled();
    await expect(w.fire('notificationclick', { notification: { data: { url: '/chat/1' }, close: vi.fn() } })).resolves.toBeUndefined();
    expect(refusing.postMessage).toHaveBeenCalled();
  });
});
