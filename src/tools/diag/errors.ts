import { SrsError } from "../../lib/index.ts";

/**
 * Stable codes of {@link DiagError}:
 * - `DIAG_TIMEOUT`: a step or a command ran past its deadline (its child processes were killed).
 * - `DIAG_COMMAND_MISSING`: the program a step runs is not installed.
 * - `DIAG_COMMAND_FAILED`: a command exited non-zero or was killed.
 * - `DIAG_SKIPPED`: a step had nothing to do here (thrown by a step to be recorded as `skipped`).
 * - `DIAG_HTTP`: the daemon's API could not be reached or answered an error status.
 * - `DIAG_SPOOL`: the spool file could not be opened read-only or queried.
 * - `DIAG_TAR`: the bundle could not be written.
 */
export type DiagErrorCode =
  | "DIAG_TIMEOUT"
  | "DIAG_COMMAND_MISSING"
  | "DIAG_COMMAND_FAILED"
  | "DIAG_SKIPPED"
  | "DIAG_HTTP"
  | "DIAG_SPOOL"
  | "DIAG_TAR";

/** A failure while collecting a diagnostics bundle, with a stable `code` and a message for the technician. */
export class DiagError extends SrsError {
  /** Stable identifier of the failure. */
  readonly code: DiagErrorCode;

  constructor(code: DiagErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
