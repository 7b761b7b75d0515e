// Reads the FreeRADIUS SQL tables out of a database dump, without a database:
//   mysqldump:            INSERT INTO `radcheck` VALUES (1,'bob','Cleartext-Password',':=','x'),(...);
//   pg_dump --inserts:    INSERT INTO public.radcheck VALUES (1, 'bob', ...);
//   pg_dump --column-inserts, mysqldump --complete-insert: with a column list
//   pg_dump (default):    COPY public.radcheck (id, username, ...) FROM stdin; rows; \.
// Tables read: radcheck, radreply, radgroupcheck, radgroupreply, radusergroup, nas.
// Everything else (schema, radacct, radpostauth, ...) is skipped.
//
// String escapes differ: MySQL treats backslash as an escape inside '...', PostgreSQL
// (standard_conforming_strings, on since 9.1) does not, except in E'...'. A dump with
// backtick identifiers or /*!...*/ version comments is read as MySQL.
import type { ProblemLog, SourceLocation } from './problems.ts';
import type { ReadText } from './users-file.ts';

export type SqlValue = string | number | null;
export type SqlRow = { table: SqlTable; values: Record<string, SqlValue>; location: SourceLocation };

const SQL_TABLES = ['radcheck', 'radreply', 'radgroupcheck', 'radgroupreply', 'radusergroup', 'nas'] as const;
export type SqlTable = (typeof SQL_TABLES)[number];

function isSqlTable(name: string): name is SqlTable {
  return (SQL_TABLES as readonly string[]).includes(name);
}

// Column orders of the FreeRADIUS schemas (raddb/mods-config/sql/main/*/schema.sql),
// used when a dump has no column list; keyed by the number of values.
const DEFAULT_COLUMNS: Record<SqlTable, Record<number, string[]>> = {
  radcheck: { 5: ['id', 'username', 'attribute', 'op', 'value'], 4: ['username', 'attribute', 'op', 'value'] },
  radreply: { 5: ['id', 'username', 'attribute', 'op', 'value'], 4: ['username', 'attribute', 'op', 'value'] },
  radgroupcheck: { 5: ['id', 'groupname', 'attribute', 'op', 'value'], 4: ['groupname', 'attribute', 'op', 'value'] },
  radgroupreply: { 5: ['id', 'groupname', 'attribute', 'op', 'value'], 4: ['groupname', 'attribute', 'op', 'value'] },
  radusergroup: { 4: ['id', 'username', 'groupname', 'priority'], 3: ['username', 'groupname', 'priority'] },
  nas: {
    8: ['id', 'nasname', 'shortname', 'type', 'ports', 'secret', 'community', 'description'],
    9: ['id', 'nasname', 'shortname', 'type', 'ports', 'secret', 'server', 'community', 'description'],
    10: ['id', 'nasname', 'shortname', 'type', 'ports', 'secret', 'server', 'community', 'description', 'require_ma'],
    11: [
      'id',
      'nasname',
      'shortname',
      'type',
      'ports',
      'secret',
      'server',
      'community',
      'description',
      'require_ma',
      'limit_proxy_state',
    ],
  },
};

class SqlSyntaxError extends Error {
  override name = 'SqlSyntaxError';
}

type Scanner = {
  text: string;
  position: number;
  line: number;
  mysql: boolean;
};

function advance(scanner: Scanner, count: number): void {
  for (let index = 0; index < count; index++) {
    if (scanner.text.charCodeAt(scanner.position) === 10) scanner.line++;
    scanner.position++;
  }
}

function skipSpaceAndComments(scanner: Scanner): void {
  const { text } = scanner;
  for (;;) {
    const char = text.charAt(scanner.position);
    if (char === '') return;
    if (/\s/.test(char)) advance(scanner, 1);
    else if (text.startsWith('--', scanner.position) || (scanner.mysql && char === '#')) {
      const end = text.indexOf('\n', scanner.position);
      advance(scanner, (end === -1 ? text.length : end) - scanner.position);
    } else if (text.startsWith('/*', scanner.position)) {
      const end = text.indexOf('*/', scanner.position + 2);
      if (end === -1) throw new SqlSyntaxError('unterminated /* comment');
      advance(scanner, end + 2 - scanner.position);
    } else return;
  }
}

function readString(scanner: Scanner, backslashEscapes: boolean): string {
  const { text } = scanner;
  const startLine = scanner.line;
  advance(scanner, 1);
  let value = '';
  for (;;) {
    const char = text.charAt(scanner.position);
    if (char === '') throw new SqlSyntaxError(`unterminated string starting on line ${startLine}`);
    if (char === "'") {
      if (text.charAt(scanner.position + 1) === "'") {
        value += "'";
        advance(scanner, 2);
        continue;
      }
      advance(scanner, 1);
      return value;
    }
    if (char === '\\' && backslashEscapes) {
      const next = text.charAt(scanner.position + 1);
      const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', b: '\b', Z: '\x1a' };
      value += escapes[next] ?? next;
      advance(scanner, 2);
      continue;
    }
    value += char;
    advance(scanner, 1);
  }
}

