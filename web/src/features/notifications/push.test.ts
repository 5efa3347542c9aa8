import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { browser, forgetBrowser, sub } from '../../test/fakePush';
import { jsonResponse, serve } from '../../test/render';
import { base64UrlBytes, PushError, pushSupport, subscribeHere, thisEndpoint, unsubscribeHere } from './push';

// The server's VAPID key (any bytes do here) and the browser's subscription to it.
const KEY = 'BAECAwQ';
const KEY_BYTES = [4, 1, 2, 3, 4];

beforeEach(() => {
  localStorage.clear();
});

afterEach(() => {
  vi.unstubAllGlobals();
  forgetBrowser();
});

describe('Web Push in this browser', () => {
  it('reads the VAPID key as bytes', () => {
    expect([...base64UrlBytes(KEY)]).toEqual(KEY_BYTES);
    expect([...base64UrlBytes('-_8')]).toEqual([251, 255]);
  });

  it('tells why push cannot work here', () => {
    browser('default');
    expect(pushSupport()).toBe('ok');
    browser('denied');
    expect(pushSupport()).toBe('denied');
    vi.stubGlobal('PushManager', undefined);
    Reflect.deleteProperty(window, 'PushManager');
    expect(pushSupport()).toBe('unsupported');
    Object.defineProperty(window, 'isSecureContext', { configurable: true, value: false });
    expect(pushSupport()).toBe('insecure');
  });

  it('turning on asks for permission, replaces a subscription made with another key, and hands the new one over', async () => {
    const old = sub('https://push.example/old', [9, 9]);
    const b = browser('default', 'granted', old);
    const bodies: unknown[] = [];
    serve({
      'GET /api/v1/notifications/push/key': () => jsonResponse(200, { public_key: KEY }),
      'POST /api/v1/notifications/push/subscriptions': async (req) => {
        const body = (await req.json()) as { endpoint: string; hide_content: boolean };
        bodies.push(body);
        return jsonResponse(201, { id: 4, endpoint: body.endpoint, hide_content: body.hide_content, created_at: 1 });
      },
    });
    const made = await subscribeHere(true);
    expect(b.requestPermission).toHaveBeenCalled();
    expect(b.register).toHaveBeenCalledWith('/sw.js', { scope: '/' });
    expect(old.unsubscribe).toHaveBeenCalled();
    expect(b.pushManager.subscribe).toHaveBeenCalledWith({ userVisibleOnly: true, applicationServerKey: new Uint8Array(KEY_BYTES) });
    expect(bodies).toEqual([{ endpoint: 'https://push.example/new', keys: { p256dh: 'P256', auth: 'AUTH' }, hide_content: true }]);
    expect(made.id).toBe(4);
    // Again (another "hide" choice): the same subscription, handed over again.
    await subscribeHere(false);
    expect(b.pushManager.subscribe).toHaveBeenCalledTimes(1);
    expect(bodies[1]).toMatchObject({ endpoint: 'https://push.example/new', hide_content: false });
  });

  it('a refusal, a question closed unanswered, and no push service each say so', async () => {
    serve({ 'GET /api/v1/notifications/push/key': () => jsonResponse(200, { public_key: KEY }) });
    browser('default', 'denied');
    await expect(subscribeHere(false)).rejects.toEqual(new PushError('denied'));
    browser('default', 'default');
    await expect(subscribeHere(false)).rejects.toEqual(new PushError('dismissed'));
    const b = browser('granted');
    b.pushManager.subscribe.mockRejectedValueOnce(new DOMException('Registration failed - push service not available', 'AbortError'));
    await expect(subscribeHere(false)).rejects.toMatchObject({ reason: 'failed' });
    expect(b.requestPermission).not.toHaveBeenCalled();
  });

  it('turning off removes this browser from the server and unsubscribes it; a lost subscription is still found', async () => {
    const mine = sub('https://push.example/mine', KEY_BYTES);
    browser('granted', 'granted', mine);
    const calls = serve({ 'DELETE /api/v1/notifications/push/subscriptions/8': () => new Response(null, { status: 204 }) });
    const list = [
      { id: 7, endpoint: 'https://push.example/phone', hide_content: false, created_at: 1 },
      { id: 8, endpoint: 'https://push.example/mine', hide_content: false, created_at: 2 },
    ];
    await unsubscribeHere(list);
    expect(calls).toEqual(['DELETE /api/v1/notifications/push/subscriptions/8']);
    expect(mine.unsubscribe).toHaveBeenCalled();

    // The browser dropped its subscription (permission taken back): the endpoint it handed over is remembered.
    const b = browser('granted', 'granted', null);
    serve({
      'GET /api/v1/notifications/push/key': () => jsonResponse(200, { public_key: KEY }),
      'POST /api/v1/notifications/push/subscriptions': () => jsonResponse(201, { id: 9, endpoint: 'https://push.example/new', hide_content: false, created_at: 3 }),
    });
    await subscribeHere(false);
    b.pushManager.getSubscription.mockResolvedValue(null);
    expect(await thisEndpoint()).toBe('https://push.example/new');
  });
});
