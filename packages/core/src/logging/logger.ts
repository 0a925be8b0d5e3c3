import { redactSecrets, redactValue } from '../secrets/redact-secrets.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured logging; every implementation must keep secrets out of its output. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  /** Where lines go; standard error by default so standard output stays for data. */
  write?: (line: string) => void;
  level?: LogLevel;
  /** Fields added to every line, e.g. `{ service: 'loompa' }`. */
  base?: Record<string, unknown>;
}

/** A logger writing one redacted JSON object per line. */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const threshold = levelRank[options.level ?? 'info'];
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (levelRank[level] < threshold) return;
    // time, level and message come first and cannot be overwritten by a field of the same name.
    // Redacted per line: a secret registered after the logger was made must still be caught.
    const reserved = { time: new Date().toISOString(), level, message: redactSecrets(message) };
    const record = { ...reserved, ...redactValue(options.base ?? {}), ...redactValue(fields ?? {}) };
    Object.assign(record, reserved);
    write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

/** A logger that drops everything (the default for library use without a logger). */
export function createSilentLogger(): Logger {
  const ignore = () => {};
  return { debug: ignore, info: ignore, warn: ignore, error: ignore };
}
