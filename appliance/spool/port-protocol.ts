// The spool across threads: worker threads do not open spool.db; they post records to
// the one thread that owns the spool over a MessagePort and get the result back when
// the records are durable.
//
//   any other thread                       spool owner thread (owner-main.ts)
//   connectSpool(port).append(records) ──► spool.appendCommitted(entries) (group commit)
//      {type:'append', id, cells}
//   ◄── {type:'durability', buffer}     ◄──    serveSpool(() => spool, port), before its first answer
//   ◄── {type:'appended', id, commit, …} ◄──   after COMMIT returns, before the WAL sync
//   append() resolves once the WAL syncer thread reports `commit` durable in shared
//   memory (durable-waiter.ts): the acknowledgement needs no second message from the owner.
//
// One MessageChannel per client; the owner keeps the other end. Appends made by a
// client in one turn of its event loop travel as one message. Requests are answered
// by id, so many may be outstanding at once.
//
// Records travel validated and flat: the client turns each into its SpoolEntry
// (toSpoolEntry: validation and derived fields, work taken off the one owner thread)
// and sends the fields of all of them in one array, CHUNK_FIELDS order (record-chunk.ts).
// Profiled under one NAS port's accounting load, structured clone of one object per
// record (its property names written and read per record, its map rebuilt field by
// field) was the largest single cost of the hop on both threads.
//
// When the owner thread dies, every port it served closes: the client rejects what
// was outstanding and not yet durable (not acknowledged: the NAS retransmits, the
// record key dedupes) and everything after, until reconnect() hands it a port of the
// restarted owner.
import type { MessagePort } from 'node:worker_threads';
import { CHUNK_FIELDS, entryCells, entryFromCells } from './record-chunk.ts';
import { toSpoolEntry } from './record.ts';
import type { AccountingRecord, SpoolEntry } from './record.ts';
import type { SessionRow } from './session-state.ts';
import type { AppendResult, OutboxEntry, Spool } from './spool.ts';
import { durableWaiter } from './durable-waiter.ts';
import type { DurableWaiter } from './durable-waiter.ts';

type SpoolRequest =
  // The entries' fields, CHUNK_FIELDS.length per entry (record-chunk.ts, entryCells).
  | { type: 'append'; id: number; cells: unknown[] }
  | { type: 'count-live-sessions'; id: number; username: string }
  | { type: 'list-live-sessions'; id: number; username: string }
  | { type: 'close-session'; id: number; nasId: string; sessionId: string; address: string }
  | { type: 'read-outbox'; id: number; afterSeq: number; limit: number }
  | { type: 'mark-shipped'; id: number; seq: number };

type SpoolResponse =
  // The owner's WAL sync counters; id 0, sent once per port before anything else.
  | { type: 'durability'; id: number; buffer: SharedArrayBuffer }
  // Columns, not an object per record: fewer bytes to clone on both sides. Durable
  // once the sync counter reaches `commit`.
  | { type: 'appended'; id: number; commit: number; seqs: number[]; keys: string[]; duplicates: number[] }
  | { type: 'counted'; id: number; count: number }
  | { type: 'listed'; id: number; sessions: SessionRow[] }
  | { type: 'closed-session'; id: number; closed: boolean }
  | { type: 'outbox'; id: number; entries: OutboxEntry[] }
  | { type: 'marked'; id: number }
  | { type: 'failed'; id: number; name: string; message: string };

const REQUEST_TYPES: ReadonlySet<string> = new Set([
  'append',
  'count-live-sessions',
  'list-live-sessions',
  'close-session',
  'read-outbox',
  'mark-shipped',
]);
const RESPONSE_TYPES: ReadonlySet<string> = new Set([
  'durability',
  'appended',
  'counted',
  'listed',
  'closed-session',
  'outbox',
  'marked',
  'failed',
]);

/** What any thread but the owner sees of the spool (RADIUS workers, the main thread). */
export type SpoolClient = {
  append(records: readonly AccountingRecord[]): Promise<AppendResult[]>;
  /** Open sessions of `username` that are not stale yet (Simultaneous-Use). */
  countLiveSessions(username: string): Promise<number>;
  listLiveSessions(username: string): Promise<SessionRow[]>;
  /** Disconnect-ACK received from the NAS at `address`: the session is over. */
  closeSession(nasId: string, sessionId: string, address: string): Promise<boolean>;
  /** Outbox entries after `afterSeq`, oldest first. */
  readOutbox(afterSeq: number, limit: number): Promise<OutboxEntry[]>;
  /** Everything through `seq` reached the edge. */
  markShipped(seq: number): Promise<void>;
  /** Switches to a port of a restarted owner (the old one is closed; what it had outstanding was rejected). */
  reconnect(port: MessagePort): void;
  close(): void;
};

/** A failure on the owner's side, re-raised in the worker with the owner's error name. */
export class SpoolRemoteError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function isRequest(value: unknown): value is SpoolRequest {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { type?: unknown; id?: unknown };
  return typeof candidate.id === 'number' && REQUEST_TYPES.has(String(candidate.type));
}

