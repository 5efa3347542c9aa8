import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { browser, forgetBrowser, sub } from '../../test/fakePush';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { browserLabel, localTimeZone, NotifySettings } from './NotifySettings';

const list = () => jsonResponse(200, { items: [], unread_count: 0 });
const echo = (into: unknown[]) => async (req: Request) => {
  const body: unknown = await req.json();
  into.push(body);
  return jsonResponse(200, body);
};

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
  forgetBrowser();
});

describe('Settings → Notifications', () => {
  it('quiet hours in the browser’s time zone, saved with the defaults as read', async () => {
    const puts: unknown[] = [];
    serve({
      'GET /api/v1/notifications': list,
      'GET /api/v1/notifications/settings': () => jsonResponse(200, { defaults: { group: 'mentions' }, quiet_hours: null }),
      'GET /api/v1/notifications/push/subscriptions': () => jsonResponse(200, []),
      'PUT /api/v1/notifications/settings': echo(puts),
    });
    renderUi(<NotifySettings />);
    const on = await screen.findByTestId('quiet-on');
    expect((screen.getByTestId('quiet-from') as HTMLInputElement).disabled).toBe(true);
    fireEvent.click(on);
    expect((screen.getByTestId('quiet-zone') as HTMLSelectElement).value).toBe(localTimeZone());
    fireEvent.change(screen.getByTestId('quiet-from'), { target: { value: '23:00' } });
    fireEvent.change(screen.getByTestId('quiet-to'), { target: { value: '06:30' } });
    fireEvent.click(screen.getByTestId('quiet-save'));
    await waitFor(() => expect(puts).toEqual([{ defaults: { group: 'mentions' }, quiet_hours: { from: '23:00', to: '06:30', time_zone: localTimeZone() } }]));
    expect(await screen.findByText('Saved')).toBeTruthy();
    // Saved: the form starts from it.
    expect((screen.getByTestId('quiet-to') as HTMLInputElement).value).toBe('06:30');

    // A default changed keeps the quiet hours.
    fireEvent.change(screen.getByTestId('default-channel'), { target: { value: 'none' } });
    await waitFor(() => expect(puts[1]).toEqual({ defaults: { group: 'mentions', channel: 'none' }, quiet_hours: { from: '23:00', to: '06:30', time_zone: localTimeZone() } }));
    expect((screen.getByTestId('default-group') as HTMLSelectElement).value).toBe('mentions');
  });

  it('lists the browsers, this one marked, and turns push off here', async () => {
    browser('granted', 'granted', sub('https://fcm.googleapis.com/fcm/send/abc', [4]));
    let browsers = [
      { id: 1, endpoint: 'https://updates.push.services.mozilla.com/wpush/v2/x', hide_content: false, created_at: 1 },
      { id: 2, endpoint: 'https://fcm.googleapis.com/fcm/send/abc', hide_content: true, created_at: 2 },
    ];
    const calls = serve({
      'GET /api/v1/notifications': list,
      'GET /api/v1/notifications/settings': () => jsonResponse(200, {}),
      'GET /api/v1/notifications/push/subscriptions': () => jsonResponse(200, browsers),
      'DELETE /api/v1/notifications/push/subscriptions/2': () => {
        browsers = browsers.filter((b) => b.id !== 2);
        return new Response(null, { status: 204 });
      },
    });
    renderUi(<NotifySettings />);
    const rows = await screen.findAllByTestId('push-browser');
    expect(rows.map((r) => r.textContent)).toEqual([expect.stringMatching(/^Firefox/), expect.stringMatching(/^Chromethis browser/)]);
    const on = screen.getByTestId('push-switch') as HTMLInputElement;
    await waitFor(() => expect(on.checked).toBe(true));
    expect((screen.getByTestId('push-hide') as HTMLInputElement).checked).toBe(true);
    fireEvent.click(on);
    await waitFor(() => expect(calls).toContain('DELETE /api/v1/notifications/push/subscriptions/2'));
    await waitFor(() => expect(screen.getAllByTestId('push-browser')).toHaveLength(1));
    expect(on.checked).toBe(false);
  });

  it('says why push cannot be turned on in this browser', async () => {
    serve({
      'GET /api/v1/notifications': list,
      'GET /api/v1/notifications/settings': () => jsonResponse(200, {}),
      'GET /api/v1/notifications/push/subscriptions': () => jsonResponse(200, []),
    });
    browser('denied');
    renderUi(<NotifySettings />, { lang: 'ru' });
    expect((await screen.findByTestId('push-unavailable')).textContent).toContain('Уведомления для этого сайта запрещены.');
    expect((screen.getByTestId('push-switch') as HTMLInputElement).disabled).toBe(true);
    expect(await screen.findByText('Пока ни одного.')).toBeTruthy();
  });

  it('is not there without the notify service', async () => {
    const calls = serve({});
    renderUi(<NotifySettings />);
    await waitFor(() => expect(calls).toEqual(['GET /api/v1/notifications?limit=30']));
    expect(screen.queryByTestId('notify-settings')).toBeNull();
  });

  it('names a browser by its push service', () => {
    expect(browserLabel('https://web.push.apple.com/abc')).toBe('Safari');
    expect(browserLabel('https://wns2-par02p.notify.windows.com/w/?token=x')).toBe('Edge');
    expect(browserLabel('https://push.example.test/send/1')).toBe('push.example.test');
  });
});
