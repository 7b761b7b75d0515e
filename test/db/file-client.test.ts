import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, LibsqlBatchError, LibsqlError, type Client } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileClient } from '../../db/drivers/file-client.ts';

// The file client must answer as @libsql/client's own file client does: drizzle and the
// services read rows by position and by name, and map errors by code.
describe('file client with kept statements', () => {
  let dir: string;
  let ours: Client;
  let theirs: Client;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'file-client-'));
    ours = createFileClient(join(dir, 'a.db'), { timeoutMs: 1_000 });
    theirs = createClient({ url: `file:${join(dir, 'b.db')}`, concurrency: 1 });
    for (const client of [ours, theirs]) {
      await client.executeMultiple(
        'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, blob BLOB, big INTEGER, n REAL);',
      );
    }
  });
  afterEach(() => {
    ours.close();
    theirs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const both = async <T>(work: (client: Client) => Promise<T>) => [await work(ours), await work(theirs)] as const;

  it('returns the same rows, columns, counts and values as @libsql/client', async () => {
    const inserts = await both((c) =>
      c.execute({
        sql: 'INSERT INTO t (name, blob, big, n) VALUES (?, ?, ?, ?)',
        args: ['a', new Uint8Array([1, 2, 3]).buffer, 2 ** 40, 1.5],
      }),
    );
    expect(inserts[0].rowsAffected).toBe(1);
    expect(inserts[0].lastInsertRowid).toBe(inserts[1].lastInsertRowid);
    await both((c) =>
      c.execute({ sql: 'INSERT INTO t (name, big) VALUES (:name, :big)', args: { name: 'b', big: true } }),
    );
    const [mine, reference] = await both((c) =>
      c.execute('SELECT id, name, blob, big, n, name AS id FROM t ORDER BY id'),
    );
    expect(mine.columns).toEqual(reference.columns);
    expect(mine.rows.length).toBe(2);
    for (const [i, row] of mine.rows.entries()) {
      const other = reference.rows[i]!;
      expect(Array.prototype.slice.call(row)).toEqual(Array.prototype.slice.call(other));
      expect(Object.keys(row)).toEqual(Object.keys(other));
      expect(JSON.stringify(row)).toBe(JSON.stringify(other));
      expect(row.length).toBe(other.length);
      // A repeated column name keeps its first value by name, each value by position.
      expect(row.id).toBe(other.id);
      expect(row[5]).toBe(other[5]);
    }
    expect(new Uint8Array(mine.rows[0]!.blob as ArrayBuffer).slice(0, 3)).toEqual(new Uint8Array([1, 2, 3]));
    expect(mine.rows[1]!.big).toBe(1);
  });

  it('reuses a statement across calls and sees schema changes', async () => {
    await ours.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['x'] });
    expect((await ours.execute('SELECT * FROM t')).columns).toEqual(['id', 'name', 'blob', 'big', 'n']);
    await ours.executeMultiple('ALTER TABLE t ADD COLUMN extra TEXT;');
    expect((await ours.execute('SELECT * FROM t')).columns).toEqual(['id', 'name', 'blob', 'big', 'n', 'extra']);
  });

  it('refuses integers beyond 2^53 as @libsql/client does', async () => {
    await both((c) => c.execute({ sql: 'INSERT INTO t (name, big) VALUES (?, ?)', args: ['huge', 2n ** 60n] }));
    await expect(ours.execute('SELECT big FROM t')).rejects.toThrow(RangeError);
    await expect(theirs.execute('SELECT big FROM t')).rejects.toThrow(RangeError);
  });

  it('maps constraint errors to the same codes', async () => {
    await both((c) => c.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['dup'] }));
    const errors = await both((c) =>
      c.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['dup'] }).catch((e: unknown) => e),
    );
    for (const error of errors) expect(error).toBeInstanceOf(LibsqlError);
    const [mine, reference] = errors as [LibsqlError, LibsqlError];
    expect([mine.code, mine.extendedCode, mine.rawCode]).toEqual([
      reference.code,
      reference.extendedCode,
      reference.rawCode,
    ]);
  });

  it('rolls a failed batch back and names the statement that failed', async () => {
    const error = await ours
      .batch(
        [
          { sql: 'INSERT INTO t (name) VALUES (?)', args: ['one'] },
          { sql: 'INSERT INTO t (name) VALUES (?)', args: ['one'] },
        ],
        'write',
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibsqlBatchError);
    expect((error as LibsqlBatchError).statementIndex).toBe(1);
    expect((await ours.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(0);
  });

  it('commits and rolls back interactive transactions, and refuses use after either', async () => {
    const committed = await ours.transaction('write');
    await committed.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['kept'] });
    await committed.commit();
    expect(committed.closed).toBe(true);
    await expect(committed.execute('SELECT 1')).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
    const rolledBack = await ours.transaction('write');
    await rolledBack.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['dropped'] });
    await rolledBack.rollback();
    const closedUnsettled = await ours.transaction('write');
    await closedUnsettled.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['also dropped'] });
    closedUnsettled.close();
    expect((await ours.execute('SELECT name FROM t')).rows.map((r) => r.name)).toEqual(['kept']);
  });

  it('refuses work once closed', async () => {
    ours.close();
    expect(ours.closed).toBe(true);
    await expect(ours.execute('SELECT 1')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });
});
