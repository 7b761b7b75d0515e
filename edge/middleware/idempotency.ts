import { sql } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import type { ControlTx, HonoEnv, TenantContext, TenantTx } from '../context.ts';
import { AppError } from '../errors.ts';
import { toHex, utf8 } from '../lib/encoding.ts';
import { openSecret, sealSecret } from '../lib/sealed.ts';

const ttlMs = 24 * 60 * 60 * 1000;
const validKey = /^[\x21-\x7e]{1,255}$/;

/** Raw SQL on the tenant or the control database, or on a transaction of either. */
type Keyed = { scope: string; key: string; path: string; bodyHash: string; now: number };
type Stored = { body_hash: string; status: number | null; headers: string | null; body: string | null };

/**
 * How a long-running POST (a billing run, a collections run, an import) is made idempotent:
 * its work commits in many transactions and may outlive its response, so it cannot run in the
 * request's one transaction. Instead its service calls `ctx.keyResource(tx, id)` in the
 * transaction that creates the resource (the run, the job): the key and the resource commit
 * together, and a replay answers with the resource as it is now, at `location(id)`.
 */
export type KeyedResource = {
  status: 201 | 202;
  location: (id: string) => string;
  present: (ctx: TenantContext, id: string) => Promise<unknown>;
};

// Thrown in a resource's creating transaction when another request holds the key, so the
// duplicate creates nothing; the middleware answers it with the replay.
class KeyTaken extends Error {
  override name = 'KeyTaken';
}
// Thrown to roll the request's transaction back after a server error, which is not stored.
class ServerError extends Error {
  override name = 'ServerError';
}

/**
 * `Idempotency-Key` on POST: the first request's response is stored for 24 h and replayed for
 * the same key and body; the same key with a different body is a 422. Keys are scoped to the
 * caller, in the caller's database. Stored bodies are sealed with the data key: some responses
 * (new API keys, TOTP seeds) carry secrets.
 *
 * The handler's effects and the stored response commit together or not at all (issue 13): the
 * request runs in one write transaction on its database, which its services' own transactions
 * join as savepoints, and the response is stored in it before the commit. A request that dies
 * leaves nothing, so its key is free for a retry; a duplicate that arrives meanwhile waits for
 * the write lock and then gets the replay. Server errors (5xx) roll everything back and store
 * nothing. Routes given a `KeyedResource` commit the key with the resource they create instead.
 */
export const idempotency = (resource?: KeyedResource): MiddlewareHandler<HonoEnv> =>
  async function idempotency(c, next) {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!validKey.test(key))
      throw new AppError('malformed_request', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
    const principal = c.get('principal');
    const path = new URL(c.req.url).pathname;
    // Over the raw bytes: reading the body as text first would make Hono hand later readers
    // a UTF-8 round trip of it, which corrupts binary uploads.
    const head = utf8(`${c.req.method} ${path}\n`);
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const signed = new Uint8Array(head.byteLength + raw.byteLength);
    signed.set(head);
    signed.set(raw, head.byteLength);
    const keyed: Keyed = {
      scope: `${principal.kind}:${principal.id}`,
      key,
      path,
      bodyHash: toHex(await crypto.subtle.digest('SHA-256', signed)),
      now: c.get('platform').now(),
    };
    if (resource) return keyResource(c, next, keyed, resource);

    let replay: Response | undefined;
    try {
      await inRequestTransaction(c, async (tx) => {
        const stored = await lookUp(tx, keyed);
        if (stored) {
          replay = await replayOf(c, stored);
          return;
        }
        await next();
        if (c.res.status >= 500) throw new ServerError();
        await storeResponse(tx, keyed, c.res, c.get('platform').config.dataKey);
      });
    } catch (error) {
      if (error instanceof KeyTaken) replay = await replayOf(c, await winner(c, keyed));
      else if (!(error instanceof ServerError)) throw error;
    }
    if (replay) c.res = replay;
  };

/** The stored request of whoever took the key first, read after our attempt rolled back. */
async function winner(c: Context<HonoEnv>, keyed: Keyed): Promise<Stored> {
  const db = c.get('principal').kind === 'platform_user' ? c.get('platformCtx').db : c.get('tenantCtx').db;
  const stored = await lookUp(db, keyed);
  if (!stored) throw new AppError('idempotency_key_in_progress', 'retry the request');
  return stored;
}

