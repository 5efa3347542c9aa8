import type { components } from './schema';

/**
 * A code the server answers with (`ErrorCode` in the API reference, generated), or one the
 * client makes when there is no answer to read: `network`, `http_<status>`.
 */
export type ErrorCode = components['schemas']['ErrorCode'] | 'network' | `http_${number}`;

/** The API's one error shape: `{"error": {"code", "message", "field"?}}` (docs/api.md). */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  field?: string | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(status: number, body: ErrorShape, retryAfter?: number) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.field = body.field ?? undefined;
    this.retryAfter = retryAfter;
  }
}

/** Network failures (server down, offline) become an ApiError with status 0. */
export function networkError(): ApiError {
  return new ApiError(0, { code: 'network', message: 'network error' });
}

export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: unknown = undefined;
  try {
    body = await res.json();
  } catch {
    // not JSON
  }
  return errorFromBody(res, body);
}

/** The ApiError of an answer whose body was read already (`body`: the parsed JSON, if any). */
export function errorFromBody(res: Response, body: unknown): ApiError {
  const retry = Number(res.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: ErrorShape }).error;
    if (e && typeof e.code === 'string') return new ApiError(res.status, e, retryAfter);
  }
  return new ApiError(res.status, { code: `http_${res.status}`, message: res.statusText || 'error' }, retryAfter);
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
