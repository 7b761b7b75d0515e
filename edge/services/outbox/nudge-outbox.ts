import type { Platform } from '../../env.ts';
import { runOutboxOf } from './run-outbox.ts';

// Wake-ups further away than this are left to the scheduler's minute tick.
const maxWakeMs = 60_000;

/**
 * For a long-running process (Node): runs a tenant's outbox just after a write, at most one
 * run per tenant at a time (a nudge during a run runs it once more after), and wakes again
 * when the next webhook retry is due within the minute, so the first retry (5 s) is on time.
 * `stop()` cancels the wake-ups.
 */
export function createOutboxNudger(platform: Platform) {
  const running = new Set<string>();
  const again = new Set<string>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let stopped = false;

  async function run(slug: string) {
    running.add(slug);
    try {
      const result = await runOutboxOf(platform, slug);
      if (result?.nextDueAt != null) wakeAt(slug, result.nextDueAt);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      platform.log.error('outbox run failed', { tenant: slug, error: message });
    } finally {
      running.delete(slug);
      if (again.delete(slug)) nudge(slug);
    }
  }

  function wakeAt(slug: string, at: number) {
    const delay = Math.max(0, at - platform.now());
    if (stopped || delay > maxWakeMs) return;
    clearTimeout(timers.get(slug));
    timers.set(
      slug,
      setTimeout(() => (timers.delete(slug), nudge(slug)), delay),
    );
  }

  function nudge(slug: string) {
    if (stopped) return;
    if (running.has(slug)) again.add(slug);
    else void run(slug);
  }

  function stop() {
    stopped = true;
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
  }

  return { nudge, stop, idle: () => running.size === 0 && again.size === 0 };
}
