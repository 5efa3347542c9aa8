/**
 * The page's side of the service worker (public/sw.js): registers it where notifications may
 * show already (permission given; a first subscription registers it too), gives it the words
 * of the UI language and the names of people the page knows (a push names only the actor's
 * id), and follows its clicks: `hybrid.open` routes to the chat at the message and reads the
 * list up to the entry. Signing out takes the words and names away.
 */
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useNavigate } from 'react-router';
import type { Profile } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { displayName } from '../../state/queries';
import { useStore } from '../../state/store';
import { readUpTo } from './open';
import { permissionGranted, registerWorker, worker } from './push';
import { workerLines } from './text';

/** What the worker shows a push with (sw.js reads it from the Cache API). */
export interface WorkerConfig {
  app: string;
  lines: Record<string, [string, string]>;
  names: Record<number, string>;
}

/** The names of everyone whose profile the page has loaded, by id. */
export function knownNames(qc: QueryClient): Record<number, string> {
  const names: Record<number, string> = {};
  for (const [, p] of qc.getQueriesData<Profile>({ queryKey: keys.allUsers })) if (p) names[p.id] = displayName(p);
  const me = qc.getQueryData<Profile>(keys.me);
  if (me) names[me.id] = displayName(me);
  return names;
}

/** A click on a notification, as the worker posts it. */
export function openMessage(data: unknown): { url: string; id?: number } | null {
  if (!data || typeof data !== 'object') return null;
  const m = data as { type?: unknown; url?: unknown; id?: unknown };
  if (m.type !== 'hybrid.open' || typeof m.url !== 'string' || !m.url.startsWith('/chat/')) return null;
  return typeof m.id === 'number' ? { url: m.url, id: m.id } : { url: m.url };
}

/** Runs while signed in, where notify is on. */
export function useWorkerLink(enabled: boolean): void {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { t } = useI18n();
  const reg = useStore(worker);

  // Clicks on notifications, routed here.
  useEffect(() => {
    const container = typeof navigator !== 'undefined' ? navigator.serviceWorker : undefined;
    if (!enabled || !container) return;
    const onMessage = (e: MessageEvent) => {
      const open = openMessage(e.data);
      if (!open) return;
      navigate(open.url);
      if (open.id !== undefined) readUpTo(qc, open.id).catch(() => undefined);
    };
    container.addEventListener('message', onMessage);
    container.startMessages();
    return () => container.removeEventListener('message', onMessage);
  }, [enabled, navigate, qc]);

  // Where notifications may show, the worker is there to show them.
  useEffect(() => {
    if (enabled && permissionGranted()) registerWorker().catch(() => undefined);
  }, [enabled]);

  // Its words now, and the names again whenever a profile comes (at most once a second).
  useEffect(() => {
    const active = reg?.active;
    if (!enabled || !active) return;
    const post = () => {
      const config: WorkerConfig = { app: 'Hybrid', lines: workerLines(t), names: knownNames(qc) };
      active.postMessage({ type: 'hybrid.config', config });
    };
    post();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = qc.getQueryCache().subscribe((event) => {
      if (event.type !== 'updated' || event.query.queryKey[0] !== keys.allUsers[0] || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        post();
      }, 1000);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [enabled, reg, t, qc]);
}

/** The Cache API store sw.js keeps them in (`STORE` there). */
const WORKER_STORE = 'hybrid-sw';

/** Signed out: the words and names the worker was given go (the page shares its caches). */
export async function forgetWorkerConfig(): Promise<void> {
  if (typeof caches !== 'undefined') await caches.delete(WORKER_STORE);
}
