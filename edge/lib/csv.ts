// CSV as RFC 4180 writes it: CRLF line ends, every cell quoted.

/**
 * One cell. Text that a spreadsheet would run as a formula gets a leading quote (CSV
 * injection, OWASP); numbers are written as they are, so -500 stays a number.
 */
export function csvCell(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return `"${value}"`;
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

/** One record, CRLF-terminated. */
export const csvRow = (values: readonly unknown[]): string => `${values.map(csvCell).join(',')}\r\n`;

/** A header and records: `columns` name both the header cells and the keys read from each record. */
export function toCsv<K extends string>(columns: readonly K[], records: Iterable<Readonly<Record<K, unknown>>>): string {
  let out = `${columns.join(',')}\r\n`;
  for (const record of records) out += csvRow(columns.map((column) => record[column]));
  return out;
}
