import type * as z from "zod";
import { commandSchemas, headerNameHint, headerValueHint, parameterHints } from "./command-schema.ts";
import type { ParsedCommand } from "./command-types.ts";
import { CommandError } from "./errors.ts";

/** Every command the appliance serves, on MQTT `cmd/<name>` and HTTP `POST /api/commands/<name>`. */
export const commandNames = [
  "startStream",
  "stopStream",
  "startSIPRecForward",
  "stopSIPRecForward",
  "pauseRecording",
  "resumeRecording",
  "getStatus",
  "listCalls",
  "reloadConfig",
  "drain",
  "testCall",
] as const;

/** Name of a command: one of {@link commandNames}. */
export type CommandName = (typeof commandNames)[number];

/** Whether `name` is a command the appliance serves (case-sensitive). */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commandSchemas, name);
}

/**
 * Validates a command request (DESIGN.md §5, §8) and returns it typed, with defaults applied and
 * the envelope's `expiresAt` turned into `expiresAtMs` (ms since the Unix epoch). The deadline is
 * not checked here: the executor checks it right before running (`checkDeadline`).
 * @param name the command name from the MQTT topic level or the HTTP path.
 * @param params the request's JSON payload: an object (MQTT's empty payload and HTTP's empty body
 *   are passed as `{}` by the transports).
 * @throws CommandError `UNKNOWN_COMMAND` (with `known`) for a name that is not in {@link commandNames}.
 * @throws CommandError `INVALID_ARGUMENT` (with `field`: the dotted path of the first problem, e.g.
 *   `limit`, `headers.X-Tenant`, `sessionId`, or `(body)` for a payload that is not an object).
 */
export function parseCommand(name: string, params: unknown): ParsedCommand {
  if (!isCommandName(name)) {
    throw new CommandError(
      "UNKNOWN_COMMAND",
      `unknown command ${JSON.stringify(name)}; known commands: ${commandNames.join(", ")}`,
      { known: commandNames },
    );
  }
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new CommandError(
      "INVALID_ARGUMENT",
      `${name}: the parameters must be a JSON object, e.g. {} (got ${kindOf(params)})`,
      { field: "(body)" },
    );
  }
  const result = commandSchemas[name].safeParse(params);
  if (!result.success) throw invalidArgument(name, result.error.issues, params as Record<string, unknown>);
  const { expiresAt, ...rest } = result.data;
  const parsed = { name, params: rest } as ParsedCommand;
  if (expiresAt !== undefined) parsed.expiresAtMs = Date.parse(expiresAt);
  return parsed;
}

/** The `INVALID_ARGUMENT` error for the first issue, naming the field and what a valid value is. */
function invalidArgument(
  command: CommandName,
  issues: readonly z.core.$ZodIssue[],
  params: Record<string, unknown>,
): CommandError {
  const issue = issues[0];
  if (!issue) {
    return new CommandError("INVALID_ARGUMENT", `${command}: invalid parameters`, { field: "(body)" });
  }
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const accepted = Object.keys(commandSchemas[command].shape).join(", ");
    return new CommandError(
      "INVALID_ARGUMENT",
      `${command}: unknown parameter ${JSON.stringify(key)}; ${command} accepts ${accepted}`,
      { field: [...path, key].join(".") },
    );
  }
  const field = path.length > 0 ? path.join(".") : "(body)";
  if (issue.code === "custom") {
    return new CommandError("INVALID_ARGUMENT", `${command}: ${field} ${issue.message}`, { field });
  }
  if (issue.code === "invalid_key") {
    return new CommandError(
      "INVALID_ARGUMENT",
      `${command}: ${field} has an invalid header name: give ${headerNameHint}`,
      { field },
    );
  }
  const hint = path[0] === "headers" && path.length === 2 ? headerValueHint : parameterHints[path[0] ?? ""];
  const value = valueAt(params, path);
  const problem = value === undefined ? "is required" : `is invalid (got ${preview(value)})`;
  return new CommandError(
    "INVALID_ARGUMENT",
    `${command}: ${field} ${problem}: give ${hint ?? "a valid value"}`,
    {
      field,
    },
  );
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const previewLength = 60;

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > previewLength ? `${text.slice(0, previewLength)}…` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
