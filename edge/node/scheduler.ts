// The Node runtime's minute timer for runScheduledJobs. Ticks run one after another, never
// overlapping (a billing run longer than a minute delays the next tick instead of starting
// a second run beside it), and each tick covers the time since the previous one, so an
// hourly slot passed during a long tick is still taken by the next.
import type { Platform } from '../env.ts';
import type { Tick } from '../services/scheduler/run-scheduled-jobs.ts';

export type MinuteScheduler = {
  /** Runs a tick now unless one is running (then that one's promise): what the timer calls. */
  tick(): Promise<void>;
  /** No more ticks; resolves when the one in flight has finished. */
  stop(): Promise<void>;
};

const minuteMs = 60_000;

export function startMinuteScheduler(
  platform: Pick<Platform, 'now' | 'log'>,
  run: (tick: Tick) => Promise<void>,
): MinuteScheduler {
  let from = platform.now();
  let running: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const schedule = () => {
    clearTimeout(timer);
    if (stopped) return;
    // At the next minute boundary, however long the last tick took.
    timer = setTimeout(() => void tick(), minuteMs - (platform.now() % minuteMs));
  };
  const tick = () => {
    running ??= (async () => {
      const window = { from, to: platform.now() };
      try {
        await run(window);
      } catch (error) {
        platform.log.error('scheduled jobs failed', { error: error instanceof Error ? error.message : String(error) });
      }
      from = window.to;
      running = null;
      schedule();
    })();
    return running;
  };
  schedule();
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
