import type { Client } from '@libsql/client';
import type { Context, MiddlewareHandler } from 'hono';
import type { HonoEnv } from '../context.ts';
import { AppError } from '../errors.ts';
import { toHex, utf8 } from '../lib/encoding.ts';
import { openSecret, sealSecret } from '../lib/sealed.ts';

const ttlMs = 24 * 60 * 60 * 1000;
const validKey = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on POST: the first request's response is stored for 24 h and replayed
 * for the same key and body; the same key with a different body is a 422; a key whose
 * first request is still running is a 409. Server errors are not stored, so they can be
 * retried. Keys are scoped to the caller, in the caller's database. Stored bodies are
 * sealed with the data key: some responses (new API keys, TOTP seeds) carry secrets.
 */
export const idempotency = (database: (c: Context<HonoEnv>) => Promise<Client> | Client): MiddlewareHandler<HonoEnv> =>
  async function idempotency(c, next) {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!validKey.test(key))
      throw new AppError('malformed_request', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
    const principal = c.get('principal');
    const scope = `${principal.kind}:${principal.id}`;
    const path = new URL(c.req.url).pathname;
    // Over the raw bytes: reading the body as text first would make Hono hand later readers
    // a UTF-8 round trip of it, which corrupts binary uploads.
    const head = utf8(`${c.req.method} ${path}\n`);
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const signed = new Uint8Array(head.byteLength + raw.byteLength);
    signed.set(head);
    signed.set(raw, head.byteLength);
    const bodyHash = toHex(await crypto.subtle.digest('SHA-256', signed));
    const db = await database(c);
    const now = c.get('platform').now();

    await db.execute({ sql: 'DELETE FROM idempotency_keys WHERE expires_at < ?', args: [now] });
    const claimed = await db.execute({
      sql: `INSERT INTO idempotency_keys (principal, key, method, path, body_hash, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      args: [scope, key, c.req.method, path, bodyHash, now, now + ttlMs],
    });
    if (claimed.rowsAffected === 0) {
      const stored = (
        await db.execute({
          sql: 'SELECT body_hash, status, headers, body FROM idempotency_keys WHERE principal = ? AND key = ?',
          args: [scope, key],
        })
      ).rows[0];
      if (!stored) throw new AppError('idempotency_key_in_progress', 'retry the request');
      if (stored.body_hash !== bodyHash)
        throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
      if (stored.status === null)
        throw new AppError(
          'idempotency_key_in_progress',
          'the first request with this Idempotency-Key has not finished',
        );
      const headers = new Headers(JSON.parse(String(stored.headers)) as Record<string, string>);
      headers.set('idempotent-replayed', 'true');
      const replayed =
        stored.body === null ? null : await openSecret(String(stored.body), c.get('platform').config.dataKey);
      c.res = new Response(replayed, { status: Number(stored.status), headers });
      return;
    }

    const forget = () =>
      db.execute({ sql: 'DELETE FROM idempotency_keys WHERE principal = ? AND key = ?', args: [scope, key] });
    try {
      await next();
    } catch (error) {
      await forget();
      throw error;
    }
    const response = c.res;
    if (response.status >= 500) {
      await forget();
      return;
    }
    const body = await response.clone().text();
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'location']) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    await db.execute({
      sql: 'UPDATE idempotency_keys SET status = ?, headers = ?, body = ? WHERE principal = ? AND key = ?',
      args: [
        response.status,
        JSON.stringify(headers),
        await sealSecret(body, c.get('platform').config.dataKey),
        scope,
        key,
      ],
    });
  };
