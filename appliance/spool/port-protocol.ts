// The spool across threads: worker threads do not open spool.db; they post records to
// the one thread that owns the spool over a MessagePort and get the result back when
// the records are durable.
//
//   worker thread                          spool owner (main thread or a dedicated worker)
//   connectSpool(port).append(records) ──► serveSpool(spool, port)
//      {type:'append', id, records}            spool.append(records)  (group commit)
//   ◄── {type:'appended', id, results}  ◄──    after COMMIT (fsync) returns
//
// One MessageChannel per worker; the owner keeps the other end. Appends made by a
// worker in one turn of its event loop travel as one message. Requests are answered
// by id, so many may be outstanding at once.
import type { MessagePort } from 'node:worker_threads';
import type { AccountingRecord } from './record.ts';
import type { AppendResult, Spool } from './spool.ts';

type SpoolRequest =
  | { type: 'append'; id: number; records: AccountingRecord[] }
  | { type: 'count-live-sessions'; id: number; username: string }
  | { type: 'close-session'; id: number; nasId: string; sessionId: string };

type SpoolResponse =
  | { type: 'appended'; id: number; results: AppendResult[] }
  | { type: 'counted'; id: number; count: number }
  | { type: 'closed-session'; id: number; closed: boolean }
  | { type: 'failed'; id: number; name: string; message: string };

/** What a worker thread sees of the spool. */
export type SpoolClient = {
  append(records: readonly AccountingRecord[]): Promise<AppendResult[]>;
  countLiveSessions(username: string): Promise<number>;
  /** Disconnect-ACK received: the session is over. */
  closeSession(nasId: string, sessionId: string): Promise<boolean>;
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
  return typeof candidate.id === 'number' && (candidate.type === 'append' || candidate.type === 'count-live-sessions' || candidate.type === 'close-session');
}

function isResponse(value: unknown): value is SpoolResponse {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { type?: unknown; id?: unknown };
  return typeof candidate.id === 'number' && ['appended', 'counted', 'closed-session', 'failed'].includes(String(candidate.type));
}

/**
 * Owner side: answers one worker's port. Returns a function that stops serving.
 * The port is unref'd: it never keeps the owner's process alive on its own.
 */
export function serveSpool(spool: Spool, port: MessagePort): () => void {
  const reply = (response: SpoolResponse) => port.postMessage(response);
  const fail = (id: number, error: unknown) =>
    reply({ type: 'failed', id, name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) });

  const onMessage = (message: unknown) => {
    if (!isRequest(message)) return;
    switch (message.type) {
      case 'append':
        spool.append(message.records).then(
          (results) => reply({ type: 'appended', id: message.id, results }),
          (error: unknown) => fail(message.id, error),
        );
        break;
      case 'count-live-sessions':
        spool.countLiveSessions(message.username).then(
          (count) => reply({ type: 'counted', id: message.id, count }),
          (error: unknown) => fail(message.id, error),
        );
        break;
      case 'close-session':
        spool.closeSession(message.nasId, message.sessionId, 'disconnect').then(
          (closed) => reply({ type: 'closed-session', id: message.id, closed }),
          (error: unknown) => fail(message.id, error),
        );
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

type Waiter = (response: SpoolResponse) => void;

/** Worker side. */
export function connectSpool(port: MessagePort): SpoolClient {
  let nextId = 1;
  const waiting = new Map<number, Waiter>();
  let closed = false;

  // The port holds the worker's event loop open only while answers are due.
  const updateRef = () => (waiting.size > 0 ? port.ref() : port.unref());

  port.on('message', (message: unknown) => {
    if (!isResponse(message)) return;
    const waiter = waiting.get(message.id);
    if (waiter === undefined) return;
    waiting.delete(message.id);
    updateRef();
    waiter(message);
  });
  port.unref();

  const request = <T>(build: (id: number) => SpoolRequest, settle: (response: SpoolResponse) => T): Promise<T> => {
    if (closed) return Promise.reject(new SpoolRemoteError('SpoolClosedError', 'spool client is closed'));
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
  let batch: { records: AccountingRecord[]; parts: Array<{ count: number; resolve: (results: AppendResult[]) => void; reject: (error: unknown) => void }> } | null = null;

  const sendBatch = () => {
    const current = batch;
    batch = null;
    if (current === null || closed) return;
    request(
      (id) => ({ type: 'append', id, records: current.records }),
      (response) => (response.type === 'appended' ? response.results : unexpected(response)),
    ).then(
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

  return {
    append(records) {
      if (closed) return Promise.reject(new SpoolRemoteError('SpoolClosedError', 'spool client is closed'));
      if (records.length === 0) return Promise.resolve([]);
      return new Promise<AppendResult[]>((resolve, reject) => {
        if (batch === null) {
          batch = { records: [], parts: [] };
          setImmediate(sendBatch);
        }
        batch.records.push(...records);
        batch.parts.push({ count: records.length, resolve, reject });
      });
    },
    countLiveSessions: (username) =>
      request(
        (id) => ({ type: 'count-live-sessions', id, username }),
        (response) => (response.type === 'counted' ? response.count : unexpected(response)),
      ),
    closeSession: (nasId, sessionId) =>
      request(
        (id) => ({ type: 'close-session', id, nasId, sessionId }),
        (response) => (response.type === 'closed-session' ? response.closed : unexpected(response)),
      ),
    // Abandons whatever is in flight: those records may or may not be stored, and the
    // caller must not acknowledge them (the NAS retransmits; the record key dedupes).
    close() {
      closed = true;
      const abandoned = new SpoolRemoteError('SpoolClosedError', 'spool client closed before the answer arrived');
      for (const part of batch?.parts ?? []) part.reject(abandoned);
      batch = null;
      for (const waiter of waiting.values()) waiter({ type: 'failed', id: 0, name: abandoned.name, message: abandoned.message });
      waiting.clear();
      port.close();
    },
  };
}
