// One group commit's work on the spool owner: give each record its key, drop the ones
// already stored (duplicate-window.ts), write the rest as one chunk with their keys and
// the NAS epochs in one transaction (record-writer.ts), and fold them into the sessions
// (session-table.ts) once the commit returned. Not yet durable: the caller waits for
// the WAL sync (wal-sync.ts) before acknowledging.
import type { Client } from '@libsql/client';
import type { Cell } from '../local-db.ts';
import type { DuplicateWindow } from './duplicate-window.ts';
import { encodeChunk } from './record-chunk.ts';
import { recordKey } from './record.ts';
import type { SpoolEntry } from './record.ts';
import type { RecordWriter } from './record-writer.ts';
import type { SessionTable } from './session-table.ts';

/** Where the record is (or already was) stored, and its idempotency key. */
export type AppendResult = { seq: number; key: string; duplicate: boolean };

/**
 * The log's newest seq, advanced by each commit (seq is contiguous and never reused),
 * and the unshipped backlog the commits add to: body bytes of the chunks not yet
 * shipped, and the receipt time of the oldest of them (0: none).
 */
export type LogHead = { lastSeq: number; unshippedBytes: number; oldestUnshippedAt: number };

export type CommitStats = {
  appended: number;
  duplicates: number;
  commits: number;
  lastBatchSize: number;
  maxBatchSize: number;
  commitMillisTotal: number;
};

const nasKey = (nasId: string, nasIp: string) => `${nasId}\u0000${nasIp}`;

export type BatchCommitter = (entries: SpoolEntry[]) => Promise<AppendResult[]>;

export async function openBatchCommitter(parts: {
  client: Client;
  writer: RecordWriter;
  duplicates: DuplicateWindow;
  sessions: SessionTable;
  head: LogHead;
  stats: CommitStats;
  /** A commit that wrote records returned (wal-sync.ts). */
  committed: () => void;
}): Promise<BatchCommitter> {
  const { writer, duplicates, sessions, head, stats } = parts;
  // Per NAS (client and nasIp): seq of its last Accounting-On/Off record, part of Start keys (record.ts).
  const nasEpochs = new Map<string, number>();
  for (const row of (await parts.client.execute('SELECT nas_id, nas_ip, epoch FROM nas_epochs')).rows) {
    nasEpochs.set(nasKey(String(row.nas_id), String(row.nas_ip)), Number(row.epoch));
  }

  return async (entries) => {
    const started = performance.now();
    // In arrival order: an Accounting-On early in the batch changes the keys of the
    // Starts after it, and only a stored (not duplicate) On does.
    const epochs = new Map<string, [nasId: string, nasIp: string, epoch: number]>();
    const batchKeys = new Map<string, number>();
    const fresh: SpoolEntry[] = [];
    const results: AppendResult[] = [];
    let nextSeq = head.lastSeq + 1;
    for (const entry of entries) {
      const nas = nasKey(entry.nasId, entry.nasIp);
      if (entry.key === '') entry.key = recordKey(entry, epochs.get(nas)?.[2] ?? nasEpochs.get(nas) ?? 0);
      let original = batchKeys.get(entry.key) ?? duplicates.find(entry.key);
      if (original === undefined && duplicates.needsDiskProbe(entry)) original = await duplicates.probeDisk(entry);
      if (original !== undefined) {
        results.push({ seq: original, key: entry.key, duplicate: true });
        continue;
      }
      const seq = nextSeq++;
      batchKeys.set(entry.key, seq);
      fresh.push(entry);
      results.push({ seq, key: entry.key, duplicate: false });
      if (entry.kind === 'on' || entry.kind === 'off') epochs.set(nas, [entry.nasId, entry.nasIp, seq]);
    }

    const firstSeq = head.lastSeq + 1;
    const overlay = sessions.fold(
      fresh,
      fresh.map((_, index) => firstSeq + index),
    );
    if (fresh.length > 0) {
      let receivedAt = 0;
      for (const entry of fresh) receivedAt = Math.max(receivedAt, entry.receivedAt);
      const body = encodeChunk(fresh);
      writer.write(
        { firstSeq, count: fresh.length, receivedAt, body },
        fresh.map((entry, index): Cell[] => [entry.eventAt, entry.key, firstSeq + index]),
        [...epochs.values()],
      );
      parts.committed();
      // What octet_length(body) will say (prune.ts subtracts that).
      head.unshippedBytes += Buffer.byteLength(body);
      if (head.oldestUnshippedAt === 0) head.oldestUnshippedAt = receivedAt;
    }

    for (const [index, entry] of fresh.entries()) duplicates.remember(entry.key, firstSeq + index, entry.eventAt);
    head.lastSeq += fresh.length;
    for (const [nas, [, , epoch]] of epochs) nasEpochs.set(nas, epoch);
    sessions.apply(overlay, firstSeq);

    stats.commits++;
    stats.commitMillisTotal += performance.now() - started;
    stats.lastBatchSize = entries.length;
    stats.maxBatchSize = Math.max(stats.maxBatchSize, entries.length);
    stats.appended += fresh.length;
    stats.duplicates += entries.length - fresh.length;
    return results;
  };
}
