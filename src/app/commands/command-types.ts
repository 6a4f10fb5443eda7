import type { Logger } from "../../lib/index.ts";

/** What a CLI command may print to, and log through. */
export interface CommandIo {
  /** Human-facing output (stdout). */
  out: (line: string) => void;
  /** Errors and warnings for humans (stderr). */
  err: (line: string) => void;
  /** JSON-lines logger for daemons (stdout). */
  logger: Logger;
}

/** A command that runs until stopped (a daemon or a server): `stop()` ends it, `done` resolves with the exit code. */
export interface RunningCommand {
  /** Resolves with the exit code once the command has finished on its own or after `stop()`. */
  done: Promise<number>;
  /** Asks the command to finish (SIGINT/SIGTERM). */
  stop(): Promise<void>;
  /** Re-reads its configuration (SIGHUP), when the command has one. */
  reload?(): Promise<void>;
}

/** Result of a CLI command: an exit code now, or a running command. */
export type CommandResult = number | RunningCommand;

/** Exit codes (sysexits-style where one fits). */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 64, Config: 78 } as const;