// Skips to the end of the statement (`;` outside quotes and $tag$ bodies).
function skipStatement(scanner: Scanner): void {
  const { text } = scanner;
  for (;;) {
    skipSpaceAndComments(scanner);
    const char = text.charAt(scanner.position);
    if (char === '') return;
    if (char === ';') {
      advance(scanner, 1);
      return;
    }
    if (char === "'") readString(scanner, scanner.mysql);
    else if (char === '"' || char === '`') {
      const end = text.indexOf(char, scanner.position + 1);
      advance(scanner, (end === -1 ? text.length : end + 1) - scanner.position);
    } else if (char === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(scanner.position, scanner.position + 64));
      if (tag === null) advance(scanner, 1);
      else {
        const end = text.indexOf(tag[0], scanner.position + tag[0].length);
        advance(scanner, (end === -1 ? text.length : end + tag[0].length) - scanner.position);
      }
    } else advance(scanner, 1);
  }
}

function readKeyword(scanner: Scanner): string {
  const match = /^[A-Za-z_]+/.exec(scanner.text.slice(scanner.position, scanner.position + 32));
  return match === null ? '' : match[0].toUpperCase();
}

function expectKeyword(scanner: Scanner, keyword: string): void {
  skipSpaceAndComments(scanner);
  if (readKeyword(scanner) !== keyword) throw new SqlSyntaxError(`expected ${keyword}`);
  advance(scanner, keyword.length);
}

function readIdentifier(scanner: Scanner): string {
  skipSpaceAndComments(scanner);
  const { text } = scanner;
  const parts: string[] = [];
  for (;;) {
    const char = text.charAt(scanner.position);
    if (char === '`' || char === '"') {
      const end = text.indexOf(char, scanner.position + 1);
      if (end === -1) throw new SqlSyntaxError('unterminated quoted identifier');
      parts.push(text.slice(scanner.position + 1, end));
      advance(scanner, end + 1 - scanner.position);
    } else {
      const match = /^[A-Za-z0-9_$]+/.exec(text.slice(scanner.position, scanner.position + 128));
      if (match === null) throw new SqlSyntaxError('expected a table or column name');
      parts.push(match[0]);
      advance(scanner, match[0].length);
    }
    if (text.charAt(scanner.position) !== '.') break;
    advance(scanner, 1);
  }
  return (parts[parts.length - 1] ?? '').toLowerCase();
}

function readValue(scanner: Scanner): SqlValue {
  skipSpaceAndComments(scanner);
  const { text } = scanner;
  const char = text.charAt(scanner.position);
  let value: SqlValue;
  if (char === "'") value = readString(scanner, scanner.mysql);
  else if ((char === 'E' || char === 'e') && text.charAt(scanner.position + 1) === "'") {
    advance(scanner, 1);
    value = readString(scanner, true);
  } else {
    const match = /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|NULL|TRUE|FALSE)\b/i.exec(
      text.slice(scanner.position, scanner.position + 64),
    );
    if (match === null)
      throw new SqlSyntaxError(`unsupported value at "${text.slice(scanner.position, scanner.position + 16)}"`);
    advance(scanner, match[0].length);
    const word = match[0].toUpperCase();
    value = word === 'NULL' ? null : word === 'TRUE' ? 1 : word === 'FALSE' ? 0 : Number(match[0]);
  }
  // PostgreSQL casts ('x'::text) change nothing we read.
  skipSpaceAndComments(scanner);
  while (text.startsWith('::', scanner.position)) {
    advance(scanner, 2);
    readIdentifier(scanner);
    skipSpaceAndComments(scanner);
  }
  return value;
}

function expectChar(scanner: Scanner, char: string): void {
  skipSpaceAndComments(scanner);
  if (scanner.text.charAt(scanner.position) !== char) throw new SqlSyntaxError(`expected "${char}"`);
  advance(scanner, 1);
}

function readColumnList(scanner: Scanner): string[] | null {
  skipSpaceAndComments(scanner);
  if (scanner.text.charAt(scanner.position) !== '(') return null;
  advance(scanner, 1);
  const columns: string[] = [];
  for (;;) {
    columns.push(readIdentifier(scanner));
    skipSpaceAndComments(scanner);
    const char = scanner.text.charAt(scanner.position);
    advance(scanner, 1);
    if (char === ')') return columns;
    if (char !== ',') throw new SqlSyntaxError('expected "," or ")" in the column list');
  }
}

