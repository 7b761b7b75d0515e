import type { MiddlewareHandler } from 'hono';
import type { HonoEnv } from '../context.ts';
import { AppError } from '../errors.ts';
import { sourceOf } from '../lib/source-address.ts';
import { countLoginAttempt } from '../services/auth/throttle-login-source.ts';

/**
 * Login routes: at most LOGIN_RATE_LIMIT attempts a minute from one source address, so one
 * address cannot spray guesses over many accounts below each account's lockout. The address
 * is the runtime's (the socket peer on Node, CF-Connecting-IP on Workers), never a header a
 * client can set. A request without one (a test calling the app in-process) is not counted.
 */
export const limitLoginsBySource = (): MiddlewareHandler<HonoEnv> =>
  async function limitLoginsBySource(c, next) {
    const address = c.get('clientIp');
    if (address) {
      const platform = c.get('platform');
      const limit = platform.config.loginRateLimit;
      const control = await platform.databases.control();
      const verdict = await countLoginAttempt(control, sourceOf(address), limit, platform.now());
      if (!verdict.allowed) {
        throw new AppError('rate_limited', `at most ${limit} login attempts a minute are accepted from one address`, {
          headers: { 'retry-after': String(verdict.retryAfterSeconds) },
        });
      }
    }
    await next();
  };
