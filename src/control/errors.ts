import { SrsError } from "../lib/index.ts";

/** Thrown when a topic prefix or appliance id cannot form a valid MQTT topic (MQTT 5 §4.7: no `+`, `#` or NUL; the appliance id is one level). */
export class TopicError extends SrsError {
  readonly code = "CONTROL_BAD_TOPIC";
}

/** Rejects an event that was still queued, or was published, after the publisher was closed. */
export class PublisherClosedError extends SrsError {
  readonly code = "CONTROL_CLOSED";
}

/**
 * Rejects an event published while the broker is not connected, or whose connection ended without
 * its PUBACK and will not be resent. Nothing is kept: the outbox relay retries after the reconnect.
 */
export class PublisherOfflineError extends SrsError {
  readonly code = "CONTROL_OFFLINE";
}

/**
 * Rejects an event the broker refused: the PUBACK carried an MQTT 5 reason code ≥ 0x80
 * (MQTT 5 §3.4.2.1, e.g. 0x87 Not authorized by the broker's ACL). The publisher does not retry
 * it; the outbox relay decides from the code ({@link PublishRejectedError.reasonCode}).
 */
export class PublishRejectedError extends SrsError {
  readonly code = "CONTROL_PUBLISH_REJECTED";

  constructor(
    message: string,
    /** MQTT 5 PUBACK reason code (MQTT 5 §3.4.2.1). */
    readonly reasonCode: number,
  ) {
    super(message);
  }
}

/** Thrown by `createMqttPublisher` for a broker URL that is not `mqtt:`, `mqtts:`, `ws:` or `wss:`. */
export class MqttUrlError extends SrsError {
  readonly code = "CONTROL_BAD_MQTT_URL";
}

/**
 * Stable error codes of a command reply (MQTT `cmd/<name>` and HTTP `POST /api/commands/<name>`),
 * never reworded; the HTTP status is {@link httpStatusOf}.
 *
 * | Code | HTTP | Meaning | What the caller does |
 * |---|---|---|---|
 * | `UNKNOWN_COMMAND` | 404 | No command of that name; `known` lists the commands | Fix the command name |
 * | `INVALID_ARGUMENT` | 400 | A parameter is missing, malformed or not allowed; `field` names it (`(body)` for a payload that is not a JSON object) | Fix the named field |
 * | `NO_SUCH_CALL` | 404 | No call has that `sessionId` or `correlationId` | Check the id (the call may be over and purged) |
 * | `NO_SUCH_SINK` | 404 | No sink of that name in the config | Use a configured sink name |
 * | `ALREADY_STARTED` | 409 | The sink already streams this call | Nothing (idempotent success for the caller) |
 * | `ALREADY_STOPPED` | 409 | The sink does not stream this call | Nothing |
 * | `ALREADY_PAUSED` | 409 | Recording of the call is already paused | Nothing |
 * | `NOT_PAUSED` | 409 | `resumeRecording` for a call that is not paused | Nothing |
 * | `REQUEST_PENDING` | 409 | Another request for the same call, or a config reload, is in progress | Retry shortly |
 * | `CALL_ENDING` | 409 | The call ended or is ending | Nothing: the call is over |
 * | `EXPIRED` | 408 | The command's deadline (`expiresAt` or MQTT Message Expiry) passed before it could run; it was not executed | Send it again if still wanted |
 * | `CONFIG_INVALID` | 422 | `reloadConfig`: the new config is invalid; the running config stays | Fix the config file |
 * | `DRAINING` | 503 | `testCall` while the appliance drains: it refuses new calls | Cancel the drain first (`drain {"cancel":true}`) |
 * | `NO_SIP_LISTENER` | 409 | `testCall`: no UDP or TCP SIP listener is up to call | Configure `sip.listen` with a `udp:` or `tcp:` entry |
 * | `UNAVAILABLE` | 503 | The appliance is starting or stopping (`testCall`: or its spool is above the high-water mark) | Retry later |
 * | `INTERNAL` | 500 | An unexpected failure; the message says what | Report it |
 */
export type CommandErrorCode =
  | "UNKNOWN_COMMAND"
  | "INVALID_ARGUMENT"
  | "NO_SUCH_CALL"
  | "NO_SUCH_SINK"
  | "ALREADY_STARTED"
  | "ALREADY_STOPPED"
  | "ALREADY_PAUSED"
  | "NOT_PAUSED"
  | "REQUEST_PENDING"
  | "CALL_ENDING"
  | "EXPIRED"
  | "CONFIG_INVALID"
  | "DRAINING"
  | "NO_SIP_LISTENER"
  | "UNAVAILABLE"
  | "INTERNAL";

/** Details of a {@link CommandError} besides its code and message. */
export interface CommandErrorDetails {
  /** Dotted path of the offending parameter (`limit`, `headers.X-Tenant`, `sessionId`), or `(body)`. */
  field?: string;
  /** With `UNKNOWN_COMMAND`: the command names the appliance knows. */
  known?: readonly string[];
  /** The underlying failure. */
  cause?: unknown;
}

/**
 * A command refused or failed, with a stable {@link CommandErrorCode}; rendered as the reply
 * `{ ok: false, error: { code, message, field?, known? } }` by `replyOf`.
 */
export class CommandError extends SrsError {
  /** Dotted path of the offending parameter, or `(body)`; only with `INVALID_ARGUMENT`. */
  readonly field: string | undefined;
  /** The known command names; only with `UNKNOWN_COMMAND`. */
  readonly known: string[] | undefined;

  constructor(
    /** Stable code of the refusal. */
    readonly code: CommandErrorCode,
    message: string,
    details: CommandErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.field = details.field;
    this.known = details.known ? [...details.known] : undefined;
  }
}
