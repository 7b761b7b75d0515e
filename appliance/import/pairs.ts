// Attribute/value pairs as FreeRADIUS writes them in `users` files, radcheck/radreply
// rows and clients.conf: `Attribute op value`, values bare or quoted.
import type { SourceLocation } from './problems.ts';

export const PAIR_OPERATORS = [':=', '==', '+=', '!=', '>=', '<=', '=~', '!~', '=*', '!*', '=', '>', '<'] as const;
export type PairOperator = (typeof PAIR_OPERATORS)[number];

export type AttributePair = { attribute: string; op: PairOperator; value: string };

export type LocatedPair = AttributePair & { location: SourceLocation };

export function isPairOperator(value: string): value is PairOperator {
  return (PAIR_OPERATORS as readonly string[]).includes(value);
}

/** A cursor over one line of text, with the small lexing steps the formats share. */
export type LineLexer = {
  readonly text: string;
  position: number;
  skipSpace(): void;
  atEnd(): boolean;
  peek(): string;
  /** Reads a quoted string starting at the cursor (which must be on the quote). */
  readQuoted(): string;
  /** Reads until whitespace, a comma or a comment. */
  readBare(): string;
};

export class LexError extends Error {
  override name = 'LexError';
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'" };

export function createLineLexer(text: string): LineLexer {
  const lexer: LineLexer = {
    text,
    position: 0,
    skipSpace() {
      while (lexer.position < text.length && /\s/.test(text.charAt(lexer.position))) lexer.position++;
    },
    atEnd() {
      lexer.skipSpace();
      return lexer.position >= text.length || text.charAt(lexer.position) === '#';
    },
    peek() {
      return text.charAt(lexer.position);
    },
    readQuoted() {
      const quote = text.charAt(lexer.position);
      if (quote === '`') throw new LexError('back-quoted (exec) values are not supported');
      let value = '';
      let index = lexer.position + 1;
      while (index < text.length) {
        const char = text.charAt(index);
        if (char === quote) {
          lexer.position = index + 1;
          return value;
        }
        if (char === '\\' && index + 1 < text.length) {
          const next = text.charAt(index + 1);
          value += ESCAPES[next] ?? next;
          index += 2;
          continue;
        }
        value += char;
        index++;
      }
      throw new LexError(`unterminated ${quote === '"' ? 'double' : 'single'}-quoted string`);
    },
    readBare() {
      const start = lexer.position;
      while (lexer.position < text.length && !/[\s,#]/.test(text.charAt(lexer.position))) lexer.position++;
      return text.slice(start, lexer.position);
    },
  };
  return lexer;
}

// Dictionary names with an optional RFC 2868 tag (Tunnel-Type:1). The tag is digits
// only, so "Attr:=value" still splits into name and ":=".
const ATTRIBUTE = /[A-Za-z0-9][A-Za-z0-9._-]*(?::\d{1,2})?/y;

function readOperator(lexer: LineLexer): PairOperator {
  for (const op of PAIR_OPERATORS) {
    if (lexer.text.startsWith(op, lexer.position)) {
      lexer.position += op.length;
      return op;
    }
  }
  throw new LexError(
    `expected an operator (${PAIR_OPERATORS.join(' ')}) at "${lexer.text.slice(lexer.position, lexer.position + 12)}"`,
  );
}

export function readPair(lexer: LineLexer): AttributePair {
  lexer.skipSpace();
  ATTRIBUTE.lastIndex = lexer.position;
  const match = ATTRIBUTE.exec(lexer.text);
  if (match === null)
    throw new LexError(`expected an attribute name at "${lexer.text.slice(lexer.position, lexer.position + 12)}"`);
  lexer.position += match[0].length;
  lexer.skipSpace();
  const op = readOperator(lexer);
  lexer.skipSpace();
  const quote = lexer.peek();
  const value = quote === '"' || quote === "'" || quote === '`' ? lexer.readQuoted() : lexer.readBare();
  if (value === '' && quote !== '"' && quote !== "'") throw new LexError(`missing value for ${match[0]}`);
  return { attribute: match[0], op, value };
}

/**
 * Reads "A op v, B op v, ..." to the end of the line (or a # comment). Reports whether
 * the line ended with a comma, which in a users file continues the list on the next line.
 */
export function readPairList(lexer: LineLexer): { pairs: AttributePair[]; continues: boolean } {
  const pairs: AttributePair[] = [];
  if (lexer.atEnd()) return { pairs, continues: false };
  for (;;) {
    pairs.push(readPair(lexer));
    if (lexer.atEnd()) return { pairs, continues: false };
    if (lexer.peek() !== ',')
      throw new LexError(`expected "," or end of line at "${lexer.text.slice(lexer.position, lexer.position + 12)}"`);
    lexer.position++;
    if (lexer.atEnd()) return { pairs, continues: true };
  }
}
