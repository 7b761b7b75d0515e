import type { Client } from '@libsql/client';

const windowMs = 60_000;

/**
 * Counts one login attempt from `source` in one atomic upsert: a window opens at the first
 * attempt and lasts a minute, so a burst is never split across two windows. Windows that
 * have ended are pruned whenever a new one opens, which bounds the table by the number of
 * addresses seen in the last minute.
 */
export async function countLoginAttempt(control: Client, source: string, limit: number, now: number) {
  const result = await control.execute({
    sql: `INSERT INTO login_throttle (source, window_start, attempts) VALUES (?1, ?2, 1)
          ON CONFLICT (source) DO UPDATE SET
            attempts = CASE WHEN window_start > ?2 - ?3 THEN attempts + 1 ELSE 1 END,
            window_start = CASE WHEN window_start > ?2 - ?3 THEN window_start ELSE ?2 END
          RETURNING window_start, attempts`,
    args: [source, now, windowMs],
  });
  const row = result.rows[0]!;
  const attempts = Number(row.attempts);
  const windowStart = Number(row.window_start);
  if (attempts === 1) {
    await control.execute({ sql: 'DELETE FROM login_throttle WHERE window_start <= ?', args: [now - windowMs] });
  }
  const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
  return { allowed: attempts <= limit, retryAfterSeconds };
}
