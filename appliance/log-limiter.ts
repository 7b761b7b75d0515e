// A log line that could repeat for every request (the spool unavailable under
// accounting load would otherwise write thousands of lines a second): the first
// occurrence is logged at once, later ones within `intervalMs` are only counted, and
// the count goes out with the next line as `suppressed`.
import type { LogFields, Logger } from './log.ts';

export type LimitedLog = (message: string, fields?: LogFields) => void;

export function limitedLog(
  log: Logger,
  level: 'info' | 'warn' | 'error',
  intervalMs: number,
  now: () => number = Date.now,
): LimitedLog {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (message, fields) => {
    const at = now();
    const entry = last.get(message);
    if (entry !== undefined && at - entry.at < intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    last.set(message, { at, suppressed: 0 });
    log[level](message, suppressed > 0 ? { ...fields, suppressed } : fields);
  };
}
