import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../../api/client';
import { endpoints } from '../../api/endpoints';
import { ApiError } from '../../api/errors';
import { jsonResponse } from '../../test/render';
import { Session } from './session';

const tokens = (t: string) => ({ access_token: t, token_type: 'Bearer', expires_in: 900, session_id: 4, user: { id: 1, username: 'alice' } });

describe('Session', () => {
  it('refreshes with the cookie (empty body), one request for concurrent callers', async () => {
    const fetchMock = vi.fn().mockResolvedValue(jsonResponse(200, tokens('t1')));
    const s = new Session(fetchMock);
    const [a, b] = await Promise.all([s.refresh(), s.refresh()]);
    expect(a && b).toBe(true);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [req] = fetchMock.mock.calls[0] as [Request];
    expect(new URL(req.url).pathname).toBe('/api/v1/auth/refresh');
    expect(req.method).toBe('POST');
    expect(await req.text()).toBe('{}');
    expect(req.credentials).toBe('same-origin');
    expect(s.snapshot.status).toBe('signed_in');
    expect(s.accessToken()).toBe('t1');
    s.clear();
  });

  it('signs out cleanly when there is no cookie (401 invalid_refresh_token)', async () => {
    const fetchMock = vi.fn().mockResolvedValue(jsonResponse(401, { error: { code: 'invalid_refresh_token', message: 'no refresh token' } }));
    const s = new Session(fetchMock);
    const seen: string[] = [];
    s.subscribe(() => seen.push(s.snapshot.status));
    expect(await s.refresh()).toBe(false);
    expect(s.snapshot).toEqual({ status: 'signed_out', account: null, sessionId: null });
    expect(seen).toEqual(['signed_out']);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('an API call whose refresh is refused signs out and reports 401 without retrying', async () => {
    const fetchMock = vi.fn(async (input: string | Request) =>
      (typeof input === 'string' ? input : input.url).endsWith('/auth/refresh')
        ? jsonResponse(401, { error: { code: 'invalid_refresh_token', message: 'no refresh token' } })
        : jsonResponse(401, { error: { code: 'token_expired', message: 'expired' } }),
    );
    const s = new Session(fetchMock as unknown as typeof fetch);
    s.accept(tokens('stale'));
    const c = endpoints(createClient(s, fetchMock as unknown as typeof fetch));
    await expect(c.chats()).rejects.toMatchObject({ status: 401 });
    expect(s.snapshot.status).toBe('signed_out');
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('signs out when the cookie is refused', async () => {
    const s = new Session(vi.fn().mockResolvedValue(jsonResponse(422, { error: { code: 'validation_failed', message: 'no cookie' } })));
    expect(await s.refresh()).toBe(false);
    expect(s.snapshot.status).toBe('signed_out');
  });
});

describe('API client', () => {
  it('refreshes an expired token once and retries the call', async () => {
    const calls: string[] = [];
    const fetchMock = vi.fn(async (input: string | Request, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : new URL(input.url).pathname;
      const auth = typeof input === 'string' ? ((init?.headers as Record<string, string> | undefined)?.authorization ?? '') : (input.headers.get('authorization') ?? '');
      calls.push(`${url} ${auth}`);
      if (url.endsWith('/auth/refresh')) return jsonResponse(200, tokens('fresh'));
      if (auth === 'Bearer stale') return jsonResponse(401, { error: { code: 'token_expired', message: 'expired' } });
      return jsonResponse(200, { id: 1 });
    });
    const s = new Session(fetchMock as unknown as typeof fetch);
    s.accept(tokens('stale'));
    const c = endpoints(createClient(s, fetchMock as unknown as typeof fetch));
    expect(await c.me()).toEqual({ id: 1 });
    expect(calls).toEqual(['/api/v1/users/me Bearer stale', '/api/v1/auth/refresh ', '/api/v1/users/me Bearer fresh']);
    s.clear();
  });

  it('turns the error shape into an ApiError with code and field', async () => {
    const s = new Session(vi.fn());
    const c = endpoints(
      createClient(s, vi.fn().mockResolvedValue(jsonResponse(422, { error: { code: 'validation_failed', message: 'too long', field: 'title' } }))),
    );
    const err = await c.createChat({ kind: 'group', title: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, code: 'validation_failed', field: 'title', message: 'too long' });
  });

  it('signs in without the token, and types paths and query parameters from the spec', async () => {
    const seen: Request[] = [];
    const fetchMock = vi.fn(async (req: Request) => {
      seen.push(req);
      return jsonResponse(200, req.url.includes('/auth/login') ? tokens('new') : { items: [] });
    });
    const s = new Session(vi.fn());
    s.accept(tokens('old'));
    const c = endpoints(createClient(s, fetchMock as unknown as typeof fetch));
    await c.login({ username: 'alice', password: 'pw' });
    await c.searchUsers('al', 8);
    expect(seen[0]?.headers.get('authorization')).toBeNull();
    expect(await seen[0]?.json()).toMatchObject({ username: 'alice', refresh_in_cookie: true });
    const search = new URL(seen[1]?.url ?? '');
    expect(search.pathname + search.search).toBe('/api/v1/users/search?prefix=al&limit=8');
    expect(seen[1]?.headers.get('authorization')).toBe('Bearer old');
    s.clear();
  });

  it('reports a network failure as such', async () => {
    const c = endpoints(createClient(new Session(vi.fn()), vi.fn().mockRejectedValue(new TypeError('Failed to fetch'))));
    await expect(c.chats()).rejects.toMatchObject({ code: 'network', status: 0 });
  });
});
