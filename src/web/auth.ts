import { createHash, timingSafeEqual } from "node:crypto";
import type { StatusAuth } from "./status-types.ts";

const realm = 'realm="siprec-edge"';

/**
 * Compares two secrets in constant time: both are hashed (SHA-256) first, so neither their
 * contents nor their lengths show in the timing.
 */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function parseBasic(credentials: string): { username: string; password: string } | undefined {
  const decoded = Buffer.from(credentials, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Whether `auth` requires credentials at all (a token or a basic user is configured). */
export function authRequired(auth: StatusAuth | undefined): auth is StatusAuth {
  return auth !== undefined && (auth.token !== undefined || auth.basic !== undefined);
}

/**
 * Checks an `Authorization` header (RFC 9110 §11.6.2) against the configured credentials:
 * `Bearer <token>` (RFC 6750 §2.1), or `Basic` (RFC 7617) with the configured user, or with the
 * token as password (any user name), which lets a browser open the page when only a token is set.
 */
export function authorized(header: string | null, auth: StatusAuth): boolean {
  if (!header) return false;
  const space = header.indexOf(" ");
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const credentials = header.slice(space + 1).trim();
  if (scheme === "bearer") return auth.token !== undefined && sameSecret(credentials, auth.token);
  if (scheme !== "basic") return false;
  const given = parseBasic(credentials);
  if (!given) return false;
  let ok = false;
  if (auth.basic) {
    const userOk = sameSecret(given.username, auth.basic.username);
    const passwordOk = sameSecret(given.password, auth.basic.password);
    ok = userOk && passwordOk;
  }
  if (auth.token !== undefined && sameSecret(given.password, auth.token)) ok = true;
  return ok;
}

/** The 401 answer: one `WWW-Authenticate` challenge per accepted scheme (RFC 9110 §11.6.1). */
export function unauthorizedResponse(auth: StatusAuth): Response {
  const headers = new Headers({ "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  headers.append("www-authenticate", `Basic ${realm}, charset="UTF-8"`);
  if (auth.token !== undefined) headers.append("www-authenticate", `Bearer ${realm}`);
  return new Response("authentication required\n", { status: 401, headers });
}
