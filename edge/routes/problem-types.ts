import { Hono } from 'hono';
import type { HonoEnv } from '../context.ts';
import { errorStatus, problemTypePath, titles, type ErrorCode } from '../errors.ts';

// RFC 9457 §3.1.1: a problem type URI should resolve to human-readable documentation.
// Each code's `type` (/problems/<code with dashes>) is served here, from this one table,
// so a new error code does not typecheck until it is explained.
const explanations: Record<ErrorCode, string> = {
  validation_failed:
    'The request was well-formed but some fields failed validation. `errors` lists each one as ' +
    '`{path, message}`; fix those fields and send the request again.',
  malformed_request:
    'The request could not be read: the body is not valid JSON, a header has the wrong form (an ' +
    'Idempotency-Key of more than 255 visible ASCII characters), or a parameter is not what the route takes.',
  unauthenticated:
    'No valid credentials came with the request: the Authorization header is missing, or its access token ' +
    'or API key is expired, revoked or belongs to a disabled user. Log in again or use another key.',
  invalid_credentials:
    'The email, tenant or password (or TOTP code) is wrong. Several failures in a row lock the account.',
  mfa_required: 'This user has TOTP enabled: send the current six-digit code as `totp` with the login.',
  forbidden:
    'The caller is authenticated but its role (or API key) lacks the permission this operation needs, ' +
    'or it tried to grant more than it holds.',
  tenant_suspended: 'The tenant is suspended by the platform; its users and keys are refused until it is reactivated.',
  not_found:
    "No such resource exists in the caller's tenant (resources of other tenants are not found either), " +
    'or no such route.',
  conflict: 'The request conflicts with what exists: a duplicate of a unique value, or a resource still in use.',
  idempotency_key_in_progress:
    'A request with the same Idempotency-Key is still being processed. Wait and retry with the same key; ' +
    'you will get its stored response.',
  invalid_state: 'The resource is not in a state that allows this action (for example, closing a closed ticket).',
  subscriber_limit_reached:
    'The tenant has as many subscribers as its plan allows (max_subscribers, set by the platform). Creating, ' +
    'importing or converting more is refused until the limit is raised or subscribers are removed.',
  payload_too_large: 'The request body exceeds the limit of this route (1 MiB for JSON; file routes say theirs).',
  unsupported_media_type:
    "The body's Content-Type is not one this route accepts; the operation lists the accepted types.",
  idempotency_key_reused:
    'This Idempotency-Key was used within 24 hours for a different request (method, path or body). ' +
    'Use a new key for a new request.',
  unprocessable: 'The request is valid in form but breaks a business rule; `detail` says which.',
  account_locked: 'Too many failed attempts: the account is locked for a while. Retry-After says how many seconds.',
  rate_limited: 'The caller sent too many requests. Wait the number of seconds in Retry-After, then continue.',
  internal: 'An unexpected error on the server. Nothing was committed; quote `request_id` when reporting it.',
  service_unavailable:
    'A dependency (a database, a storage service) is unavailable. Retry later, after Retry-After if given.',
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
// Backticks in the explanations mark names; shown as code.
const withCode = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

const codesByType = new Map((Object.keys(errorStatus) as ErrorCode[]).map((code) => [problemTypePath(code), code]));

function page(code: ErrorCode): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(titles[code])}</title></head>
<body>
<h1>${escapeHtml(titles[code])}</h1>
<p>HTTP status <strong>${errorStatus[code]}</strong>, problem code <code>${code}</code>.</p>
<p>${withCode(explanations[code])}</p>
<p>Every error of this API is <code>application/problem+json</code> (RFC 9457) with <code>type</code> (this page),
<code>title</code>, <code>status</code>, <code>detail</code>, <code>instance</code>, <code>code</code> and
<code>request_id</code>. See the <a href="/api/docs">API reference</a>.</p>
</body>
</html>
`;
}

export const problemTypesRouter = new Hono<HonoEnv>().get('/problems/:slug', (c) => {
  const code = codesByType.get(new URL(c.req.url).pathname);
  if (!code) return c.notFound();
  const headers = { 'content-security-policy': "default-src 'none'", 'cache-control': 'public, max-age=86400' };
  return c.html(page(code), 200, headers);
});
