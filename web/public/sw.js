/*
 * Hybrid's service worker: shows Web Push notifications (docs/notifications.md, "Web Push")
 * and opens the chat when one is clicked. It handles no fetch: the app loads from the network
 * as without it.
 *
 * A push carries {id, kind, chat_id, seq?, actor_id, chat_title, preview?} (no preview when
 * the browser asked to hide message text). The words come from the page: it posts
 * {type: 'hybrid.config', config: {app, lines: {<kind>: [withPreview, without]}, names}} in its
 * language whenever they change (features/notifications/worker.ts), and they are kept in the
 * Cache API, since a worker's memory does not outlive it. Without them the title is the chat's
 * or "Hybrid" and the body the preview.
 *
 * A click posts {type: 'hybrid.open', url, id} to an open Hybrid tab, which routes to the chat
 * at the message and marks the entry read, then focuses it; with no tab open it opens one at
 * the chat's address.
 */
/** The page deletes this store when its user signs out (forgetWorkerConfig in worker.ts). */
const STORE = 'hybrid-sw';
const CONFIG = '/__hybrid/sw-config';

async function loadConfig() {
  try {
    const cache = await caches.open(STORE);
    const hit = await cache.match(CONFIG);
    return hit ? await hit.json() : null;
  } catch {
    return null;
  }
}

async function saveConfig(config) {
  const cache = await caches.open(STORE);
  await cache.put(CONFIG, new Response(JSON.stringify(config), { headers: { 'content-type': 'application/json' } }));
}

/** The address of the chat an entry is about, at its message when it has one. */
function chatUrl(p) {
  return p.seq ? `/chat/${p.chat_id}?seq=${p.seq}` : `/chat/${p.chat_id}`;
}

/** Title, body and options of the notification for a push payload. */
function display(p, config) {
  const name = config?.names?.[p.actor_id] ?? '';
  const title = p.chat_title || name || config?.app || 'Hybrid';
  const hasPreview = typeof p.preview === 'string';
  const line = config?.lines?.[p.kind];
  let body = p.preview ?? '';
  if (line) body = hasPreview ? line[0].split('{preview}').join(p.preview) : line[1];
  // In a group the title is the chat's: say who.
  if (p.chat_title && name) body = body ? `${name}: ${body}` : name;
  return {
    title,
    options: {
      body,
      tag: `chat-${p.chat_id}`,
      renotify: true,
      icon: '/favicon.svg',
      data: { ...p, url: chatUrl(p) },
    },
  };
}

async function showPush(data) {
  let payload = null;
  try {
    payload = data ? data.json() : null;
  } catch {
    payload = null;
  }
  const config = await loadConfig();
  if (!payload || typeof payload.chat_id !== 'number') {
    // Something arrived that is not ours to read: a push must still show something.
    return self.registration.showNotification(config?.app || 'Hybrid', { tag: 'hybrid' });
  }
  const { title, options } = display(payload, config);
  return self.registration.showNotification(title, options);
}

async function openChat(notification) {
  const data = notification.data || {};
  const url = data.url || '/';
  notification.close();
  const tabs = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const tab = tabs.find((c) => c.focused) || tabs.find((c) => c.visibilityState === 'visible') || tabs[0];
  if (!tab) {
    await self.clients.openWindow(url);
    return;
  }
  tab.postMessage({ type: 'hybrid.open', url, id: data.id });
  try {
    await tab.focus();
  } catch {
    // Focusing needs the click's user activation; the tab has routed all the same.
  }
}

/** waitUntil for real events; a script-made event (a test) cannot extend, its work runs anyway. */
function extend(event, promise) {
  try {
    event.waitUntil(promise);
  } catch {
    promise.catch(() => undefined);
  }
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => extend(event, self.clients.claim()));
self.addEventListener('push', (event) => extend(event, showPush(event.data)));
self.addEventListener('notificationclick', (event) => extend(event, openChat(event.notification)));
self.addEventListener('message', (event) => {
  const msg = event.data;
  if (msg && msg.type === 'hybrid.config') extend(event, saveConfig(msg.config));
});
