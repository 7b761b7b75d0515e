import type { Context } from 'hono';

/** The closed set of error codes services may throw, each with its HTTP status. */
export const errorStatus = {
  validation_failed: 400,
  malformed_request: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  mfa_required: 401,
  forbidden: 403,
  tenant_suspended: 403,
  not_found: 404,
  conflict: 409,
  idempotency_key_in_progress: 409,
  invalid_state: 409,
  subscriber_limit_reached: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  unprocessable: 422,
  account_locked: 429,
  rate_limited: 429,
  internal: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export const titles: Record<ErrorCode, string> = {
  validation_failed: 'Validation failed',
  malformed_request: 'Malformed request',
  unauthenticated: 'Authentication required',
  invalid_credentials: 'Invalid credentials',
  mfa_required: 'Multi-factor authentication required',
  forbidden: 'Forbidden',
  tenant_suspended: 'Tenant suspended',
  not_found: 'Not found',
  conflict: 'Conflict',
  idempotency_key_in_progress: 'A request with this Idempotency-Key is in progress',
  invalid_state: 'Invalid state transition',
  subscriber_limit_reached: 'Subscriber limit reached',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  idempotency_key_reused: 'Idempotency-Key reused with a different request',
  unprocessable: 'Unprocessable request',
  account_locked: 'Account temporarily locked',
  rate_limited: 'Too many requests',
  internal: 'Internal server error',
  service_unavailable: 'Service unavailable',
};

export type FieldError = { path: string; message: string };

export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(
    code: ErrorCode,
    detail?: string,
    extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? titles[code]);
    this.code = code;
    this.errors = extra.errors;
    this.headers = extra.headers;
  }
}

/** The problem `type` of a code, a page explaining it (RFC 9457 §3.1.1): `/problems/not-found`. */
export const problemTypePath = (code: ErrorCode) => `/problems/${code.replaceAll('_', '-')}`;

/** RFC 9457 problem details, with our `code` and the request id as extension members. */
export function problemResponse(c: Context, error: AppError): Response {
  const status = errorStatus[error.code];
  const body = {
    type: problemTypePath(error.code),
    title: titles[error.code],
    status,
    detail: error.message,
    instance: new URL(c.req.url).pathname,
    code: error.code,
    request_id: c.get('requestId'),
    ...(error.errors ? { errors: error.errors } : {}),
  };
  // A 413 leaves the rest of the body unread, so the connection cannot carry another
  // request: say so (RFC 9110 §15.5.14, RFC 9112 §9.6); Node then closes it after this reply.
  const connection: Record<string, string> = status === 413 ? { connection: 'close' } : {};
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...connection, ...(error.headers ?? {}) },
  });
}
