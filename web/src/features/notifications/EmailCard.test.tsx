import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { EmailCard } from './EmailCard';
import { localTimeZone } from './zones';

const none = { verified: false, unread_after_minutes: 15, time_zone: 'UTC', available: true };
const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Settings → Email', () => {
  it('says the server sends no email, with no form', async () => {
    serve({ 'GET /api/v1/notifications/email': () => jsonResponse(200, { ...none, available: false }) });
    renderUi(<EmailCard />, { lang: 'ru' });
    expect((await screen.findByTestId('email-unavailable')).textContent).toContain('Этот сервер не отправляет письма');
    expect(screen.getByRole('region', { name: 'Почта' })).toBeTruthy();
    expect(screen.queryByTestId('email-form')).toBeNull();
  });

  it('saves an address with its wait and digest; a refused address is said at its field; the link goes again, not too soon', async () => {
    const puts: unknown[] = [];
    serve({
      'GET /api/v1/notifications/email': () => jsonResponse(200, none),
      'PUT /api/v1/notifications/email': async (req) => {
        const body = (await req.json()) as Record<string, unknown>;
        puts.push(body);
        if (body.address === 'anna@') return jsonResponse(422, { error: { code: 'validation_failed', message: 'must be an email address', field: 'address' } });
        return jsonResponse(200, { ...none, ...body, verified: false });
      },
      'POST /api/v1/notifications/email/confirmation': () =>
        jsonResponse(429, { error: { code: 'rate_limited', message: 'you are asking for confirmation links too fast' } }),
    });
    renderUi(<EmailCard />);
    const address = await screen.findByLabelText('Email address');
    expect(address.getAttribute('type')).toBe('email');
    // No email yet: the digest would be in this browser's time zone, and is off.
    expect(input('email-zone').value).toBe(localTimeZone());
    expect(input('email-digest-at').disabled).toBe(true);
    expect(input('email-unread-after').value).toBe('15');

    fireEvent.change(address, { target: { value: 'anna@' } });
    fireEvent.click(screen.getByTestId('email-save'));
    const error = await screen.findByText('Must be an email address, such as name@example.com.');
    expect(address.getAttribute('aria-invalid')).toBe('true');
    expect(address.getAttribute('aria-describedby')).toBe(error.id);

    fireEvent.change(address, { target: { value: 'anna@example.com' } });
    expect(screen.getByTestId('email-status').textContent).toContain('a link to confirm the address is sent to it');
    fireEvent.change(screen.getByLabelText('Email me mentions, replies and direct messages still unread after'), { target: { value: '60' } });
    fireEvent.click(screen.getByTestId('email-digest-on'));
    fireEvent.change(screen.getByLabelText('Digest at'), { target: { value: '21:30' } });
    fireEvent.change(screen.getByLabelText('Time zone'), { target: { value: 'Asia/Tokyo' } });
    fireEvent.click(screen.getByTestId('email-save'));
    await waitFor(() =>
      expect(puts[1]).toEqual({ address: 'anna@example.com', unread_after_minutes: 60, digest_at: '21:30', time_zone: 'Asia/Tokyo' }),
    );
    expect((await screen.findByTestId('email-status')).textContent).toContain('Waiting for confirmation — check your inbox');
    expect(screen.getByText('Saved')).toBeTruthy();
    expect(screen.queryByText('Must be an email address, such as name@example.com.')).toBeNull();
    // The form starts from what was saved.
    expect(input('email-unread-after').value).toBe('60');
    expect(input('email-digest-at').value).toBe('21:30');

    fireEvent.click(screen.getByRole('button', { name: 'Send the link again' }));
    expect((await screen.findByTestId('email-resend-error')).textContent).toContain('Too many links were sent in the last hour');
  });

  it('shows a confirmed address; "Remove email" saves none', async () => {
    const puts: unknown[] = [];
    serve({
      'GET /api/v1/notifications/email': () =>
        jsonResponse(200, { address: 'anna@example.com', verified: true, unread_after_minutes: 90, digest_at: '08:15', time_zone: 'Europe/Moscow', available: true }),
      'PUT /api/v1/notifications/email': async (req) => {
        puts.push(await req.json());
        return jsonResponse(200, none);
      },
    });
    renderUi(<EmailCard />);
    expect((await screen.findByTestId('email-status')).textContent).toContain('Confirmed');
    expect(screen.queryByTestId('email-resend')).toBeNull();
    // A wait not among the usual ones is kept as a choice.
    expect(input('email-unread-after').value).toBe('90');
    expect(input('email-zone').value).toBe('Europe/Moscow');
    fireEvent.click(screen.getByRole('button', { name: 'Remove email' }));
    await waitFor(() => expect(puts).toEqual([{}]));
    await waitFor(() => expect(input('email-address').value).toBe(''));
    expect(screen.queryByTestId('email-remove')).toBeNull();
  });

  it('is not there when the notify service has no email', async () => {
    const calls = serve({});
    renderUi(<EmailCard />);
    await waitFor(() => expect(calls).toEqual(['GET /api/v1/notifications/email']));
    await waitFor(() => expect(screen.queryByTestId('email-settings')).toBeNull());
  });
});