function isResponse(value: unknown): value is SpoolResponse {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { type?: unknown; id?: unknown };
  return typeof candidate.id === 'number' && RESPONSE_TYPES.has(String(candidate.type));
}

/**
 * Owner side: answers one worker's port with whatever spool `current()` returns; while
 * it returns null (spool.db cannot be opened, open-with-retry.ts) every request fails
 * at once with SpoolUnavailableError. Returns a function that stops serving.
 * The port is unref'd: it never keeps the owner's process alive on its own.
 */
export function serveSpool(current: () => Spool | null, port: MessagePort): () => void {
  const fail = (id: number, name: string, message: string) =>
    port.postMessage({ type: 'failed', id, name, message } satisfies SpoolResponse);
  const answer = <T>(id: number, work: Promise<T>, respond: (value: T) => SpoolResponse) =>
    work.then(
      (value) => port.postMessage(respond(value)),
      (error: unknown) =>
        error instanceof Error ? fail(id, error.name, error.message) : fail(id, 'Error', String(error)),
    );

  let sentDurability: SharedArrayBuffer | null = null;
  const onMessage = (message: unknown) => {
    if (!isRequest(message)) return;
    const { id } = message;
    const spool = current();
    if (spool === null) return fail(id, 'SpoolUnavailableError', 'spool.db cannot be opened (see /health)');
    // Before the first answer of this spool on this port (it may have opened after the
    // port was served): the client waits on these counters for every append.
    if (spool.durability !== sentDurability) {
      sentDurability = spool.durability;
      port.postMessage({ type: 'durability', id: 0, buffer: spool.durability } satisfies SpoolResponse);
    }
    switch (message.type) {
      case 'append': {
        let entries: SpoolEntry[];
        try {
          entries = entriesFromCells(message.cells);
        } catch (error) {
          return fail(id, (error as Error).name, (error as Error).message);
        }
        answer(id, spool.appendCommitted(entries), ({ results, commit }) => ({
          type: 'appended',
          id,
          commit,
          seqs: results.map((result) => result.seq),
          keys: results.map((result) => result.key),
          duplicates: results.flatMap((result, index) => (result.duplicate ? [index] : [])),
        }));
        break;
      }
      case 'count-live-sessions':
        answer(id, spool.countLiveSessions(message.username), (count) => ({ type: 'counted', id, count }));
        break;
      case 'list-live-sessions':
        answer(id, spool.listLiveSessions(message.username), (sessions) => ({ type: 'listed', id, sessions }));
        break;
      case 'close-session':
        answer(id, spool.closeSession(message.nasId, message.sessionId, message.address), (closed) => ({
          type: 'closed-session',
          id,
          closed,
        }));
        break;
      case 'read-outbox':
        answer(id, spool.readOutbox(message.afterSeq, message.limit), (entries) => ({ type: 'outbox', id, entries }));
        break;
      case 'mark-shipped':
        answer(id, spool.markShipped(message.seq), () => ({ type: 'marked', id }));
        break;
    }
  };
  port.on('message', onMessage);
  port.unref();
  return () => {
    port.off('message', onMessage);
    port.close();
  };
}

const STRIDE = CHUNK_FIELDS.length;

function entriesFromCells(cells: unknown[]): SpoolEntry[] {
  if (!Array.isArray(cells) || cells.length % STRIDE !== 0) throw new TypeError('malformed append message');
  const entries = new Array<SpoolEntry>(cells.length / STRIDE);
  for (let index = 0; index < entries.length; index++) {
    entries[index] = entryFromCells(cells, index * STRIDE, `appended record ${index}`);
  }
  return entries;
}

type Waiter = (response: SpoolResponse) => void;

function appendResults(response: Extract<SpoolResponse, { type: 'appended' }>): AppendResult[] {
  const duplicates = new Set(response.duplicates);
  return response.seqs.map((seq, index) => ({
    seq,
    key: response.keys[index] ?? '',
    duplicate: duplicates.has(index),
  }));
}

