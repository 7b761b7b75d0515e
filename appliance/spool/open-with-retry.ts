// Opening spool.db on the owner thread without ever taking authentication down with it
// (issue 12, defect 3). Authentication needs only the replica; accounting needs the
// spool. When spool.db cannot be opened the owner keeps running without it: every
// request on its ports fails at once (accounting is then not answered, so the NAS
// retransmits, RFC 2866 §2; Simultaneous-Use follows sessions.simultaneousUseFailOpen),
// /health names the reason, and the open is retried with back-off.
//
// Reasons, from the SQLite result code (https://sqlite.org/rescode.html):
// - corrupt (SQLITE_CORRUPT, SQLITE_NOTADB): the file and its -wal/-shm are renamed to
//   spool.corrupt-<UTC time>.db(-wal/-shm), never deleted (the records in it were
//   acknowledged to a NAS and may be recoverable with sqlite3 .recover), and a fresh
//   spool is made at once;
// - newer_schema (SpoolVersionError): written by a newer appliance; left alone;
// - disk_full (SQLITE_FULL, ENOSPC);
// - io_error: anything else (permissions, read-only file system, I/O errors).
// Only corrupt changes anything on disk; the others wait for the operator.
// - replaced (SpoolReplacedError, only while open): spool.db or its WAL was deleted or
//   replaced under the open spool (wal-sync-thread.ts); the path is opened again.
//
// The same holds once the spool is open: database work that fails as corrupt or with
// an I/O error (brokenWhileOpen) means the file can no longer be trusted, so the spool
// is taken out of service at once (requests fail; nothing more is acknowledged),
// closed, a corrupt file moved aside, and opened again as above. Any other failure
// (a full disk, a busy lock) fails only that commit.
import { existsSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../log.ts';
import { SpoolReplacedError } from './durable-waiter.ts';
import { SpoolVersionError } from './schema.ts';
import type { Spool } from './spool.ts';

export type SpoolDownReason = 'corrupt' | 'newer_schema' | 'disk_full' | 'io_error' | 'replaced';

/** What the owner knows about spool.db; posted to the main thread for /health. */
export type SpoolOpenState = {
  state: 'open' | 'down';
  /** When the current state began (ms since the epoch). */
  since: number;
  /** Opens tried since the owner thread started. */
  attempts: number;
  /** Down: why, the error's text, and when the next open is tried. */
  reason: SpoolDownReason | null;
  error: string | null;
  retryAt: number | null;
  /** Where the last corrupt file was moved (this owner), or null. */
  movedAside: string | null;
};

// Back-off between opens: 1 s, doubling, at most 30 s (the owner thread's own restart
// policy caps at the same).
const RETRY_INITIAL_MS = 1_000;
const RETRY_MAX_MS = 30_000;
const SIDE_FILES = ['', '-wal', '-shm'] as const;

export function classifyOpenError(error: unknown): SpoolDownReason {
  if (error instanceof SpoolVersionError) return 'newer_schema';
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'disk_full';
  return 'io_error';
}

/** Why an open spool must be closed and opened again, or null if the error is not about the file. */
export function brokenWhileOpen(error: unknown): SpoolDownReason | null {
  if (error instanceof SpoolReplacedError) return 'replaced';
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_READONLY_DBMOVED') return 'io_error';
  return null;
}

/** `2025-12-08T00:04:04.123Z` → `20251208T000404Z`. */
function stamp(at: number): string {
  return new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Renames `path` (and its -wal, -shm) to spool.corrupt-<time>.db…; returns the new path. */
export function moveAside(path: string, at: number): string {
  const stem = basename(path).replace(/\.db$/, '');
  let target = join(dirname(path), `${stem}.corrupt-${stamp(at)}.db`);
  for (let n = 2; SIDE_FILES.some((suffix) => existsSync(target + suffix)); n++) {
    target = join(dirname(path), `${stem}.corrupt-${stamp(at)}-${n}.db`);
  }
  // The -wal first: a fresh spool.db must never meet the old file's WAL.
  for (const suffix of [...SIDE_FILES].reverse()) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  return target;
}

export type SpoolOpener = {
  /** The open spool, or null while it is down. */
  current(): Spool | null;
  state(): SpoolOpenState;
  /** Stops retrying; resolves once no open is in flight (a spool opened meanwhile is closed). */
  stop(): Promise<void>;
};

/**
 * Tries `open()` now and, until it succeeds, again after each back-off. Resolves after
 * the first attempt (and, for a corrupt file, the attempt on the fresh one), whatever
 * its outcome: the owner serves its ports either way.
 */
export async function openWithRetry(options: {
  path: string;
  /** Opens the spool; `onError` must receive every failure of its database work (SpoolOptions.onError). */
  open: (onError: (error: unknown) => void) => Promise<Spool>;
  log: Logger;
  /** Every change of state (the owner posts it to the main thread). */
  onState: (state: SpoolOpenState) => void;
  /** The spool is open; returns what stops the owner's jobs on it (called when it breaks). */
  onOpen: (spool: Spool) => () => void;
  now?: () => number;
}): Promise<SpoolOpener> {
  const now = options.now ?? Date.now;
  const log = options.log.child({ component: 'spool-open', path: options.path });
  let spool: Spool | null = null;
  let stopJobs: () => void = () => undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  let failures = 0;
  let state: SpoolOpenState = {
    state: 'down',
    since: now(),
    attempts: 0,
    reason: null,
    error: null,
    retryAt: null,
    movedAside: null,
  };

  const setState = (next: Partial<SpoolOpenState>) => {
    state = { ...state, ...next };
    options.onState(state);
  };

  // `fresh`: the file was just moved aside, so what failed now is a spool made from
  // nothing; moving that aside too would loop.
  const attempt = async (fresh = false): Promise<void> => {
    timer = null;
    state = { ...state, attempts: state.attempts + 1 };
    try {
      let instance: Spool | null = null;
      const opened = await options.open((error) => {
        if (instance !== null) broken(instance, error);
      });
      instance = opened;
      if (stopped) {
        await opened.close();
        return;
      }
      spool = opened;
      if (state.reason !== null) {
        const downForMs = now() - state.since;
        log.info('spool open again: accounting is answered', { downForMs, attempts: state.attempts });
      }
      setState({ state: 'open', since: now(), reason: null, error: null, retryAt: null });
      stopJobs = options.onOpen(opened);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return recover(classifyOpenError(error), message, fresh);
    }
  };

  const recover = (reason: SpoolDownReason, message: string, fresh: boolean): Promise<void> | void => {
    if (reason === 'corrupt' && !fresh && !stopped) {
      let movedAside: string;
      try {
        movedAside = moveAside(options.path, now());
      } catch (renameError) {
        return fail('io_error', `corrupt, and cannot be moved aside: ${(renameError as Error).message}`);
      }
      log.error('spool.db is corrupt: moved aside (not deleted); making a fresh spool', {
        error: message,
        movedAside,
      });
      state = { ...state, movedAside };
      return attempt(true);
    }
    return fail(reason, message);
  };

  // The open spool's database work failed. Corrupt or an I/O error: out of service at
  // once (current() is null, so every request fails and nothing more is acknowledged),
  // closed (what was queued commits if it can: it stays in the file, moved aside or
  // not), then handled as a failed open. Anything else fails only its own commit.
  const broken = (instance: Spool, error: unknown) => {
    const reason = brokenWhileOpen(error);
    if (reason === null || spool !== instance || stopped) return;
    spool = null;
    stopJobs();
    stopJobs = () => undefined;
    failures = 0;
    const message = error instanceof Error ? error.message : String(error);
    log.error('spool.db failed while open: closing it, accounting is not answered until it is open again', {
      reason,
      error: message,
    });
    setState({ state: 'down', since: now(), reason, error: message, retryAt: null });
    inFlight = (async () => {
      await instance
        .close()
        .catch((closeError: unknown) => log.warn('closing the failed spool', { error: closeError }));
      await recover(reason, message, false);
    })();
  };

  const fail = (reason: SpoolDownReason, message: string) => {
    if (stopped) return;
    const delayMs = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** failures);
    failures++;
    const changed = state.reason !== reason || state.error !== message;
    // One line per change of reason: a retry that fails the same way is not news.
    if (changed) {
      log.error('spool unavailable: authentication continues, accounting is not answered', {
        reason,
        error: message,
        retryInMs: delayMs,
      });
    }
    const since = state.reason === null ? now() : state.since;
    setState({ state: 'down', since, reason, error: message, retryAt: now() + delayMs });
    timer = setTimeout(() => {
      inFlight = attempt();
    }, delayMs);
  };

  inFlight = attempt();
  await inFlight;
  return {
    current: () => spool,
    state: () => state,
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await inFlight;
    },
  };
}
