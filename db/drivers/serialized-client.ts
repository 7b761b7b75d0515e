import type { Client, InArgs, InStatement, Transaction, TransactionMode } from '@libsql/client';

/**
 * A local libSQL file is driven synchronously on the calling thread. With several
 * connections in one process, a statement that meets another connection's write lock
 * waits in SQLite's busy handler while blocking the event loop, so the holder can never
 * finish: a stall until the busy timeout, then SQLITE_BUSY. Serialising every operation
 * of the process on one connection removes that; it costs nothing, since the calls were
 * never parallel. Transactions hold the turn until they commit, roll back or close.
 */
export function serializeClient(client: Client, options: { waitMs?: number; setup?: string } = {}): Client {
  const waitMs = options.waitMs ?? 30_000;
  // `setup` (per-connection PRAGMAs) takes the first turn. Its failure is not kept: a
  // connection that cannot run it cannot run the operations after it either, and those
  // report their own errors to their callers.
  let tail: Promise<void> =
    options.setup === undefined
      ? Promise.resolve()
      : client.execute(options.setup).then(
          () => undefined,
          () => undefined,
        );

  // FIFO turns. A turn that waits longer than `waitMs` fails instead of hanging, which is
  // what a transaction that calls back into the client outside itself would otherwise do.
  const takeTurn = async (): Promise<() => void> => {
    let release!: () => void;
    const previous = tail;
    tail = new Promise<void>((resolve) => (release = resolve));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`database busy for ${waitMs} ms in this process`)), waitMs);
    });
    try {
      await Promise.race([previous, timeout]);
    } catch (error) {
      void previous.then(release);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return release;
  };

  const inTurn = async <T>(work: () => Promise<T>): Promise<T> => {
    const release = await takeTurn();
    try {
      return await work();
    } finally {
      release();
    }
  };

  const wrapTransaction = (tx: Transaction, release: () => void): Transaction => {
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        release();
      }
    };
    return {
      execute: (stmt: InStatement) => tx.execute(stmt),
      batch: (stmts: InStatement[]) => tx.batch(stmts),
      executeMultiple: (sql: string) => tx.executeMultiple(sql),
      rollback: () => tx.rollback().finally(finish),
      commit: () => tx.commit().finally(finish),
      close: () => {
        tx.close();
        finish();
      },
      get closed() {
        return tx.closed;
      },
    };
  };

  return {
    execute: ((stmtOrSql: InStatement | string, args?: InArgs) =>
      inTurn(() =>
        typeof stmtOrSql === 'string' ? client.execute(stmtOrSql, args) : client.execute(stmtOrSql),
      )) as Client['execute'],
    batch: (stmts, mode) => inTurn(() => client.batch(stmts, mode)),
    migrate: (stmts) => inTurn(() => client.migrate(stmts)),
    executeMultiple: (sql) => inTurn(() => client.executeMultiple(sql)),
    transaction: async (mode?: TransactionMode) => {
      const release = await takeTurn();
      try {
        return wrapTransaction(await client.transaction(mode), release);
      } catch (error) {
        release();
        throw error;
      }
    },
    sync: () => client.sync(),
    close: () => client.close(),
    reconnect: () => client.reconnect(),
    get closed() {
      return client.closed;
    },
    get protocol() {
      return client.protocol;
    },
  };
}
