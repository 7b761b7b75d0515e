// The Worker under test called as a client would (JSON in and out, a bearer token), and
// the logins every workers test starts from: the platform admin, then a new tenant's owner.
import { exports } from 'cloudflare:workers';
import { expect } from 'vitest';

const worker = exports.default;

export type Json = Record<string, unknown> & { data?: Record<string, unknown>[] };

export const call = async (path: string, init: RequestInit & { token?: string; json?: unknown } = {}) => {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const response = await worker.fetch(`https://edge.test${path}`, {
    ...init,
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  return {
    status: response.status,
    headers: response.headers,
    bytes,
    text,
    body: (text.startsWith('{') ? JSON.parse(text) : {}) as Json,
  };
};

export const expectStatus = (res: { status: number; text: string }, status: number) =>
  expect(res.status, res.text).toBe(status);

/** The body of a call that must answer `status`. */
export const ok = async (promise: ReturnType<typeof call>, status: number) => {
  const res = await promise;
  expectStatus(res, status);
  return res.body;
};

/** The platform admin's access token (the bindings in vitest.config.ts). */
export const platformToken = async () =>
  String(
    (
      await ok(
        call('/api/v1/platform/auth/login', {
          method: 'POST',
          json: { email: 'root@platform.test', password: 'platform-admin-password' },
        }),
        200,
      )
    ).access_token,
  );

/** A new tenant (slug `prefix-…`) created by the platform admin, and its owner's access token. */
export async function tenantLogin(
  platform: string,
  prefix: string,
  settings: { currency: string; timezone: string } = { currency: 'USD', timezone: 'UTC' },
) {
  const slug = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const admin = { admin_email: `owner@${slug}.test`, admin_password: 'owner-password-123' };
  const created = await ok(
    call('/api/v1/platform/tenants', {
      method: 'POST',
      token: platform,
      json: { slug, name: slug, ...settings, ...admin },
    }),
    201,
  );
  const login = await ok(
    call('/api/v1/auth/login', {
      method: 'POST',
      json: { tenant: slug, email: admin.admin_email, password: admin.admin_password },
    }),
    200,
  );
  return { id: String(created.id), token: String(login.access_token) };
}
