// Fixed one-minute windows per key, in this process's memory. On Workers each isolate
// counts on its own, so the effective limit there is per isolate; a Durable Object
// counter is the upgrade path when that matters.
const windows = new Map<string, { start: number; count: number }>();
const windowMs = 60_000;

export function consumeRateLimit(
  key: string,
  limit: number,
  now: number,
): { allowed: boolean; retryAfterSeconds: number } {
  let window = windows.get(key);
  if (!window || now - window.start >= windowMs) {
    window = { start: now - (now % windowMs), count: 0 };
    windows.set(key, window);
    if (windows.size > 100_000) for (const [k, w] of windows) if (now - w.start >= windowMs) windows.delete(k);
  }
  window.count++;
  return {
    allowed: window.count <= limit,
    retryAfterSeconds: Math.max(1, Math.ceil((window.start + windowMs - now) / 1000)),
  };
}
