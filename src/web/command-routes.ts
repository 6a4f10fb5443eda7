import { errorCode, errorMessage, type Logger } from "../lib/index.ts";
import type { HttpCommandExecutor } from "./command-api-types.ts";
import { json, text } from "./responses.ts";

/** Largest command body `POST /api/commands/<name>` accepts, bytes (64 KiB). */
export const maxCommandBodyBytes = 64 * 1024;

const commandPath = /^\/api\/commands\/([A-Za-z0-9_]+)$/;

/** Whether a path belongs to the commands API (`/api/commands` and below). */
export function isCommandPath(path: string): boolean {
  return path === "/api/commands" || path.startsWith("/api/commands/");
}

function failure(status: number, error: Record<string, unknown>): Response {
  return json({ ok: false, error }, status);
}

function bodyError(status: number, message: string): Response {
  return failure(status, { code: "INVALID_ARGUMENT", field: "(body)", message });
}

/**
 * A browser sends `Sec-Fetch-Site` or `Origin` with a cross-site request. Such a request may
 * carry the Basic credentials the browser remembers for the status page, so it is refused: a
 * page elsewhere must not be able to drain the appliance. Clients outside browsers send neither.
 */
function crossOrigin(req: Request): boolean {
  const site = req.headers.get("sec-fetch-site");
  if (site !== null) return site !== "same-origin" && site !== "none";
  const origin = req.headers.get("origin");
  if (origin === null) return false;
  try {
    return new URL(origin).host !== new URL(req.url).host;
  } catch {
    return true;
  }
}

/** Reads at most `limit` bytes of the body; undefined when it is longer. */
async function readBody(req: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > limit) return undefined;
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The body as JSON (`{}` when empty), or the 400/413 answer. */
async function parseParams(req: Request): Promise<{ params: unknown } | Response> {
  const bytes = await readBody(req, maxCommandBodyBytes);
  if (!bytes) return bodyError(413, `the body exceeds ${maxCommandBodyBytes} bytes`);
  let source: string;
  try {
    source = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return bodyError(400, "the body is not UTF-8");
  }
  if (source.trim() === "") return { params: {} };
  try {
    return { params: JSON.parse(source) };
  } catch (err) {
    return bodyError(400, `the body is not JSON: ${errorMessage(err)}`);
  }
}

async function execute(
  name: string,
  req: Request,
  commands: HttpCommandExecutor,
  logger: Logger,
): Promise<Response> {
  if (crossOrigin(req)) {
    return failure(403, { code: "FORBIDDEN", message: "cross-origin commands are refused" });
  }
  const parsed = await parseParams(req);
  if (parsed instanceof Response) return parsed;
  try {
    const reply = await commands.execute(name, parsed.params);
    const response = json(reply.body, reply.status);
    logger.info("HTTP command", { command: name, status: reply.status });
    return response;
  } catch (err) {
    logger.error("HTTP command failed", { command: name, code: errorCode(err), error: errorMessage(err) });
    return failure(500, { code: "INTERNAL", message: `command ${name} failed; see the appliance log` });
  }
}

/**
 * Answers the commands API (DESIGN.md §6, issue #4), already authenticated:
 * - `GET /api/commands` — `{ commands: string[] }`, the known command names;
 * - `POST /api/commands/<name>` — runs the command with the JSON body as parameters (empty body:
 *   `{}`) and answers the executor's status and `{ ok, result | error }`. A body that is not JSON
 *   answers 400 and one over {@link maxCommandBodyBytes} 413, both
 *   `{ ok: false, error: { code: "INVALID_ARGUMENT", field: "(body)", message } }`, without
 *   running anything; a failing executor answers 500 `INTERNAL` and is logged; a cross-origin
 *   browser request answers 403 `FORBIDDEN`.
 * A name outside `[A-Za-z0-9_]+` answers 404 `UNKNOWN_COMMAND` with `known` (the list); other
 * names go to the executor as they are, which answers unknown ones. Other methods answer 405;
 * everything answers 404 when no executor is configured.
 */
export function handleCommandRequest(
  req: Request,
  commands: HttpCommandExecutor | undefined,
  logger: Logger,
): Response | Promise<Response> {
  const path = new URL(req.url).pathname;
  if (!commands) return text(404, "the commands API is not available\n");
  if (path === "/api/commands") {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return text(405, "method not allowed\n", { allow: "GET, HEAD" });
    }
    return json({ commands: commands.names });
  }
  const name = commandPath.exec(path)?.[1];
  if (name === undefined) {
    return failure(404, {
      code: "UNKNOWN_COMMAND",
      message: "no such command",
      known: commands.names,
    });
  }
  if (req.method !== "POST") return text(405, "method not allowed\n", { allow: "POST" });
  return execute(name, req, commands, logger);
}
