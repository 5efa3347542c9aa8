import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from './session';
import { jsonResponse, renderUi } from '../../test/render';
import { LoginPage, RegisterPage, deviceName } from './AuthPages';

const tokens = { access_token: 'a', token_type: 'Bearer', expires_in: 900, session_id: 4, user: { id: 1, username: 'alice' } };

afterEach(() => {
  session.clear();
});

describe('LoginPage', () => {
  it('asks for the 2FA code when the server says totp_required, then signs in', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(jsonResponse(401, { error: { code: 'totp_required', message: 'enter the code' } }))
      .mockResolvedValueOnce(jsonResponse(200, tokens));
    vi.stubGlobal('fetch', fetchMock);
    renderUi(<LoginPage />);
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const code = await screen.findByLabelText('Code');
    fireEvent.change(code, { target: { value: '123 456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(session.snapshot.status).toBe('signed_in'));
    const body = (await (fetchMock.mock.calls[1]?.[0] as Request).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ username: 'alice', totp_code: '123456', refresh_in_cookie: true });
    expect(session.accessToken()).toBe('a');
    vi.unstubAllGlobals();
  });

  it('shows the API error in the UI language', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(jsonResponse(401, { error: { code: 'invalid_credentials', message: 'wrong username or password' } })));
    renderUi(<LoginPage />, { lang: 'ru' });
    fireEvent.change(screen.getByLabelText('Имя пользователя'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Пароль'), { target: { value: 'nope nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Войти' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Неверное имя пользователя или пароль.');
    vi.unstubAllGlobals();
  });
});

describe('RegisterPage', () => {
  it('puts a field error under its field', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn().mockResolvedValue(jsonResponse(409, { error: { code: 'username_taken', message: 'this username is taken', field: 'username' } })),
    );
    renderUi(<RegisterPage />);
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'bob' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'another good password' } });
    fireEvent.change(screen.getByLabelText('Repeat the password'), { target: { value: 'another good password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(screen.getByLabelText('Username').getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText('This username is taken.')).toBeTruthy();
    vi.unstubAllGlobals();
  });
});

describe('deviceName', () => {
  it('names the browser and system', () => {
    expect(deviceName('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36')).toBe('Chrome · Linux');
    expect(deviceName('Mozilla/5.0 (Windows NT 10.0; rv:120.0) Gecko/20100101 Firefox/120.0')).toBe('Firefox · Windows');
  });
});