/** Runs `work` in a write transaction on the caller's database that the handler's services use. */
async function inRequestTransaction(
  c: Context<HonoEnv>,
  work: (tx: TenantTx | ControlTx) => Promise<void>,
): Promise<void> {
  if (c.get('principal').kind === 'platform_user') {
    const ctx = c.get('platformCtx');
    return ctx.db.transaction(async (tx) => {
      c.set('platformCtx', { ...ctx, db: tx });
      try {
        await work(tx);
      } finally {
        c.set('platformCtx', ctx);
      }
    });
  }
  const ctx = c.get('tenantCtx');
  return ctx.db.transaction(async (tx) => {
    c.set('tenantCtx', { ...ctx, db: tx });
    try {
      await work(tx);
    } finally {
      c.set('tenantCtx', ctx);
    }
  });
}

async function keyResource(
  c: Context<HonoEnv>,
  next: () => Promise<void>,
  keyed: Keyed,
  resource: KeyedResource,
): Promise<void> {
  const ctx = c.get('tenantCtx');
  const stored = await lookUp(ctx.db, keyed);
  if (stored) {
    c.res = await replayOf(c, stored, resource);
    return;
  }
  let mine = false;
  c.set('tenantCtx', {
    ...ctx,
    keyResource: async (tx, id) => {
      const headers = { 'content-type': 'application/json', location: resource.location(id) };
      const inserted = await insertKey(tx, keyed, resource.status, headers, null);
      if (inserted.rowsAffected === 0) throw new KeyTaken();
      mine = true;
    },
  });
  try {
    await next();
  } finally {
    c.set('tenantCtx', ctx);
  }
  if (c.error instanceof KeyTaken) {
    c.error = undefined;
    c.res = await replayOf(c, await winner(c, keyed), resource);
  } else if (mine && c.res.status >= 500) {
    await ctx.db.run(sql`DELETE FROM idempotency_keys WHERE principal = ${keyed.scope} AND key = ${keyed.key}`);
  }
}

/**
 * The stored request for this key, after dropping expired keys. A claim without a response
 * can only be one an earlier version of this middleware committed before running its
 * handler, left behind by a request that died: it is dropped, so the key is free again.
 */
async function lookUp(db: TenantTx | ControlTx, keyed: Keyed): Promise<Stored | undefined> {
  await db.run(sql`DELETE FROM idempotency_keys WHERE expires_at < ${keyed.now}`);
  const [stored] = await db.all<Stored>(
    sql`SELECT body_hash, status, headers, body FROM idempotency_keys
        WHERE principal = ${keyed.scope} AND key = ${keyed.key}`,
  );
  if (stored?.status === null) {
    await db.run(sql`DELETE FROM idempotency_keys WHERE principal = ${keyed.scope} AND key = ${keyed.key}`);
    return undefined;
  }
  if (stored && stored.body_hash !== keyed.bodyHash)
    throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
  return stored;
}

const insertKey = (
  db: TenantTx | ControlTx,
  keyed: Keyed,
  status: number,
  headers: Record<string, string>,
  body: string | null,
) =>
  db.run(
    sql`INSERT INTO idempotency_keys
          (principal, key, method, path, body_hash, created_at, expires_at, status, headers, body)
        VALUES (${keyed.scope}, ${keyed.key}, 'POST', ${keyed.path}, ${keyed.bodyHash}, ${keyed.now},
                ${keyed.now + ttlMs}, ${status}, ${JSON.stringify(headers)}, ${body})
        ON CONFLICT DO NOTHING`,
  );

async function storeResponse(
  db: TenantTx | ControlTx,
  keyed: Keyed,
  response: Response,
  dataKey: string,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'location']) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const body = await sealSecret(await response.clone().text(), dataKey);
  // Under the write lock the key was free when the request began. Should a database ever let
  // a duplicate through, this request's effects roll back and it answers with the replay.
  const inserted = await insertKey(db, keyed, response.status, headers, body);
  if (inserted.rowsAffected === 0) throw new KeyTaken();
}

/** The stored response again; a resource's body is the resource as it is now. */
async function replayOf(c: Context<HonoEnv>, stored: Stored, resource?: KeyedResource): Promise<Response> {
  const headers = new Headers(JSON.parse(String(stored.headers)) as Record<string, string>);
  headers.set('idempotent-replayed', 'true');
  let body: string | null;
  if (resource && stored.body === null) {
    const id = (headers.get('location') ?? '').split('/').pop() ?? '';
    body = JSON.stringify(await resource.present(c.get('tenantCtx'), id));
  } else {
    body = stored.body === null ? null : await openSecret(stored.body, c.get('platform').config.dataKey);
  }
  return new Response(body, { status: Number(stored.status), headers });
}
