// FreeRADIUS's reject_delay: an Access-Reject leaves `delayMs` after the request was
// handled, which slows online password guessing from a NAS (or anyone holding its
// secret) without slowing anybody else. The worker never waits: rejects queue here
// under one timer, in arrival order (the delay is the same for all, so that is also
// the order they fall due).

export type DelayQueue = {
  /** Runs `send` once the delay has passed. */
  schedule(send: () => void): void;
};

// A timer may fire up to a millisecond before the fractional due time it stands for.
const TIMER_SLACK_MS = 1;

export function createDelayQueue(delayMs: number): DelayQueue {
  let due: number[] = [];
  let sends: Array<() => void> = [];
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
      const send = sends[head];
      sends[head] = noop;
      head++;
      send?.();
    }
    if (head === due.length) {
      due = [];
      sends = [];
      head = 0;
    }
    arm();
  };

  return {
    schedule(send) {
      due.push(performance.now() + delayMs);
      sends.push(send);
      arm();
    },
  };
}

function noop(): void {}