/** Client side (RADIUS workers, the main thread). */
export function connectSpool(initialPort: MessagePort): SpoolClient {
  let nextId = 1;
  const waiting = new Map<number, Waiter>();
  let closed = false;
  let port = initialPort;
  // The owner went away (its thread died) and no new port came yet.
  let disconnected = false;
  // This port's owner's WAL sync counters (its first message).
  let durable: DurableWaiter | null = null;
  // Appends committed and waiting for their sync.
  let syncing = 0;

  // The port holds the thread's event loop open only while answers are due.
  const updateRef = () => (waiting.size > 0 || syncing > 0 ? port.ref() : port.unref());

  // Everything outstanding is abandoned: those records may or may not be stored, and
  // the caller must not acknowledge them (the NAS retransmits; the record key dedupes).
  // Commits already durable are still acknowledged.
  const abandon = (name: string, message: string) => {
    for (const part of batch?.parts ?? []) part.reject(new SpoolRemoteError(name, message));
    batch = null;
    durable?.abandon(new SpoolRemoteError(name, message));
    durable = null;
    const failed: SpoolResponse = { type: 'failed', id: 0, name, message };
    const waiters = [...waiting.values()];
    waiting.clear();
    for (const waiter of waiters) waiter(failed);
  };

  const attach = (next: MessagePort) => {
    port = next;
    disconnected = false;
    next.on('message', (message: unknown) => {
      if (next !== port || !isResponse(message)) return;
      if (message.type === 'durability') {
        durable = durableWaiter(message.buffer);
        return;
      }
      const waiter = waiting.get(message.id);
      if (waiter === undefined) return;
      waiting.delete(message.id);
      updateRef();
      waiter(message);
    });
    // The other end closed: the owner thread exited (or stopped serving this port).
    next.once('close', () => {
      if (next !== port || closed) return;
      disconnected = true;
      abandon('SpoolUnavailableError', 'the spool owner went away before answering');
      next.unref();
    });
    next.unref();
  };

  const unavailable = () =>
    closed
      ? new SpoolRemoteError('SpoolClosedError', 'spool client is closed')
      : new SpoolRemoteError('SpoolUnavailableError', 'the spool owner is restarting');

  const request = <T>(build: (id: number) => SpoolRequest, settle: (response: SpoolResponse) => T): Promise<T> => {
    if (closed || disconnected) return Promise.reject(unavailable());
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, (response) => {
        if (response.type === 'failed') reject(new SpoolRemoteError(response.name, response.message));
        else {
          try {
            resolve(settle(response));
          } catch (error) {
            reject(error);
          }
        }
      });
      updateRef();
      port.postMessage(build(id));
    });
  };

  const unexpected = (response: SpoolResponse): never => {
    throw new SpoolRemoteError('SpoolProtocolError', `unexpected spool response ${response.type}`);
  };

  // Appends from one turn of the event loop share one message.
  let batch: {
    cells: unknown[];
    parts: Array<{ count: number; resolve: (results: AppendResult[]) => void; reject: (error: unknown) => void }>;
  } | null = null;

  // Committed by the owner, then durable once its WAL syncer says so in shared memory.
  const appendDurably = async (cells: unknown[]): Promise<AppendResult[]> => {
    const response = await request(
      (id) => ({ type: 'append', id, cells }),
      (reply) => (reply.type === 'appended' ? reply : unexpected(reply)),
    );
    if (durable === null)
      throw new SpoolRemoteError('SpoolProtocolError', 'no durability counters from the spool owner');
    syncing++;
    updateRef();
    try {
      await durable.wait(response.commit);
    } finally {
      syncing--;
      updateRef();
    }
    return appendResults(response);
  };

  const sendBatch = () => {
    const current = batch;
    batch = null;
    if (current === null) return;
    appendDurably(current.cells).then(
      (results) => {
        let offset = 0;
        for (const part of current.parts) {
          part.resolve(results.slice(offset, offset + part.count));
          offset += part.count;
        }
      },
      (error: unknown) => {
        for (const part of current.parts) part.reject(error);
      },
    );
  };

  attach(initialPort);

  return {
    append(records) {
      if (closed || disconnected) return Promise.reject(unavailable());
      if (records.length === 0) return Promise.resolve([]);
      let entries: SpoolEntry[];
      try {
        entries = records.map(toSpoolEntry);
      } catch (error) {
        // As the owner would have refused it: by the error's name (SpoolRecordError).
        const { name, message } = error as Error;
        return Promise.reject(new SpoolRemoteError(name, message));
      }
      return new Promise<AppendResult[]>((resolve, reject) => {
        if (batch === null) {
          batch = { cells: [], parts: [] };
          setImmediate(sendBatch);
        }
        for (const entry of entries) for (const cell of entryCells(entry)) batch.cells.push(cell);
        batch.parts.push({ count: entries.length, resolve, reject });
      });
    },
    countLiveSessions: (username) =>
      request(
        (id) => ({ type: 'count-live-sessions', id, username }),
        (response) => (response.type === 'counted' ? response.count : unexpected(response)),
      ),
    listLiveSessions: (username) =>
      request(
        (id) => ({ type: 'list-live-sessions', id, username }),
        (response) => (response.type === 'listed' ? response.sessions : unexpected(response)),
      ),
    closeSession: (nasId, sessionId, address) =>
      request(
        (id) => ({ type: 'close-session', id, nasId, sessionId, address }),
        (response) => (response.type === 'closed-session' ? response.closed : unexpected(response)),
      ),
    readOutbox: (afterSeq, limit) =>
      request(
        (id) => ({ type: 'read-outbox', id, afterSeq, limit }),
        (response) => (response.type === 'outbox' ? response.entries : unexpected(response)),
      ),
    markShipped: (seq) =>
      request(
        (id) => ({ type: 'mark-shipped', id, seq }),
        (response) => (response.type === 'marked' ? undefined : unexpected(response)),
      ),
    reconnect(next) {
      if (closed) {
        next.close();
        return;
      }
      const previous = port;
      // Answers still due on the old port will never be matched: abandon them now.
      port = next;
      abandon('SpoolUnavailableError', 'the spool owner was replaced before answering');
      previous.close();
      attach(next);
    },
    close() {
      if (closed) return;
      closed = true;
      abandon('SpoolClosedError', 'spool client closed before the answer arrived');
      port.close();
    },
  };
}
