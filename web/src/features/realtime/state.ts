/** Ephemeral realtime state: who is typing where, who is online, how far peers have read. */
import { useEffect, useState } from 'react';
import { Store, useStore } from '../../state/store';

export type ConnectionStatus = 'connecting' | 'syncing' | 'online' | 'reconnecting';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Whether the socket was ever caught up in this page (first load shows no banner). */
  everOnline: boolean;
}

export const connection = new Store<ConnectionState>({ status: 'connecting', everOnline: false });

/**
 * Calls `fn` whenever the connection comes back: the socket is caught up again after being
 * down, or the browser says it is online again. Returns what stops it.
 */
export function whenConnectionBack(fn: () => void): () => void {
  let wasOnline = connection.get().status === 'online';
  const off = connection.subscribe(() => {
    const online = connection.get().status === 'online';
    if (online && !wasOnline) fn();
    wasOnline = online;
  });
  window.addEventListener('online', fn);
  return () => {
    off();
    window.removeEventListener('online', fn);
  };
}

/** chat id → user id → expiry time (ms since epoch). */
export const typing = new Store<ReadonlyMap<number, ReadonlyMap<number, number>>>(new Map());

export const presence = new Store<ReadonlyMap<number, boolean>>(new Map());

/** Users whose presence was asked for already in this page (asked once each). */
export const presenceAsked = new Set<number>();

/** Forget who was asked about (on sign-out). */
export function resetPresenceAsked(): void {
  presenceAsked.clear();
}

/**
 * A direct-chat peer wrote: presence is shared once both have written, so ask again if it is
 * not known yet.
 */
export function peerWrote(userId: number): void {
  if (!presence.get().has(userId)) presenceAsked.delete(userId);
}

/** Direct chats: the seq up to which the other member has read. */
export const peerRead = new Store<ReadonlyMap<number, number>>(new Map());

export function setTyping(chatId: number, userId: number, expiresMs: number, now = Date.now()): void {
  typing.set((prev) => {
    const next = new Map(prev);
    const chat = new Map(prev.get(chatId) ?? []);
    chat.set(userId, now + expiresMs);
    next.set(chatId, chat);
    return next;
  });
}

export function clearTyping(chatId: number, userId: number): void {
  typing.set((prev) => {
    const chat = prev.get(chatId);
    if (!chat?.has(userId)) return prev;
    const next = new Map(prev);
    const c = new Map(chat);
    c.delete(userId);
    next.set(chatId, c);
    return next;
  });
}

export function typingUsers(map: ReadonlyMap<number, ReadonlyMap<number, number>>, chatId: number, now: number): number[] {
  const chat = map.get(chatId);
  if (!chat) return [];
  return [...chat.entries()].filter(([, until]) => until > now).map(([id]) => id);
}

/** Users typing in a chat right now (re-renders when an entry expires). */
export function useTyping(chatId: number, exclude: number | undefined): number[] {
  const map = useStore(typing);
  const [now, setNow] = useState(() => Date.now());
  const users = typingUsers(map, chatId, now).filter((id) => id !== exclude);
  const chat = map.get(chatId);
  useEffect(() => {
    if (!chat || chat.size === 0) return;
    const t = Date.now();
    setNow(t);
    const next = Math.min(...[...chat.values()].filter((v) => v > t));
    if (!Number.isFinite(next)) return;
    const id = setTimeout(() => setNow(Date.now()), next - t + 10);
    return () => clearTimeout(id);
  }, [chat, now]);
  return users;
}

export function setPeerRead(chatId: number, seq: number): void {
  peerRead.set((prev) => {
    if ((prev.get(chatId) ?? 0) >= seq) return prev;
    const next = new Map(prev);
    next.set(chatId, seq);
    return next;
  });
}

export function setPresence(userId: number, online: boolean): void {
  presence.set((prev) => {
    if (prev.get(userId) === online) return prev;
    const next = new Map(prev);
    next.set(userId, online);
    return next;
  });
}

const NOBODY: ReadonlyMap<number, boolean> = new Map();

/**
 * Presence as it may be shown: nobody's while the socket is down or catching up (what we
 * knew may be stale, and showing "online" then would be a lie).
 */
export function useLivePresence(): ReadonlyMap<number, boolean> {
  const map = useStore(presence);
  const { status } = useStore(connection);
  return status === 'online' ? map : NOBODY;
}
