/**
 * A browser with service workers and the Push API, for tests: `browser(permission, answer,
 * existing)` installs it (the permission as the user left it, what they answer when asked, a
 * subscription it has already), `forgetBrowser` takes it away again.
 */
import { vi } from 'vitest';

export interface FakeSub {
  endpoint: string;
  options: { applicationServerKey: ArrayBuffer | null };
  toJSON: () => unknown;
  unsubscribe: ReturnType<typeof vi.fn>;
}

export function sub(endpoint: string, key: number[]): FakeSub {
  return {
    endpoint,
    options: { applicationServerKey: new Uint8Array(key).buffer },
    toJSON: () => ({ endpoint, keys: { p256dh: 'P256', auth: 'AUTH' } }),
    unsubscribe: vi.fn(async () => true),
  };
}

export function browser(permission: NotificationPermission, answer: NotificationPermission = 'granted', existing: FakeSub | null = null) {
  let current = existing;
  const pushManager = {
    getSubscription: vi.fn(async () => current),
    subscribe: vi.fn(async (opts: PushSubscriptionOptionsInit) => {
      current = sub('https://push.example/new', [...new Uint8Array(opts.applicationServerKey as Uint8Array)]);
      return current;
    }),
  };
  const reg = { pushManager, active: null };
  const register = vi.fn(async () => reg);
  const requestPermission = vi.fn(async () => answer);
  vi.stubGlobal('Notification', { permission, requestPermission });
  vi.stubGlobal('PushManager', function PushManager() {});
  Object.defineProperty(navigator, 'serviceWorker', {
    configurable: true,
    value: { register, ready: Promise.resolve(reg), getRegistration: async () => reg },
  });
  Object.defineProperty(window, 'isSecureContext', { configurable: true, value: true });
  return { pushManager, register, requestPermission, current: () => current };
}


export function forgetBrowser(): void {
  Reflect.deleteProperty(navigator, 'serviceWorker');
  Reflect.deleteProperty(window, 'isSecureContext');
}
