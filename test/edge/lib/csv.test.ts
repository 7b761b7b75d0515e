import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvError, csvRow, parseCsv, toCsv } from '../../../edge/lib/csv.ts';

const cells = (text: string, options?: Parameters<typeof parseCsv>[1]) => parseCsv(text, options).map((r) => r.cells);

/**
 * What the writer promises to a reader: the text, with a leading quote on formula-like text (a plain number is not).
 */
const asWritten = (value: string) =>
  /^[=+\-@\t\r]/.test(value) && !/^[+-]?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;

describe('parseCsv', () => {
  it('reads plain and quoted fields, CRLF and LF', () => {
    expect(cells('a,b,c\r\n1,2,3\n"x","y z",""\r\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
      ['x', 'y z', ''],
    ]);
  });

  it('keeps delimiters, line breaks and doubled quotes inside quoted fields', () => {
    expect(cells('"a,b","line 1\r\nline 2","say ""hi""","\n"\r\n')).toEqual([
      ['a,b', 'line 1\r\nline 2', 'say "hi"', '\n'],
    ]);
  });

  it('reports the line each record starts on, counting line breaks inside quotes', () => {
    const records = parseCsv('h1,h2\r\n"multi\r\nline\nvalue",x\r\n\r\nlast,row');
    expect(records.map((r) => r.line)).toEqual([1, 2, 6]);
    expect(records[2]!.cells).toEqual(['last', 'row']);
  });

  it('accepts a lone CR as a line end (old Mac exports)', () => {
    expect(cells('a,b\rc,d\r')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('drops a leading byte order mark, and only a leading one', () => {
    expect(cells('\uFEFFemail,name\r\nx@y.z,\uFEFFA')).toEqual([
      ['email', 'name'],
      ['x@y.z', '\uFEFFA'],
    ]);
  });

  it('keeps empty trailing cells and skips wholly empty lines', () => {
    expect(cells('a,,\n\n\n,\n')).toEqual([
      ['a', '', ''],
      ['', ''],
    ]);
    expect(cells('')).toEqual([]);
    expect(cells('\uFEFF\r\n')).toEqual([]);
  });

  it('reads semicolon- and tab-separated files when told', () => {
    expect(cells('a;"b;c"\r\n1;2', { delimiter: ';' })).toEqual([
      ['a', 'b;c'],
      ['1', '2'],
    ]);
    expect(cells('a\t"b\tc"', { delimiter: '\t' })).toEqual([['a', 'b\tc']]);
    expect(cells('a;b')).toEqual([['a;b']]);
  });

  it.each([
    ['an unterminated quote, at the line it opened', 'a,b\r\nc,"never\r\nclosed\r\n', 2, /never closed/],
    ['text after a closing quote', 'a,b\r\n"x"y,z\r\n', 2, /after a closing quote/],
    ['a quote inside an unquoted field', 'a,b\r\nc,d\r\nab"c,d\r\n', 3, /quote inside an unquoted field/],
    ['a quote error after a multi-line field', '"1\n2\n3",x\nfine\nbad"\n', 5, /quote inside an unquoted field/],
  ])('refuses %s with its line number', (_name, text, line, message) => {
    let caught: unknown;
    try {
      parseCsv(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CsvError);
    expect((caught as CsvError).line).toBe(line);
    expect((caught as CsvError).message).toMatch(message);
    expect((caught as CsvError).message).toMatch(new RegExp(`^line ${line}: `));
  });

  it('refuses more records than the limit, naming the first record over it', () => {
    expect(cells('h\n1\n2', { maxRecords: 3 })).toHaveLength(3);
    expect(() => parseCsv('h\n1\n2\n3', { maxRecords: 3 })).toThrow(
      new CsvError('more than 3 records', 4, 'too_many_records'),
    );
    expect(() => parseCsv('a"b')).toThrow(expect.objectContaining({ reason: 'malformed' }));
  });

  it('round-trips whatever the writer writes: parse(write(rows))', () => {
    const cell = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom('"', ',', '\r', '\n', ';', 'a', ' ', '=', '-', '\uFEFF', 'é', '😀') }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 8 }), (rows) => {
        const text = rows.map(csvRow).join('');
        expect(cells(text)).toEqual(rows.map((row) => row.map(asWritten)));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips a header and records written by toCsv, with numbers as text', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ name: fc.string(), n: fc.integer() }), { maxLength: 10 }), (records) => {
        const parsed = cells(toCsv(['name', 'n'], records));
        expect(parsed[0]).toEqual(['name', 'n']);
        expect(parsed.slice(1)).toEqual(records.map((r) => [asWritten(r.name), String(r.n)]));
      }),
    );
  });

  it('never throws anything but CsvError, and every record it returns has a line within the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('"', ',', '\r', '\n', 'a', ' ') }), (text) => {
        try {
          const records = parseCsv(text);
          const lines = text.split(/\r\n|\r|\n/).length;
          for (const r of records) {
            expect(r.line).toBeGreaterThanOrEqual(1);
            expect(r.line).toBeLessThanOrEqual(lines);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(CsvError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('reads back numbers, nulls and booleans as the writer renders them (a negative number is not a formula)', () => {
    expect(cells(csvRow([-5, null, true, 12n]))).toEqual([['-5', '', 'true', '12']]);
  });

  // Issue 13 D10: every E.164 phone came out as '+…, which the import then refused.
  it('writes a signed plain number as it is (an E.164 phone stays importable) and still neutralises formulas', () => {
    const plain = ['+4412345', '+15551234567', '-500', '+12.50'];
    const formulas = ['=1+2', "+1+cmd|' /C calc'!A0", '-2+3', '@SUM(A1)', '+', '+44 20 7946', '-1e3', '\t=1', '\r=1'];
    expect(cells(csvRow([...plain, ...formulas]))).toEqual([[...plain, ...formulas.map((f) => `'${f}`)]]);
  });
});
