import { errorMessage } from "../../lib/index.ts";
import { type DaemonAuth, daemonAuthHeaders } from "../spool-client/index.ts";
import { DiagError } from "./errors.ts";
import { type DiagStep, type StepContext, skipStep } from "./step-runner.ts";

/** The running daemon's HTTP API: base URL (`http://127.0.0.1:8080`) and credentials. */
export interface DaemonApi {
  baseUrl: string;
  auth?: DaemonAuth;
}

/**
 * GETs a path of the daemon's API with its credentials, within `timeoutMs` (or until `signal`).
 * A 404 skips the calling step ("not available in this version").
 * @returns the 2xx response.
 * @throws DiagError `DIAG_HTTP` when nothing answers, on 401 and on other error statuses.
 */
export async function fetchFromDaemon(
  api: DaemonApi,
  path: string,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${api.baseUrl}${path}`, {
      headers: daemonAuthHeaders(api.auth),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      redirect: "error",
    });
  } catch (err) {
    throw new DiagError(
      "DIAG_HTTP",
      `GET ${api.baseUrl}${path}: ${errorMessage(err)} (is siprec-edge running?)`,
      {
        cause: err,
      },
    );
  }
  if (res.ok) return res;
  await res.body?.cancel();
  if (res.status === 404) skipStep(`GET ${path}: 404, not available in this version`);
  if (res.status === 401) {
    throw new DiagError(
      "DIAG_HTTP",
      `GET ${path}: 401, the credentials of web.auth were refused (are the \${…} variables set for diag?)`,
    );
  }
  throw new DiagError("DIAG_HTTP", `GET ${path}: HTTP ${res.status}`);
}

/** Writes a response body to `file`, JSON pretty-printed when it is JSON. */
async function writeBody(ctx: StepContext, file: string, res: Response): Promise<void> {
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    const text = await res.text();
    try {
      await ctx.write(file, `${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    } catch {
      await ctx.write(file, text);
    }
    return;
  }
  await ctx.write(file, new Uint8Array(await res.arrayBuffer()));
}

/** A step that GETs one path of the daemon's API into `file` (404: skipped, not available in this version). */
export function apiStep(
  name: string,
  api: DaemonApi,
  path: string,
  file: string,
  deadlineMs = 15_000,
): DiagStep {
  return {
    name,
    deadlineMs,
    run: async (ctx) => {
      await writeBody(ctx, file, await fetchFromDaemon(api, path, ctx.signal, deadlineMs));
    },
  };
}

/**
 * Fetches the per-call captures (`GET /api/calls/<callId>/capture.pcap`) of the `count` most recent
 * calls into `pcaps/<callId>.pcap`, within `capBytes` in total; a 404 for a call is noted.
 */
export async function fetchCallCaptures(
  ctx: StepContext,
  api: DaemonApi,
  count: number,
  capBytes: number,
): Promise<void> {
  const list = (await (
    await fetchFromDaemon(api, `/api/calls?limit=${count}`, ctx.signal, 10_000)
  ).json()) as {
    calls?: { callId?: string }[];
  };
  let total = 0;
  for (const call of list.calls ?? []) {
    if (!call.callId) continue;
    const res = await fetch(`${api.baseUrl}/api/calls/${encodeURIComponent(call.callId)}/capture.pcap`, {
      headers: daemonAuthHeaders(api.auth),
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(20_000)]),
    });
    if (!res.ok) {
      await res.body?.cancel();
      ctx.note(
        `capture of ${call.callId}: HTTP ${res.status}${res.status === 404 ? " (not available)" : ""}`,
      );
      continue;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (total + bytes.length > capBytes) {
      ctx.note(`capture of ${call.callId} (${bytes.length} bytes) left out over the ${capBytes}-byte cap`);
      continue;
    }
    total += bytes.length;
    await ctx.write(`pcaps/${call.callId}.pcap`, bytes);
  }
}
