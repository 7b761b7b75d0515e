export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
// Field names whose values are never written, whatever the caller passes.
const secretField = /pass(word)?|secret|token|authorization|totp|api_key|cookie/i;

// Copies only when a field needs hiding: a child logger is made for every request.
const redact = (fields: LogFields): LogFields => {
  for (const key in fields) {
    if (secretField.test(key))
      return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, secretField.test(k) ? '[redacted]' : v]));
  }
  return fields;
};

/** Structured JSON logs, one object a line, with bindings carried by child loggers. */
export function createLogger(options: {
  level: LogLevel;
  write?: (line: string) => void;
  bindings?: LogFields;
}): Logger {
  const write = options.write ?? ((line: string) => console.log(line));
  const bindings = options.bindings ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (rank[level] < rank[options.level]) return;
    write(
      JSON.stringify({ time: new Date().toISOString(), level, msg, ...bindings, ...(fields ? redact(fields) : {}) }),
    );
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...redact(more) } }),
  };
}
