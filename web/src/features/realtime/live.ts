/**
 * Wires the socket, the catch-up engine and the cache together for the signed-in session,
 * and publishes the connection status (the "reconnecting…" banner reads it).
 */
import type { QueryClient } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import type { Session } from '../auth/session';
import { connection, setPresence, setTyping } from './state';
import { CacheApplier } from './apply';
import { RealtimeClient, type SocketLike } from './socket';
import { SyncEngine } from './sync';
import { applyNotifyFrame, applyNotifyPart, isNotifyFrame } from '../notifications/cache';
import { applyAutomationFrame, isAutomationFrame } from '../automation/frames';

export interface Live {
  engine: SyncEngine;
  applier: CacheApplier;
  stop(): void;
}

let current: Live | null = null;

/** The running realtime link, if any (chat lists report their pts to its engine). */
export function live(): Live | null {
  return current;
}

export function socketUrl(loc: Location = window.location): string {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}/api/v1/realtime`;
}

export function startLive(qc: QueryClient, session: Session): Live {
  current?.stop();
  const applier = new CacheApplier(qc, () => session.snapshot.account?.id ?? null);
  const engine = new SyncEngine((req) => api.sync(req), {
    applyChatEvent: (ev) => applier.chatEvent(ev),
    applyUserEvent: (ev) => applier.userEvent(ev),
    reloadChat: (id) => applier.reloadChat(id),
    reloadChats: () => applier.userLogMissed(),
    dropChat: (id) => applier.dropChat(id),
    applyService: (name, part) => {
      if (name === 'notify') applyNotifyPart(qc, part);
    },
  });
  connection.set({ status: 'connecting', everOnline: connection.get().everOnline });
  let retry: ReturnType<typeof setTimeout> | undefined;

  const client = new RealtimeClient({
    url: socketUrl(),
    createSocket: (url, protocol) => new WebSocket(url, protocol) as unknown as SocketLike,
    getToken: () => session.accessToken(),
    refreshToken: () => session.refresh(),
    onReady: () => {
      if (connection.get().everOnline) applier.profilesMissed();
      connection.set((s) => ({ ...s, status: 'syncing' }));
      engine.catchUp().then(
        () => {
          if (client.connected) connection.set({ status: 'online', everOnline: true });
        },
        () => {
          // The sync call failed (server restarting?): reconnect a bit later and try again.
          connection.set((s) => ({ ...s, status: 'reconnecting' }));
          client.stop();
          retry = setTimeout(() => client.start(), 2000);
        },
      );
    },
    onFrame: (frame) => {
      switch (frame.type) {
        case 'event':
        case 'user_event':
          engine.handle(frame);
          return;
        case 'typing':
          setTyping(frame.chat_id, frame.user_id, frame.expires_ms);
          return;
        case 'presence':
          setPresence(frame.user_id, frame.online);
          return;
        case 'user.updated':
          applier.userUpdated(frame.user);
          return;
        default:
          if (isNotifyFrame(frame)) applyNotifyFrame(qc, frame);
          else if (isAutomationFrame(frame)) applyAutomationFrame(qc, frame);
      }
    },
    onDisconnect: () => connection.set((s) => ({ ...s, status: 'reconnecting' })),
    onSessionEnded: () => session.clear(),
  });

  const offToken = session.onToken((token) => client.reauth(token));
  const online = () => client.reconnectNow();
  // the server sends no push to a device its user is looking at (docs/notifications.md)
  const reportFocus = () => client.setFocus(document.visibilityState === 'visible' && document.hasFocus());
  const visible = () => {
    if (document.visibilityState === 'visible') client.reconnectNow();
    reportFocus();
  };
  window.addEventListener('online', online);
  document.addEventListener('visibilitychange', visible);
  window.addEventListener('focus', reportFocus);
  window.addEventListener('blur', reportFocus);
  reportFocus();
  client.start();

  const handle: Live = {
    engine,
    applier,
    stop() {
      offToken();
      window.removeEventListener('online', online);
      document.removeEventListener('visibilitychange', visible);
      window.removeEventListener('focus', reportFocus);
      window.removeEventListener('blur', reportFocus);
      clearTimeout(retry);
      client.stop();
      engine.reset();
      if (current === handle) current = null;
    },
  };
  current = handle;
  return handle;
}
