/**
 * The outbox: every message the user writes goes here first and is sent from here, one at a
 * time and in order, with the nonce it got when written (the API returns the first message
 * again for a repeated nonce, so a send whose answer was lost is never doubled). Messages
 * that cannot be sent for want of a network (the server is unreachable, or a gateway says it
 * is down) stay queued, shown as pending, and go out when the connection returns (the socket
 * is back, the browser is online, or a retry timer fires). They are kept in IndexedDB, so a
 * reload keeps them; signing out clears them. A message the server refuses (403, 422…) is
 * marked failed and waits for the user's "Try again" or "Delete".
 */
import type { QueryClient } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { isApiError } from '../../api/errors';
import type { Message, MessageAddress, SendMessage } from '../../api/types';
import type { FilePreview } from '../files/attachment';
import { keys } from '../../state/keys';
import { Store } from '../../state/store';
import { upsertMessage, type History } from '../realtime/apply';
import { whenConnectionBack } from '../realtime/state';

export interface OutboxItem {
  nonce: string;
  /** Whose message it is: another account signed in later in this browser does not send it. */
  user_id: number;
  chat_id: number;
  text: string;
  reply_to?: number;
  /** The token that attaches an uploaded file (`attach`), and what the pending bubble shows of it. */
  attach?: string;
  file?: FilePreview;
  /**
   * A forward: the message it copies (the server takes its text, entities and file; `text`
   * and `file` are only what the pending bubble shows), and who wrote the original.
   */
  forward?: MessageAddress;
  forwarded_from?: number;
  created_at: number;
  /** The server refused it (not a network problem): not retried until the user asks. */
  failed?: boolean;
  /** Why it was refused (the API's error, kept as plain data for IndexedDB). */
  error?: { status: number; code: string; message: string; field?: string };
}

/** What is waiting to be sent (oldest first), for every chat. */
export const outbox = new Store<readonly OutboxItem[]>([]);

// ---- IndexedDB (any failure leaves the outbox in memory only) ----

const DB = 'hybrid-outbox';
const STORE = 'outbox';

function openDb(): Promise<IDBDatabase | null> {
  return new Promise((resolve) => {
    try {
      if (typeof indexedDB === 'undefined') return resolve(null);
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: 'nonce' });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
      req.onblocked = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
}

let dbPromise: Promise<IDBDatabase | null> | null = null;
function db(): Promise<IDBDatabase | null> {
  dbPromise ??= openDb();
  return dbPromise;
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const d = await db();
  if (!d) return undefined;
  return new Promise((resolve) => {
    try {
      const t = d.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req ? req.result : undefined);
      t.onerror = () => resolve(undefined);
      t.onabort = () => resolve(undefined);
    } catch {
      resolve(undefined);
    }
  });
}

const idb = {
  all: async () => ((await tx<OutboxItem[]>('readonly', (s) => s.getAll() as IDBRequest<OutboxItem[]>)) ?? []),
  put: (item: OutboxItem) => tx('readwrite', (s) => void s.put(item)),
  del: (nonce: string) => tx('readwrite', (s) => void s.delete(nonce)),
  clear: () => tx('readwrite', (s) => void s.clear()),
};

// ---- the queue ----

function byTime(a: OutboxItem, b: OutboxItem): number {
  return a.created_at - b.created_at;
}

function setItems(fn: (list: readonly OutboxItem[]) => readonly OutboxItem[]): void {
  outbox.set((list) => fn(list));
}

/**
 * A network failure (no answer, a gateway saying the server is down, or "too many requests"):
 * the message waits and goes out by itself rather than failing. Anything else is a refusal.
 */
export function waitsForNetwork(e: unknown): boolean {
  if (!isApiError(e)) return true; // fetch threw something else: no answer
  return e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504 || e.status === 429;
}

/** What sending an item asks of the API: a forward names its original and brings no text of its own. */
export function sendBody(item: OutboxItem): SendMessage {
  const common = { nonce: item.nonce, ...(item.reply_to ? { reply_to: item.reply_to } : {}) };
  if (item.forward) return { ...common, text: '', forward: item.forward };
  return { ...common, text: item.text, ...(item.attach ? { attach: item.attach } : {}) };
}

interface Runner {
  userId: number;
  onSent(chatId: number, m: Message): void;
  send(item: OutboxItem): Promise<Message>;
  remove(chatId: number, seq: number): Promise<unknown>;
}

let runner: Runner | null = null;
let flushing = false;
let inFlight: string | null = null;
const discarded = new Set<string>();
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let retryDelay = 1000;
const MAX_RETRY_DELAY = 15_000;

