import { LibsqlBatchError, LibsqlError } from '@libsql/client';
import type {
  Client,
  InArgs,
  InStatement,
  InValue,
  ResultSet,
  Row,
  Transaction,
  TransactionMode,
  Value,
} from '@libsql/client';
import Database from 'libsql';

/**
 * A `Client` for one local libSQL file on one connection, with its prepared statements
 * kept. @libsql/client's file client prepares every statement again on each call and asks
 * it for its columns twice: for the edge's hot reads that was a sixth of a request's CPU
 * (one statement of a subscriber's detail takes longer to prepare than to run). Results
 * are what @libsql/client returns (intMode "number": integers beyond 2^53 are a
 * RangeError, blobs are ArrayBuffers; rows index by position and by name), so drizzle and
 * the services see no difference. Not safe for concurrent use on its own: the file driver
 * wraps it in serializeClient.
 */
export function createFileClient(path: string, options: { timeoutMs: number }): Client {
  let db = new Database(path, { timeout: options.timeoutMs });
  let statements = new StatementCache(db);
  let closed = false;

  const checkOpen = () => {
    if (closed) throw new LibsqlError('The client is closed', 'CLIENT_CLOSED');
  };
  const execute = (stmt: InStatement | string, args?: InArgs) => {
    checkOpen();
    return run(statements, typeof stmt === 'string' ? { sql: stmt, args: args ?? [] } : stmt);
  };
  // Statements a batch or transaction runs in one transaction; a failure names its index.
  const runAll = (stmts: readonly (InStatement | [string, InArgs?])[]) =>
    stmts.map((stmt, index) => {
      if (!db.inTransaction)
        throw new LibsqlBatchError('The transaction has been rolled back', index, 'TRANSACTION_CLOSED');
      try {
        return run(statements, Array.isArray(stmt) ? { sql: stmt[0], args: stmt[1] ?? [] } : stmt);
      } catch (error) {
        if (error instanceof LibsqlError && !(error instanceof LibsqlBatchError)) {
          throw new LibsqlBatchError(
            error.message,
            index,
            error.code,
            error.extendedCode,
            error.rawCode,
            error.cause instanceof Error ? error.cause : undefined,
          );
        }
        throw error;
      }
    });
  const rollbackIfOpen = () => {
    if (db.open && db.inTransaction) run(statements, { sql: 'ROLLBACK', args: [] });
  };
  const inTransaction = <T>(mode: TransactionMode, work: () => T): T => {
    run(statements, { sql: beginOf(mode), args: [] });
    try {
      const result = work();
      run(statements, { sql: 'COMMIT', args: [] });
      return result;
    } finally {
      rollbackIfOpen();
    }
  };
  // Schema changes make cached column lists stale: start the cache afresh after them.
  const changeSchema = (sql: string) => {
    try {
      db.exec(sql);
    } catch (error) {
      throw asLibsqlError(error);
    } finally {
      statements = new StatementCache(db);
    }
  };

  return {
    execute: (async (stmt: InStatement | string, args?: InArgs) => execute(stmt, args)) as Client['execute'],
    async batch(stmts, mode = 'deferred') {
      checkOpen();
      return inTransaction(mode, () => runAll(stmts));
    },
    async migrate(stmts) {
      checkOpen();
      run(statements, { sql: 'PRAGMA foreign_keys=off', args: [] });
      try {
        return inTransaction('deferred', () => runAll(stmts));
      } finally {
        statements = new StatementCache(db);
        run(statements, { sql: 'PRAGMA foreign_keys=on', args: [] });
      }
    },
    async executeMultiple(sql) {
      checkOpen();
      changeSchema(sql);
    },
    async transaction(mode: TransactionMode = 'write') {
      checkOpen();
      run(statements, { sql: beginOf(mode), args: [] });
      let settled = false;
      const live = () => {
        if (settled || !db.open || !db.inTransaction)
          throw new LibsqlError('The transaction is closed', 'TRANSACTION_CLOSED');
      };
      const tx: Transaction = {
        execute: (async (stmt: InStatement | string, args?: InArgs) => {
          live();
          return execute(stmt, args);
        }) as Transaction['execute'],
        async batch(stmts) {
          live();
          return runAll(stmts);
        },
        async executeMultiple(sql) {
          live();
          changeSchema(sql);
        },
        async rollback() {
          if (settled) return;
          settled = true;
          rollbackIfOpen();
        },
        async commit() {
          live();
          settled = true;
          try {
            run(statements, { sql: 'COMMIT', args: [] });
          } finally {
            rollbackIfOpen();
          }
        },
        close() {
          if (settled) return;
          settled = true;
          rollbackIfOpen();
        },
        get closed() {
          return settled || !db.open || !db.inTransaction;
        },
      };
      return tx;
    },
    async sync() {
      return undefined;
    },
    close() {
      closed = true;
      if (db.open) db.close();
    },
    async reconnect() {
      if (db.open) db.close();
      db = new Database(path, { timeout: options.timeoutMs });
      statements = new StatementCache(db);
      closed = false;
    },
    get closed() {
      return closed;
    },
    protocol: 'file',
  };
}

const beginOf = (mode: TransactionMode) => {
  if (mode === 'write') return 'BEGIN IMMEDIATE';
  if (mode === 'read') return 'BEGIN TRANSACTION READONLY';
  if (mode === 'deferred') return 'BEGIN DEFERRED';
  throw new RangeError('Unknown transaction mode, supported values are "write", "read" and "deferred"');
};

