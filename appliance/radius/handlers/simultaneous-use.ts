// Simultaneous-Use (the FreeRADIUS check item): a subscriber's live sessions, counted
// by the spool, against their limit. Without a spool to count (spool.db cannot be
// opened, its owner thread restarting) config sessions.simultaneousUseFailOpen decides:
// true (default) accepts the login, because a subscriber locked out by the appliance's
// own fault is worse than one extra session for a while; false rejects it
// (`sessions_unavailable`). Each worker logs once per transition, not per request.
import type { HandlerContext } from './context.ts';

export type SimultaneousUseVerdict = 'allow' | 'simultaneous_use' | 'sessions_unavailable';

// Per worker context: whether its last count failed.
const countingFailed = new WeakMap<HandlerContext, boolean>();

export function checkSimultaneousUse(
  ctx: HandlerContext,
  username: string,
  limit: number,
): Promise<SimultaneousUseVerdict> {
  return ctx.spool.countLiveSessions(username).then(
    (live) => {
      if (countingFailed.get(ctx) === true) {
        countingFailed.set(ctx, false);
        ctx.log.info('Simultaneous-Use enforced again: the spool counts sessions');
      }
      return live >= limit ? 'simultaneous_use' : 'allow';
    },
    (error: unknown) => {
      const failOpen = ctx.config.sessions.simultaneousUseFailOpen;
      if (countingFailed.get(ctx) !== true) {
        countingFailed.set(ctx, true);
        const outcome = failOpen
          ? 'accepting (sessions.simultaneousUseFailOpen)'
          : 'rejecting (sessions.simultaneousUseFailOpen false)';
        ctx.log.warn(`Simultaneous-Use cannot be counted without the spool: ${outcome} until it is back`, { error });
      }
      return failOpen ? 'allow' : 'sessions_unavailable';
    },
  );
}
