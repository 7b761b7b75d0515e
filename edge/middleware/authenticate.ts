import type { Context, MiddlewareHandler } from 'hono';
import { staffRoles, type StaffRole } from '../../db/tenant/index.ts';
import type { HonoEnv, ServiceContext, TenantPrincipal } from '../context.ts';
import { AppError } from '../errors.ts';
import { equalStringsConstantTime, sha256Hex } from '../lib/crypto.ts';
import { verifyAccessToken } from '../lib/tokens.ts';
import { permissionsOf, type Permission } from '../permissions.ts';
import { findTenantForRequest } from '../services/tenants/find-tenant.ts';
import { parseApiKey } from '../services/api-keys/api-key-format.ts';
import { keyPermissions } from '../services/api-keys/key-permissions.ts';
import { consumeRateLimit } from './rate-limit.ts';

const bearer = (c: Context<HonoEnv>) => {
  const header = c.req.header('authorization');
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match)
    throw new AppError('unauthenticated', 'send an access token or API key as "Authorization: Bearer <token>"');
  return match[1]!;
};

const isRole = (role: string): role is StaffRole => (staffRoles as readonly string[]).includes(role);

const baseContext = (c: Context<HonoEnv>, actor: ServiceContext<unknown>['actor']) => ({
  platform: c.get('platform'),
  actor,
  requestId: c.get('requestId'),
  ip: c.get('clientIp'),
  log: c.get('log'),
});

/** Platform routes: a valid platform user's token; a tenant's token is refused with 403. */
export const authenticatePlatform = (): MiddlewareHandler<HonoEnv> =>
  async function authenticatePlatform(c, next) {
    const platform = c.get('platform');
    const token = bearer(c);
    if (parseApiKey(token)) throw new AppError('forbidden', 'tenant API keys cannot call platform routes');
    const claims = await verifyAccessToken(token, platform.config.authSecret, Math.floor(platform.now() / 1000));
    if (!claims) throw new AppError('unauthenticated', 'the access token is invalid or expired');
    if (claims.typ !== 'platform') throw new AppError('forbidden', 'platform routes need a platform administrator');
    const control = await platform.databases.control();
    const user = await control.execute({ sql: 'SELECT id FROM platform_users WHERE id = ?', args: [claims.sub] });
    if (user.rows.length === 0) throw new AppError('unauthenticated', 'the account no longer exists');
    c.set('principal', { kind: 'platform_user', id: claims.sub });
    c.set('platformCtx', {
      ...baseContext(c, { type: 'platform_user', id: claims.sub }),
      db: await platform.databases.controlDb(),
    });
    await next();
  };

/**
 * Tenant routes: a staff token or an API key, whose tenant is active, whose user or key
 * still exists with that role. The tenant's database is leased for the request.
 */
export const authenticateTenant = (): MiddlewareHandler<HonoEnv> =>
  async function authenticateTenant(c, next) {
    const platform = c.get('platform');
    const token = bearer(c);
    const apiKey = parseApiKey(token);
    let slug: string;
    let claims: Awaited<ReturnType<typeof verifyAccessToken>> = null;
    if (apiKey) {
      slug = apiKey.tenant;
    } else {
      claims = await verifyAccessToken(token, platform.config.authSecret, Math.floor(platform.now() / 1000));
      if (!claims) throw new AppError('unauthenticated', 'the access token is invalid or expired');
      if (claims.typ !== 'staff') throw new AppError('forbidden', 'tenant routes need a tenant user or API key');
      slug = claims.tenant;
    }
    const tenant = await findTenantForRequest(platform, slug);
    if (!tenant) throw new AppError('unauthenticated', 'the tenant does not exist');
    if (tenant.status === 'suspended') throw new AppError('tenant_suspended', 'this tenant is suspended');
    if (tenant.status !== 'active') throw new AppError('service_unavailable', 'this tenant is still being provisioned');

    const lease = await platform.databases.leaseTenant(slug);
    try {
      const client = lease.client;
      let principal: TenantPrincipal;
      if (apiKey) {
        const sql = 'SELECT role, scopes, secret_hash, revoked_at, expires_at, last_used_at FROM api_keys WHERE id = ?';
        const row = (await client.execute({ sql, args: [apiKey.id] })).rows[0];
        if (
          !row ||
          row.revoked_at !== null ||
          !equalStringsConstantTime(String(row.secret_hash), await sha256Hex(apiKey.secret))
        ) {
          throw new AppError('unauthenticated', 'the API key is invalid or revoked');
        }
        if (row.expires_at !== null && Number(row.expires_at) <= platform.now()) {
          throw new AppError('unauthenticated', 'the API key expired');
        }
        const role = String(row.role);
        if (!isRole(role)) throw new AppError('unauthenticated', 'the API key has an unknown role');
        const scopes = row.scopes === null ? null : (JSON.parse(String(row.scopes)) as string[]);
        const limit = consumeRateLimit(`${slug}/${apiKey.id}`, platform.config.apiKeyRateLimit, platform.now());
        if (!limit.allowed) {
          throw new AppError(
            'rate_limited',
            `this API key is limited to ${platform.config.apiKeyRateLimit} requests a minute`,
            {
              headers: { 'retry-after': String(limit.retryAfterSeconds) },
            },
          );
        }
        // Last-used time at minute resolution: one write a minute per key, not one per request.
        const now = platform.now();
        if (row.last_used_at === null || now - Number(row.last_used_at) > 60_000) {
          await client.execute({ sql: 'UPDATE api_keys SET last_used_at = ? WHERE id = ?', args: [now, apiKey.id] });
        }
        principal = { kind: 'api_key', id: apiKey.id, tenant, role, permissions: keyPermissions(role, scopes) };
      } else {
        const staff = claims as Extract<NonNullable<typeof claims>, { typ: 'staff' }>;
        const row = (
          await client.execute({
            sql: 'SELECT role, status, deleted_at, session_epoch FROM users WHERE id = ?',
            args: [staff.sub],
          })
        ).rows[0];
        if (!row || row.status !== 'active' || row.deleted_at !== null)
          throw new AppError('unauthenticated', 'the account is disabled or deleted');
        // A token is bound to the role it was issued with; a role change needs a new login.
        if (row.role !== staff.role || !isRole(staff.role))
          throw new AppError('unauthenticated', 'the account role changed; log in again');
        if (Number(row.session_epoch) !== staff.epoch)
          throw new AppError('unauthenticated', 'the password changed since this token was issued; log in again');
        principal = { kind: 'user', id: staff.sub, tenant, role: staff.role, permissions: permissionsOf(staff.role) };
      }
      c.set('principal', principal);
      c.set('tenantCtx', {
        ...baseContext(c, { type: principal.kind, id: principal.id }),
        db: lease.db,
        tenant,
        principal,
      });
      await next();
    } finally {
      lease.release();
    }
  };

/** Route guard: the caller's role must grant `permission`. */
export const requirePermission = (permission: Permission): MiddlewareHandler<HonoEnv> =>
  async function requirePermission(c, next) {
    const principal = c.get('principal');
    if (!principal || principal.kind === 'platform_user' || !principal.permissions.has(permission)) {
      throw new AppError('forbidden', `this action needs the ${permission} permission`);
    }
    await next();
  };
