// CSV as RFC 4180 writes it: CRLF line ends, every cell quoted.

// A signed plain number ("+4412345", an E.164 phone; "-500") is a constant to a
// spreadsheet, not a formula that can call anything, so it is written as it is and an
// export imports again (issue 13 D10).
const plainNumber = /^[+-]?\d+(\.\d+)?$/;

/**
 * One cell. Text that a spreadsheet would run as a formula gets a leading quote (CSV
 * injection, OWASP: a leading = + - @ tab or CR), unless it is a plain number; numbers
 * are written as they are, so -500 stays a number.
 */
export function csvCell(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return `"${value}"`;
  const text =
    value === null || value === undefined
      ? ''
      : typeof value === 'string'
        ? value
        : typeof value === 'boolean'
          ? String(value)
          : JSON.stringify(value);
  const safe = /^[=+\-@\t\r]/.test(text) && !plainNumber.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

/** One record, CRLF-terminated. */
export const csvRow = (values: readonly unknown[]): string => `${values.map(csvCell).join(',')}\r\n`;

/** The header record: the column names as they are (they are ours, never formulas). */
export const csvHeader = (columns: readonly string[]): string => `${columns.join(',')}\r\n`;

/** A header and records: `columns` name both the header cells and the keys read from each record. */
export function toCsv<K extends string>(
  columns: readonly K[],
  records: Iterable<Readonly<Record<K, unknown>>>,
): string {
  let out = csvHeader(columns);
  for (const record of records) out += csvRow(columns.map((column) => record[column]));
  return out;
}

// Reading, as RFC 4180 §2 describes it and spreadsheets write it in practice.

/** A malformed file: the message says what and `line` where (1-based, physical lines). */
export class CsvError extends Error {
  override name = 'CsvError';
  readonly line: number;
  /** `too_many_records` when `maxRecords` was exceeded; `malformed` otherwise. */
  readonly reason: 'malformed' | 'too_many_records';
  constructor(message: string, line: number, reason: CsvError['reason'] = 'malformed') {
    super(`line ${line}: ${message}`);
    this.line = line;
    this.reason = reason;
  }
}

/** One record and the physical line it starts on (quoted fields may span lines). */
export type CsvRecord = { line: number; cells: string[] };

export type ParseCsvOptions = {
  /** Refuse files with more records than this (the header counts as one). */
  maxRecords?: number;
  /** `,` by default; `;` and tab are what European and "text" exports use. */
  delimiter?: ',' | ';' | '\t';
};

const QUOTE = 34;
const CR = 13;
const LF = 10;

/**
 * Parses CSV text into records. Accepts CRLF, LF or CR line ends, a leading byte order
 * mark, quoted fields with embedded delimiters, line breaks and doubled quotes (§2.5–2.7).
 * Stricter than spreadsheets where leniency would silently corrupt data: a quote inside an
 * unquoted field, text after a closing quote and an unterminated quote are errors naming
 * the line. Wholly empty lines are skipped (a record with one empty cell is written `""`).
 * Cells are returned as written: no trimming, no type conversion.
 */
export function parseCsv(text: string, options: ParseCsvOptions = {}): CsvRecord[] {
  const maxRecords = options.maxRecords ?? Number.POSITIVE_INFINITY;
  const delimiter = (options.delimiter ?? ',').charCodeAt(0);
  const records: CsvRecord[] = [];
  const length = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;

  // Consumes one line end at `i` (CRLF counts once), if there is one.
  const lineEnd = (): boolean => {
    const c = text.charCodeAt(i);
    if (c === LF) {
      i++;
    } else if (c === CR) {
      i += text.charCodeAt(i + 1) === LF ? 2 : 1;
    } else {
      return false;
    }
    line++;
    return true;
  };

  while (i < length) {
    if (lineEnd()) continue; // an empty line
    const start = line;
    const cells: string[] = [];
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        const opened = line;
        let value = '';
        let from = ++i;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q === -1) throw new CsvError('a quoted field is never closed (a missing closing ")', opened);
          for (let k = i; k < q; k++) {
            const c = text.charCodeAt(k);
            if (c === LF || (c === CR && text.charCodeAt(k + 1) !== LF)) line++;
          }
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(from, q + 1);
            i = from = q + 2;
            continue;
          }
          value += text.slice(from, q);
          i = q + 1;
          break;
        }
        cells.push(value);
        const next = text.charCodeAt(i);
        if (i < length && next !== delimiter && next !== CR && next !== LF) {
          throw new CsvError(
            `unexpected ${JSON.stringify(text[i])} after a closing quote (a quote inside a quoted field must be ` +
              `doubled: "")`,
            line,
          );
        }
      } else {
        const from = i;
        while (i < length) {
          const c = text.charCodeAt(i);
          if (c === delimiter || c === CR || c === LF) break;
          if (c === QUOTE)
            throw new CsvError(
              'a quote inside an unquoted field (quote the whole field and double the quote: "")',
              line,
            );
          i++;
        }
        cells.push(text.slice(from, i));
      }
      if (i < length && text.charCodeAt(i) === delimiter) {
        i++;
        continue;
      }
      break;
    }
    if (records.length >= maxRecords) throw new CsvError(`more than ${maxRecords} records`, start, 'too_many_records');
    records.push({ line: start, cells });
    lineEnd();
  }
  return records;
}
