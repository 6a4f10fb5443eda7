/** Log severities, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields attached to a log line (must be JSON-serialisable). */
export type LogFields = Record<string, unknown>;

/**
 * Structured logger: one JSON object per line (journald-friendly), with `time`, `level`,
 * `component`, `msg` and the given fields. Library code logs through this, never `console`.
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ component: "sip" }`). */
  child(fields: LogFields): Logger;
  /** Whether `level` would be written (to skip building costly fields). */
  enabled(level: LogLevel): boolean;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. @default "info" */
  level?: LogLevel;
  /** Where lines go. @default a writer to stdout */
  write?: (line: string) => void;
  /** Fields on every line. */
  fields?: LogFields;
}

/** Creates a JSON-lines {@link Logger}. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = rank[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const build = (base: LogFields): Logger => {
    const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
      if (rank[level] < min) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, ...base, msg, ...fields }));
    };
    return {
      debug: (m, f) => log("debug", m, f),
      info: (m, f) => log("info", m, f),
      warn: (m, f) => log("warn", m, f),
      error: (m, f) => log("error", m, f),
      child: (fields) => build({ ...base, ...fields }),
      enabled: (level) => rank[level] >= min,
    };
  };
  return build(options.fields ?? {});
}

/** A logger that writes nothing (default for libraries and tests). */
export const silentLogger: Logger = createLogger({ level: "error", write: () => {} });
