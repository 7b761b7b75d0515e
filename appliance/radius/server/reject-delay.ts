// FreeRADIUS's reject_delay: an Access-Reject leaves `delayMs` after the request was
// handled, which slows online password guessing from a NAS (or anyone holding its
// secret) without slowing anybody else. The worker never waits: rejects queue here
// under one timer, in arrival order (the delay is the same for all, so that is also
// the order they fall due).

export type DelayQueue = {
  /** Resolves once the delay has passed. */
  wait(): Promise<void>;
};

// A timer may fire up to a millisecond before the fractional due time it stands for.
const TIMER_SLACK_MS = 1;

export function createDelayQueue(delayMs: number): DelayQueue {
  let due: number[] = [];
  let resolves: Array<() => void> = [];
  let head = 0;
  let timer: NodeJS.Timeout | null = null;

  const arm = () => {
    const next = due[head];
    if (timer === null && next !== undefined) timer = setTimeout(fire, Math.max(0, next - performance.now()));
  };

  const fire = () => {
    timer = null;
    const now = performance.now() + TIMER_SLACK_MS;
    while (head < due.length && (due[head] ?? 0) <= now) {
      const resolve = resolves[head];
      head++;
      resolve?.();
    }
    // Under a steady stream of rejects the queue never empties: drop the consumed
    // front once it is most of the arrays.
    if (head === due.length || (head >= 1_024 && head * 2 >= due.length)) {
      due = due.slice(head);
      resolves = resolves.slice(head);
      head = 0;
    }
    arm();
  };

  return {
    wait() {
      return new Promise((resolve) => {
        due.push(performance.now() + delayMs);
        resolves.push(resolve);
        arm();
      });
    },
  };
}
