import type { MiddlewareHandler } from 'hono';
import type { HonoEnv } from '../context.ts';
import type { Platform } from '../env.ts';
import { uuidv7 } from '../lib/ids.ts';

const acceptableId = /^[A-Za-z0-9._-]{8,128}$/;

/** Request id (echoed, or taken from a well-formed X-Request-Id), a child logger, one access log line. */
export const requestContext = (platform: Platform): MiddlewareHandler<HonoEnv> =>
  async function requestContext(c, next) {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && acceptableId.test(incoming) ? incoming : uuidv7();
    const log = platform.log.child({ request_id: requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('platform', platform);
    c.set('clientIp', platform.remoteAddress(c) ?? null);
    // Set before the handler runs, so responses built with c.json/c.body carry it as they
    // are made. Setting a header on a finished response makes Hono copy the response into a
    // new one with a streamed body: about a tenth of a trivial request's CPU on Node.
    c.header('x-request-id', requestId);
    const started = performance.now();
    await next();
    if (!c.res.headers.has('x-request-id')) c.header('x-request-id', requestId);
    const principal = c.get('principal');
    log.info('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      tenant: principal && principal.kind !== 'platform_user' ? principal.tenant.slug : undefined,
      actor: principal ? `${principal.kind}:${principal.id}` : undefined,
    });
  };