function scheduleRetry(ms?: number): void {
  clearTimeout(retryTimer);
  const delay = ms ?? retryDelay;
  retryDelay = Math.min(retryDelay * 2, MAX_RETRY_DELAY);
  retryTimer = setTimeout(() => void flush(), delay);
}

let current: Promise<void> | null = null;
let again = false;

/**
 * Sends what is queued, oldest first, until the queue is empty or the network fails. One
 * pass runs at a time (so one request is in flight); asked during a pass, it makes one more
 * pass after it, and the promise settles when both are done.
 */
export function flush(): Promise<void> {
  if (current) {
    again = true;
    return current;
  }
  current = (async () => {
    do {
      again = false;
      await pass();
    } while (again && runner);
  })().finally(() => {
    current = null;
  });
  return current;
}

async function pass(): Promise<void> {
  if (flushing || !runner) return;
  flushing = true;
  const r = runner;
  try {
    for (;;) {
      if (runner !== r) return;
      const item = outbox.get().find((i) => !i.failed && i.user_id === r.userId);
      if (!item) {
        retryDelay = 1000;
        return;
      }
      inFlight = item.nonce;
      try {
        const m = await r.send(item);
        inFlight = null;
        if (discarded.has(item.nonce)) {
          // Deleted while it was on its way: take it back.
          discarded.delete(item.nonce);
          r.remove(item.chat_id, m.seq).catch(() => undefined);
          continue;
        }
        setItems((list) => list.filter((i) => i.nonce !== item.nonce));
        void idb.del(item.nonce);
        retryDelay = 1000;
        r.onSent(item.chat_id, m);
      } catch (e) {
        inFlight = null;
        if (discarded.has(item.nonce)) {
          discarded.delete(item.nonce);
          continue;
        }
        if (waitsForNetwork(e)) {
          const after = isApiError(e) && e.retryAfter ? e.retryAfter * 1000 : undefined;
          scheduleRetry(after);
          return;
        }
        const error = isApiError(e) ? { status: e.status, code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } : undefined;
        const failed: OutboxItem = { ...item, failed: true, ...(error ? { error } : {}) };
        setItems((list) => list.map((i) => (i.nonce === item.nonce ? failed : i)));
        void idb.put(failed);
      }
    }
  } finally {
    flushing = false;
    inFlight = null;
  }
}

/** Queues a message and starts sending. */
export function enqueue(item: OutboxItem): void {
  setItems((list) => [...list, item].sort(byTime));
  void idb.put(item);
  void flush();
}

/** Deletes a message that has not been sent (also from IndexedDB). */
export function discard(nonce: string): void {
  if (inFlight === nonce) discarded.add(nonce);
  setItems((list) => list.filter((i) => i.nonce !== nonce));
  void idb.del(nonce);
}

/** Sends a refused message again (same nonce). */
export function retry(nonce: string): void {
  const item = outbox.get().find((i) => i.nonce === nonce);
  if (!item) return;
  const next: OutboxItem = { ...item, failed: false };
  delete next.error;
  setItems((list) => list.map((i) => (i.nonce === nonce ? next : i)));
  void idb.put(next);
  retryDelay = 1000;
  void flush();
}

/** Forgets everything queued (sign-out). */
export async function clearOutbox(): Promise<void> {
  for (const i of outbox.get()) if (i.nonce === inFlight) discarded.add(i.nonce);
  outbox.set([]);
  await idb.clear();
}

/**
 * Runs the outbox for the signed-in user: loads what an earlier page left in IndexedDB,
 * sends it, and sends again whenever the connection comes back.
 */
export function startOutbox(qc: QueryClient, userId: number, opts: Partial<Pick<Runner, 'send' | 'remove'>> = {}): () => void {
  const r: Runner = {
    userId,
    send: opts.send ?? ((i) => api.send(i.chat_id, sendBody(i))),
    remove: opts.remove ?? ((chatId, seq) => api.remove(chatId, seq)),
    onSent: (chatId, m) => qc.setQueryData<History>(keys.history(chatId), (h) => upsertMessage(h, m)),
  };
  runner = r;
  retryDelay = 1000;
  let stopped = false;
  void idb.all().then((saved) => {
    if (stopped) return;
    const mine = saved.filter((i) => i.user_id === userId);
    setItems((list) => {
      const have = new Set(list.map((i) => i.nonce));
      return [...list, ...mine.filter((i) => !have.has(i.nonce))].sort(byTime);
    });
    void flush();
  });
  const stopWatching = whenConnectionBack(() => {
    retryDelay = 1000;
    void flush();
  });
  return () => {
    stopped = true;
    stopWatching();
    clearTimeout(retryTimer);
    if (runner === r) runner = null;
  };
}
