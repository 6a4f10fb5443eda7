import { errorMessage } from "../lib/index.ts";
import type { CommandReply } from "./command-types.ts";
import { CommandError, type CommandErrorCode } from "./errors.ts";

const httpStatuses: Record<CommandErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNKNOWN_COMMAND: 404,
  NO_SUCH_CALL: 404,
  NO_SUCH_SINK: 404,
  ALREADY_STARTED: 409,
  ALREADY_STOPPED: 409,
  ALREADY_PAUSED: 409,
  NOT_PAUSED: 409,
  REQUEST_PENDING: 409,
  CALL_ENDING: 409,
  EXPIRED: 408,
  CONFIG_INVALID: 422,
  DRAINING: 503,
  NO_SIP_LISTENER: 409,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/**
 * The HTTP status of a refused command (RFC 9110 §15): 400 `INVALID_ARGUMENT`; 404
 * `UNKNOWN_COMMAND`, `NO_SUCH_CALL`, `NO_SUCH_SINK`; 409 `ALREADY_*`, `NOT_PAUSED`,
 * `REQUEST_PENDING`, `CALL_ENDING`, `NO_SIP_LISTENER`; 408 `EXPIRED`; 422 `CONFIG_INVALID`; 503
 * `UNAVAILABLE`, `DRAINING`;
 * 500 `INTERNAL`.
 */
export function httpStatusOf(code: CommandErrorCode): number {
  return httpStatuses[code];
}

/** A successful reply `{ ok: true, result }`. */
export function okReply(result: Record<string, unknown> = {}): CommandReply {
  return { ok: true, result };
}

/**
 * The failed reply for a thrown value: a {@link CommandError} keeps its code, message, `field` and
 * `known`; anything else becomes `INTERNAL` with its message.
 */
export function replyOf(err: unknown): CommandReply {
  if (!(err instanceof CommandError)) {
    return { ok: false, error: { code: "INTERNAL", message: errorMessage(err) } };
  }
  return {
    ok: false,
    error: {
      code: err.code,
      message: err.message,
      ...(err.field === undefined ? {} : { field: err.field }),
      ...(err.known === undefined ? {} : { known: [...err.known] }),
    },
  };
}

/**
 * The deadline of a command: the earlier of the payload's `expiresAt` and the transport's deadline
 * (MQTT Message Expiry), ms since the Unix epoch; undefined when neither is set.
 */
export function deadlineOf(
  expiresAtMs: number | undefined,
  transportDeadlineMs: number | undefined,
): number | undefined {
  if (expiresAtMs === undefined) return transportDeadlineMs;
  if (transportDeadlineMs === undefined) return expiresAtMs;
  return Math.min(expiresAtMs, transportDeadlineMs);
}

/**
 * Refuses to run a command whose deadline has passed (DESIGN.md §8: stale commands queued through an
 * outage expire, they do not execute late). A command exactly at its deadline still runs.
 * @param deadlineMs from {@link deadlineOf}, ms since the Unix epoch; undefined = no deadline.
 * @param nowMs the current wall-clock time, ms since the Unix epoch.
 * @throws CommandError `EXPIRED` ("command expired at <ISO>, <n> ms ago; not executed").
 */
export function checkDeadline(deadlineMs: number | undefined, nowMs: number): void {
  if (deadlineMs === undefined || nowMs <= deadlineMs) return;
  const ago = Math.round(nowMs - deadlineMs);
  throw new CommandError(
    "EXPIRED",
    `command expired at ${new Date(deadlineMs).toISOString()}, ${ago} ms ago; not executed`,
  );
}
