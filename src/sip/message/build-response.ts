import { headerKey, SipHeaderList } from "./headers.ts";
import type { SipRequest } from "./request.ts";
import { SipResponse } from "./response.ts";
import { reasonPhrase } from "./status.ts";

/** Options of {@link buildResponse}. */
export interface BuildResponseOptions {
  /** Extra headers, appended in order (an array gives one line per value). */
  headers?: Record<string, string | string[]>;
  /** Body; a string is encoded as UTF-8. */
  body?: Uint8Array | string;
  /** Content-Type of the body (e.g. `application/sdp`). */
  contentType?: string;
  /** To tag to add when the request's To has none (RFC 3261 §8.2.6.2). */
  toTag?: string;
}

const encoder = new TextEncoder();

/**
 * Builds a response to `req` (RFC 3261 §8.2.6): copies every Via (same order), From, Call-ID and
 * CSeq, copies To and adds `;tag=toTag` when given and To has no tag (§8.2.6.2), copies Timestamp
 * into a 100 (§8.2.6.1), and Record-Route into a 101–299 to an INVITE (§12.1.1). Content-Length
 * is set to the body length.
 */
export function buildResponse(
  req: SipRequest,
  status: number,
  reason?: string,
  options: BuildResponseOptions = {},
): SipResponse {
  const headers = new SipHeaderList();
  const copyRecordRoute = req.method === "INVITE" && status > 100 && status < 300;
  for (const [name, value] of req.headers) {
    const key = headerKey(name);
    if (key === "to") {
      const needsTag = options.toTag !== undefined && req.to?.tag === undefined;
      headers.append(name, needsTag ? `${value};tag=${options.toTag}` : value);
    } else if (
      key === "via" ||
      key === "from" ||
      key === "call-id" ||
      key === "cseq" ||
      (key === "timestamp" && status === 100) ||
      (key === "record-route" && copyRecordRoute)
    ) {
      headers.append(name, value);
    }
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const body =
    typeof options.body === "string" ? encoder.encode(options.body) : (options.body ?? new Uint8Array(0));
  if (options.contentType !== undefined) headers.set("Content-Type", options.contentType);
  headers.set("Content-Length", String(body.length));
  return new SipResponse(status, reason ?? reasonPhrase(status), { headers, body });
}