type Prepared = {
  statement: Database.Statement;
  /** Null for statements that return no rows. */
  columns: string[] | null;
  columnTypes: string[];
  /** Builds a row: positions and first-seen column names, as @libsql/client's rows. */
  makeRow: ((values: unknown[]) => Row) | null;
};

/** Prepared statements by SQL text, least recently used dropped past `max`. */
class StatementCache {
  readonly #db: Database.Database;
  readonly #byText = new Map<string, Prepared>();
  constructor(db: Database.Database) {
    this.#db = db;
  }
  get(sql: string): Prepared {
    let prepared = this.#byText.get(sql);
    if (prepared) {
      this.#byText.delete(sql);
    } else {
      const statement = this.#db.prepare(sql).safeIntegers(true);
      let reader = true;
      try {
        statement.raw(true);
      } catch {
        reader = false; // raw() refuses statements that return no data
      }
      const described = reader ? statement.columns() : [];
      const columns = reader ? described.map((c) => c.name) : null;
      prepared = {
        statement,
        columns,
        columnTypes: described.map((c) => c.type ?? ''),
        makeRow: columns && rowMaker(columns),
      };
    }
    this.#byText.set(sql, prepared);
    if (this.#byText.size > maxStatements) this.#byText.delete(this.#byText.keys().next().value!);
    return prepared;
  }
}
// Enough for every distinct statement the edge builds; drizzle's SQL text varies only by
// the shape of a query, not its values.
const maxStatements = 2_000;

const valuesOf = Symbol('values');

/**
 * A row class per statement: names are own enumerable fields (what JSON, spreading and
 * Object.keys see), positions and `length` are getters on the prototype, so building a row
 * defines no properties one by one.
 */
function rowMaker(columns: string[]): (values: unknown[]) => Row {
  const named: [string, number][] = [];
  const seen = new Set<string>();
  columns.forEach((name, index) => {
    if (!seen.has(name)) named.push([name, index]);
    seen.add(name);
  });
  const proto: object = Object.create(Object.prototype, { length: { value: columns.length } });
  columns.forEach((_, index) => {
    Object.defineProperty(proto, index, {
      get(this: { [valuesOf]: unknown[] }) {
        return this[valuesOf][index];
      },
    });
  });
  return (values) => {
    const row = Object.create(proto, { [valuesOf]: { value: values } }) as Record<string, unknown>;
    for (const [name, index] of named) row[name] = values[index];
    return row as Row;
  };
}

function run(cache: StatementCache, stmt: InStatement): ResultSet {
  const sql = typeof stmt === 'string' ? stmt : stmt.sql;
  const args = typeof stmt === 'string' ? [] : argsToSql(stmt.args);
  try {
    const prepared = cache.get(sql);
    if (prepared.makeRow) {
      const raw = prepared.statement.all(args) as unknown[][];
      const rows = raw.map((values) => {
        for (let i = 0; i < values.length; i++) values[i] = valueFromSql(values[i]);
        return prepared.makeRow!(values);
      });
      return resultSet(prepared.columns!, prepared.columnTypes, rows, 0, undefined);
    }
    const info = prepared.statement.run(args);
    return resultSet([], [], [], info.changes, BigInt(info.lastInsertRowid));
  } catch (error) {
    throw asLibsqlError(error);
  }
}

const resultSet = (
  columns: string[],
  columnTypes: string[],
  rows: Row[],
  rowsAffected: number,
  lastInsertRowid: bigint | undefined,
): ResultSet => ({
  columns,
  columnTypes,
  rows,
  rowsAffected,
  lastInsertRowid,
  toJSON: () => ({
    columns,
    columnTypes,
    rows: rows.map((row) => Array.prototype.slice.call(row)),
    rowsAffected,
    lastInsertRowid: lastInsertRowid?.toString() ?? null,
  }),
});

function argsToSql(args: InArgs | undefined): unknown[] | Record<string, unknown> {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(valueToSql);
  const named: Record<string, unknown> = {};
  for (const name in args) {
    named[name[0] === '@' || name[0] === '$' || name[0] === ':' ? name.substring(1) : name] = valueToSql(args[name]!);
  }
  return named;
}

const minSafe = BigInt(Number.MIN_SAFE_INTEGER);
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);
const minInteger = -9223372036854775808n;
const maxInteger = 9223372036854775807n;

function valueFromSql(value: unknown): Value {
  if (typeof value === 'bigint') {
    if (value < minSafe || value > maxSafe)
      throw new RangeError('Received integer which cannot be safely represented as a JavaScript number');
    return Number(value);
  }
  if (value instanceof Buffer) return value.buffer as ArrayBuffer;
  return value as Value;
}

function valueToSql(value: InValue): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
    return value;
  }
  if (typeof value === 'bigint') {
    if (value < minInteger || value > maxInteger)
      throw new RangeError('bigint is too large to be represented as a 64-bit integer and passed as argument');
    return value;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Date) return value.valueOf();
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database');
  return value;
}

function asLibsqlError(error: unknown): unknown {
  if (error instanceof Database.SqliteError) {
    const raw = (error as { rawCode?: number }).rawCode;
    const code = raw === undefined ? 'SQLITE_UNKNOWN' : (sqliteCodes[raw & 0xff] ?? `SQLITE_UNKNOWN_${raw & 0xff}`);
    return new LibsqlError(error.message, code, error.code, raw, error);
  }
  return error;
}

const sqliteCodes: Record<number, string> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS',
  23: 'SQLITE_AUTH',
  24: 'SQLITE_FORMAT',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
  27: 'SQLITE_NOTICE',
  28: 'SQLITE_WARNING',
};
