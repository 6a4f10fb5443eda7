import { createHash } from "node:crypto";
import { errorCode, errorMessage, silentLogger, systemClock } from "../lib/index.ts";
import { pageScript } from "./assets/page-script.ts";
import { pageStyle } from "./assets/page-style.ts";
import { authorized, authRequired, unauthorizedResponse } from "./auth.ts";
import { handleCallRequest, isCallPath } from "./call-routes.ts";
import { handleCaptureRequest, isCapturePath } from "./capture-routes.ts";
import { handleCommandRequest, isCommandPath } from "./command-routes.ts";
import { ListenFailedError } from "./errors.ts";
import { levelPercent } from "./format.ts";
import { authority, parseListenAddress } from "./listen-address.ts";
import { handleMetricsRequest } from "./metrics.ts";
import { commonHeaders, json, text } from "./responses.ts";
import { type PeriodicPush, SnapshotStreamHub } from "./snapshot-stream.ts";
import type { StatusServer, StatusServerOptions, StatusSnapshot, StreamLevel } from "./status-types.ts";
import { type PageOptions, renderPage, renderSections } from "./views.ts";

const routes = new Set(["/", "/healthz", "/api/status", "/api/events"]);

function sha256Source(text: string): string {
  return `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
}

// The page runs only its own inline script and style: anything injected cannot execute.
const pageCsp = [
  "default-src 'none'",
  `script-src ${sha256Source(pageScript)}`,
  `style-src ${sha256Source(pageStyle)}`,
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Starts the local status server and HTTP API (DESIGN.md §6):
 * - `GET /` — the self-contained status page (inline CSS/JS, strict CSP), live via `/api/events`;
 * - `GET /api/status` — the {@link StatusSnapshot} as JSON;
 * - `GET /api/events` — Server-Sent Events: `snapshot` (the JSON) and `view` (the page's rendered
 *   sections) at once and every `pushIntervalMs`; with `options.levels`, also `levels`
 *   (`{"<streamId>": 0–100}` on the meters' −60…0 dBFS scale) every `levelIntervalMs`, skipped
 *   while no stream is live;
 * - `GET /healthz` — `200 ok` while accepting calls, else 503; never needs credentials;
 * - `GET /api/calls…` — the calls in the spool, their WAV and pcap exports, from `options.calls`
 *   (see `handleCallRequest`);
 * - `GET /api/commands`, `POST /api/commands/<name>` — the command model over HTTP, from
 *   `options.commands` (see `handleCommandRequest`);
 * - `GET /metrics` — Prometheus text format 0.0.4 from `options.metrics` (see `renderMetrics`).
 * Everything else answers 404; with `auth`, every path but `/healthz` answers 401 without valid
 * credentials (Bearer or Basic).
 * @throws ListenAddressError `WEB_BAD_LISTEN` for an unparsable `listen`.
 * @throws ListenFailedError `WEB_LISTEN_FAILED` when the address cannot be bound.
 */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { host, port } = parseListenAddress(options.listen);
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? silentLogger).child({ component: "web" });
  const nowMs = (): number => Math.floor(clock.wallUs() / 1000);
  const viewOptions: PageOptions = {
    downloads: options.calls !== undefined,
    captures: options.captures !== undefined,
    commands: options.commands !== undefined,
  };
  const pushes: PeriodicPush[] = [
    {
      render: () => {
        const snapshot = options.snapshot();
        const view = renderSections(snapshot, nowMs(), viewOptions);
        return `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\nevent: view\ndata: ${JSON.stringify(view)}\n\n`;
      },
      intervalMs: options.pushIntervalMs ?? 1000,
    },
  ];
  if (options.levels) pushes.push(levelsPush(options.levels, options.levelIntervalMs ?? 250));
  const hub = new SnapshotStreamHub(pushes, clock, logger);

  const withSnapshot = (use: (snapshot: StatusSnapshot) => Response): Response => {
    let snapshot: StatusSnapshot;
    try {
      snapshot = options.snapshot();
    } catch (err) {
      logger.error("status snapshot failed", { code: errorCode(err), error: errorMessage(err) });
      return text(500, "internal error\n");
    }
    return use(snapshot);
  };

  const handle = (req: Request): Response | Promise<Response> => {
    const path = new URL(req.url).pathname;
    if (path === "/healthz") {
      return withSnapshot((s) => (s.health.accepting ? text(200, "ok") : text(503, "unavailable")));
    }
    if (authRequired(options.auth) && !authorized(req.headers.get("authorization"), options.auth)) {
      return unauthorizedResponse(options.auth);
    }
    if (isCapturePath(path)) return handleCaptureRequest(req, options, logger);
    if (isCallPath(path)) return handleCallRequest(req, options.calls, logger);
    if (isCommandPath(path)) return handleCommandRequest(req, options.commands, logger);
    if (path === "/metrics") return handleMetricsRequest(req, options.metrics, logger);
    if (!routes.has(path)) return text(404, "not found\n");
    if (req.method !== "GET" && req.method !== "HEAD")
      return text(405, "method not allowed\n", { allow: "GET, HEAD" });
    if (path === "/api/events") return hub.open();
    if (path === "/api/status") {
      return withSnapshot((s) => json(s));
    }
    return withSnapshot(
      (s) =>
        new Response(renderPage(s, nowMs(), viewOptions), {
          headers: {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": pageCsp,
            "x-frame-options": "DENY",
            ...commonHeaders,
          },
        }),
    );
  };

  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: host,
      port,
      idleTimeout: 30,
      fetch: handle,
      error: (err) => {
        logger.error("status request failed", { error: errorMessage(err) });
        return text(500, "internal error\n");
      },
    });
  } catch (err) {
    throw new ListenFailedError(`cannot listen on ${options.listen}: ${errorMessage(err)}`, { cause: err });
  }
  const boundPort = server.port ?? port;
  const url = `http://${authority(host, boundPort)}`;
  logger.info("status server listening", { url, auth: authRequired(options.auth) });

  let closed: Promise<void> | undefined;
  return {
    url,
    port: boundPort,
    close: () => {
      closed ??= (async () => {
        hub.closeAll();
        await server.stop(true);
      })();
      return closed;
    },
  };
}

/** The light `levels` push: only the live streams' meter positions, nothing while no call is live. */
function levelsPush(levels: () => StreamLevel[], intervalMs: number): PeriodicPush {
  let wasEmpty = false;
  return {
    intervalMs,
    render: () => {
      const current = levels();
      if (current.length === 0 && wasEmpty) return undefined;
      wasEmpty = current.length === 0;
      let data = "";
      for (const { streamId, level } of current)
        data += `${data ? "," : ""}"${streamId}":${levelPercent(level)}`;
      return `event: levels\ndata: {${data}}\n\n`;
    },
  };
}
