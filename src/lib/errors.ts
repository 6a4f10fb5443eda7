/**
 * Base class of every error siprec-edge throws on purpose.
 *
 * `code` is a stable, grep-able identifier (UPPER_SNAKE with a layer prefix, e.g. `SIP_PARSE`,
 * `SIPREC_BAD_METADATA`, `SPOOL_FULL`); it is never reworded, so logs, MQTT events and the status
 * page can be matched on it. Wrap lower-level failures with `{ cause }`.
 */
export abstract class SrsError extends Error {
  /** Stable identifier of the failure, e.g. `SIP_PARSE`. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Thrown when a method is called on an object that has already been closed. */
export class InvalidStateError extends SrsError {
  readonly code = "INVALID_STATE";
}

/** Returns the message of any thrown value, for log lines. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Returns the `code` of an `SrsError` (or of a Node system error), else `UNKNOWN`. */
export function errorCode(err: unknown): string {
  if (err instanceof SrsError) return err.code;
  if (err && typeof err === "object" && "code" in err && typeof err.code === "string") return err.code;
  return "UNKNOWN";
}
