import type { MiddlewareHandler } from 'hono';
import type { HonoEnv } from '../context.ts';

/**
 * After a tenant's successful write, asks the runtime to run that tenant's outbox, so webhooks
 * leave within moments rather than at the next scheduler tick. Reads never nudge.
 */
export const nudgeOutboxAfterWrites = (nudge: (tenantSlug: string) => void): MiddlewareHandler<HonoEnv> =>
  async function nudgeOutboxAfterWrites(c, next) {
    await next();
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.res.status >= 400) return;
    const principal = c.get('principal');
    if (principal && principal.kind !== 'platform_user') nudge(principal.tenant.slug);
  };