function rowValues(
  table: SqlTable,
  columns: string[] | null,
  values: SqlValue[],
  location: SourceLocation,
  log: ProblemLog,
): SqlRow | null {
  const names = columns ?? DEFAULT_COLUMNS[table][values.length];
  if (names === undefined || names.length !== values.length) {
    log.error(
      location,
      `${table} row has ${values.length} values and no column list this importer knows; dump with column names ` +
        `(mysqldump --complete-insert, pg_dump --column-inserts)`,
    );
    return null;
  }
  const record: Record<string, SqlValue> = {};
  names.forEach((name, index) => (record[name] = values[index] ?? null));
  return { table, values: record, location };
}

function readInsert(scanner: Scanner, file: string, log: ProblemLog, rows: SqlRow[]): void {
  advance(scanner, 'INSERT'.length);
  skipSpaceAndComments(scanner);
  if (readKeyword(scanner) === 'IGNORE') advance(scanner, 'IGNORE'.length);
  expectKeyword(scanner, 'INTO');
  const table = readIdentifier(scanner);
  const columns = readColumnList(scanner);
  expectKeyword(scanner, 'VALUES');
  for (;;) {
    skipSpaceAndComments(scanner);
    const location = { file, line: scanner.line };
    expectChar(scanner, '(');
    const values: SqlValue[] = [];
    for (;;) {
      values.push(readValue(scanner));
      skipSpaceAndComments(scanner);
      const char = scanner.text.charAt(scanner.position);
      advance(scanner, 1);
      if (char === ')') break;
      if (char !== ',') throw new SqlSyntaxError('expected "," or ")" between values');
    }
    if (isSqlTable(table)) {
      const row = rowValues(table, columns, values, location, log);
      if (row !== null) rows.push(row);
    }
    skipSpaceAndComments(scanner);
    if (scanner.text.charAt(scanner.position) !== ',') break;
    advance(scanner, 1);
  }
  // ON DUPLICATE KEY UPDATE / ON CONFLICT DO NOTHING change nothing for a fresh import.
  skipStatement(scanner);
}

const COPY_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', b: '\b', f: '\f', v: '\v', '\\': '\\' };

function readCopy(scanner: Scanner, file: string, log: ProblemLog, rows: SqlRow[]): void {
  advance(scanner, 'COPY'.length);
  const table = readIdentifier(scanner);
  const columns = readColumnList(scanner);
  expectKeyword(scanner, 'FROM');
  expectKeyword(scanner, 'STDIN');
  skipStatement(scanner);
  // Data starts on the next line and ends at a line holding "\." (COPY text format).
  const { text } = scanner;
  const newline = text.indexOf('\n', scanner.position - 1);
  advance(scanner, (newline === -1 ? text.length : newline + 1) - scanner.position);
  for (;;) {
    if (scanner.position >= text.length) throw new SqlSyntaxError(`COPY ${table} data has no terminating "\\." line`);
    const end = text.indexOf('\n', scanner.position);
    const line = text.slice(scanner.position, end === -1 ? text.length : end).replace(/\r$/, '');
    const location = { file, line: scanner.line };
    advance(scanner, (end === -1 ? text.length : end + 1) - scanner.position);
    if (line === '\\.') return;
    if (!isSqlTable(table)) continue;
    const values = line
      .split('\t')
      .map((field): SqlValue =>
        field === '\\N' ? null : field.replace(/\\(.)/g, (_, char: string) => COPY_ESCAPES[char] ?? char),
      );
    const row = rowValues(table, columns, values, location, log);
    if (row !== null) rows.push(row);
  }
}

export function parseSqlDump(path: string, readText: ReadText, log: ProblemLog): SqlRow[] {
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    log.error({ file: path, line: 0 }, `cannot read: ${(error as Error).message}`);
    return [];
  }
  const scanner: Scanner = { text, position: 0, line: 1, mysql: /`|\/\*!\d{5}/.test(text) };
  const rows: SqlRow[] = [];
  for (;;) {
    skipSpaceAndComments(scanner);
    if (scanner.position >= text.length) return rows;
    const statementLine = scanner.line;
    const keyword = readKeyword(scanner);
    try {
      if (keyword === 'INSERT') readInsert(scanner, path, log, rows);
      else if (keyword === 'COPY') readCopy(scanner, path, log, rows);
      else skipStatement(scanner);
    } catch (error) {
      if (!(error instanceof SqlSyntaxError)) throw error;
      log.error(
        { file: path, line: scanner.line },
        `${error.message} (in the statement starting on line ${statementLine})`,
      );
      skipStatement(scanner);
    }
  }
}
