import { errorMessage } from "../../lib/index.ts";
import { SpoolClientError } from "./errors.ts";

/** Credentials of the daemon's web API (config `web.auth`): a token, or a Basic user. */
export type DaemonAuth = { token: string } | { username: string; password: string };

/** How long one request may take before the client gives up, ms. */
const requestTimeoutMs = 120_000;

/**
 * Checks and normalises the daemon's web address (`http://127.0.0.1:8080`, no trailing slash).
 * @throws SpoolClientError `SPOOL_CLIENT_BAD_URL`.
 */
export function daemonUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (err) {
    throw new SpoolClientError("SPOOL_CLIENT_BAD_URL", `${JSON.stringify(baseUrl)} is not a URL`, {
      cause: err,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SpoolClientError("SPOOL_CLIENT_BAD_URL", `${baseUrl} must be an http:// or https:// URL`);
  }
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** The `Authorization` header for the daemon's web API (RFC 6750 Bearer or RFC 7617 Basic); none without credentials. */
export function daemonAuthHeaders(auth: DaemonAuth | undefined): Record<string, string> {
  if (!auth) return {};
  if ("token" in auth) return { authorization: `Bearer ${auth.token}` };
  const basic = Buffer.from(`${auth.username}:${auth.password}`, "utf8").toString("base64");
  return { authorization: `Basic ${basic}` };
}

/**
 * GETs a path of the daemon's web API and returns the 2xx response; `notFound` names what a 404
 * means for this request (an unknown call, or no calls API at all).
 * @throws SpoolClientError `SPOOL_CLIENT_NOT_RUNNING`, `SPOOL_CLIENT_TIMEOUT`, `SPOOL_CLIENT_UNAUTHORIZED`,
 *   `SPOOL_CLIENT_UNKNOWN_CALL` / `SPOOL_CLIENT_NO_API` (404), `SPOOL_CLIENT_HTTP`.
 */
export async function getFromDaemon(
  base: string,
  path: string,
  auth: DaemonAuth | undefined,
  notFound: { code: "SPOOL_CLIENT_UNKNOWN_CALL" | "SPOOL_CLIENT_NO_API"; message: string },
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      headers: daemonAuthHeaders(auth),
      signal: AbortSignal.timeout(requestTimeoutMs),
      redirect: "error",
    });
  } catch (err) {
    if (err instanceof Error && err.name === "TimeoutError") {
      throw new SpoolClientError("SPOOL_CLIENT_TIMEOUT", `siprec-edge at ${base} did not answer in time`, {
        cause: err,
      });
    }
    throw new SpoolClientError(
      "SPOOL_CLIENT_NOT_RUNNING",
      `siprec-edge is not running at ${base}: start it or pass --web URL (${errorMessage(err)})`,
      { cause: err },
    );
  }
  if (res.ok) return res;
  await res.body?.cancel();
  if (res.status === 401) {
    throw new SpoolClientError(
      "SPOOL_CLIENT_UNAUTHORIZED",
      `siprec-edge at ${base} refused the credentials: pass the token or user of web.auth`,
    );
  }
  if (res.status === 404) {
    throw new SpoolClientError(notFound.code, notFound.message);
  }
  throw new SpoolClientError(
    "SPOOL_CLIENT_HTTP",
    `siprec-edge at ${base} answered ${res.status} to GET ${path}`,
  );
}

/**
 * Reads a JSON answer of the daemon.
 * @throws SpoolClientError `SPOOL_CLIENT_BAD_RESPONSE` when the body is not JSON.
 */
export async function readJson(res: Response, base: string): Promise<unknown> {
  try {
    return await res.json();
  } catch (err) {
    throw new SpoolClientError("SPOOL_CLIENT_BAD_RESPONSE", `${base} did not answer with JSON`, {
      cause: err,
    });
  }
}
