// Structured JSON logger for the appliance: one line per event, child loggers carry
// bindings (packet id, NAS, worker), and a redaction rule keeps secrets out of logs.
// No dependency: a line is JSON.stringify of a flat record, written by a sink.

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export type Logger = {
  readonly level: LogLevel;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  isEnabled(level: Exclude<LogLevel, 'silent'>): boolean;
  child(bindings: LogFields): Logger;
};

export type LogSink = (line: string) => void;

export type LoggerOptions = {
  level: LogLevel;
  /** Receives one JSON line without the trailing newline. Defaults to stdout. */
  sink?: LogSink;
  bindings?: LogFields;
  now?: () => number;
};

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

// Keys whose values are credentials wherever they appear (config, replica rows, packets).
// Matched against the key name, case-insensitively, at any depth.
const SECRET_KEY =
  /pass(word|wd|phrase)?|secret|token|authorization|cookie|credential|(private|encryption|api).?key|nt.?hash|chap/i;

// RADIUS attributes that carry credentials when logged as { name, value } pairs
// (RFC 2865 §5.2 User-Password, §5.3 CHAP-Password; RFC 2868 Tunnel-Password;
// RFC 2548 MS-CHAP responses and MPPE keys).
const SECRET_ATTRIBUTE = /password|chap|mppe|secret/i;

const REDACTED = '[redacted]';
const MAX_DEPTH = 6;

/** Returns a copy of `value` with every credential replaced by "[redacted]". */
export function redactValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value;
  }
  if (depth >= MAX_DEPTH) return '[depth]';
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack, ...redactRecord(value, depth) };
  }
  // Raw bytes may be packets with encrypted passwords in them; say how many, not what.
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (value instanceof ArrayBuffer) return `<${value.byteLength} bytes>`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (value instanceof Map) return redactValue(Object.fromEntries(value), depth);
  if (value instanceof Set) return redactValue([...value], depth);
  return redactRecord(value, depth);
}

function redactRecord(value: object, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  const attributeName = typeof record.name === 'string' ? record.name : undefined;
  const isSecretAttribute = attributeName !== undefined && SECRET_ATTRIBUTE.test(attributeName);
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (SECRET_KEY.test(key) || (isSecretAttribute && key === 'value')) {
      out[key] = item === undefined || item === null ? item : REDACTED;
    } else {
      out[key] = redactValue(item, depth + 1);
    }
  }
  return out;
}

function writeStdout(line: string): void {
  process.stdout.write(line + '\n');
}

export function createLogger(options: LoggerOptions): Logger {
  const sink = options.sink ?? writeStdout;
  const now = options.now ?? Date.now;
  return buildLogger(options.level, sink, now, redactRecord(options.bindings ?? {}, 0));
}

function buildLogger(level: LogLevel, sink: LogSink, now: () => number, bindings: Record<string, unknown>): Logger {
  const threshold = SEVERITY[level];

  const emit = (entryLevel: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields) => {
    if (SEVERITY[entryLevel] < threshold) return;
    const entry: Record<string, unknown> = {
      time: new Date(now()).toISOString(),
      level: entryLevel,
      msg: message,
      ...bindings,
    };
    if (fields !== undefined) Object.assign(entry, redactRecord(fields, 0));
    sink(safeStringify(entry));
  };

  return {
    level,
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    isEnabled: (candidate) => SEVERITY[candidate] >= threshold,
    child: (childBindings) => buildLogger(level, sink, now, { ...bindings, ...redactRecord(childBindings, 0) }),
  };
}

// A log call must never throw: a cycle or an exotic value degrades to a marker.
function safeStringify(entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(entry);
  } catch {
    return JSON.stringify({ time: entry.time, level: entry.level, msg: entry.msg, logError: 'unserializable fields' });
  }
}

/** A logger that discards everything (tests, tools that print their own output). */
export function createSilentLogger(): Logger {
  return createLogger({ level: 'silent', sink: () => undefined });
}
