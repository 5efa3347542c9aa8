import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { vi } from 'vitest';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { I18nProvider, type Lang } from '../i18n/index';

export function renderUi(ui: ReactElement, { lang = 'en', path = '/' }: { lang?: Lang; path?: string } = {}) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const result = render(
    <QueryClientProvider client={qc}>
      <I18nProvider initial={lang}>
        <MemoryRouter initialEntries={[path]}>{ui}</MemoryRouter>
      </I18nProvider>
    </QueryClientProvider>,
  );
  return { ...result, qc };
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

export type Handler = (req: Request) => Response | Promise<Response>;

/**
 * A fake server for the typed client: the handler of "METHOD /path" answers (a 404 when there
 * is none); every call is kept as "METHOD /path?query".
 */
export function serve(routes: Record<string, Handler>): string[] {
  const calls: string[] = [];
  const fetchMock = vi.fn(async (req: Request) => {
    const url = new URL(req.url);
    const key = `${req.method} ${url.pathname}`;
    calls.push(`${key}${url.search}`);
    const handler = routes[key];
    return handler ? handler(req) : jsonResponse(404, { error: { code: 'not_found', message: 'no route' } });
  });
  vi.stubGlobal('fetch', fetchMock);
  return calls;
}
