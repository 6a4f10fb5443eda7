import { normalizeUcid } from "./metadata-parse.ts";
import type { RecordingMetadata } from "./metadata-types.ts";

/** Reads one SIP header value by name (case-insensitive lookup is the caller's job); `undefined` if absent. */
export type HeaderLookup = (name: string) => string | undefined;

/**
 * Collects the correlation ids an SRC put on a recording-session INVITE (DESIGN.md §2), keyed by
 * the names used on every event. Only keys that are present are returned; the SIP Call-ID is not
 * included (the SRS has it).
 *
 * - `sessionId`: RFC 7989 `Session-ID`, the value before `;remote=`.
 * - `ciscoGuid`: `Cisco-Guid`.
 * - `ucid`: Avaya UCID from `User-to-User` (RFC 7433; hex UUI whose first IE is the UCID, `..FA08…`),
 *   else `metadata.ucid`.
 * - `broadworksCorrelation`: `X-BroadWorks-Correlation-Info`.
 * - `genesysConversationId`: `X-GenesysConversationID`, else `X-Genesys-CallUUID`.
 * - `callInfo`: `Call-Info`, whole value (e.g. `<…>;purpose=Goog-ContactCenter-Conversation`).
 * - `siprecSessionId`: the first metadata `<session>` id.
 */
export function extractCorrelation(
  getHeader: HeaderLookup,
  metadata?: RecordingMetadata,
): Record<string, string> {
  const ids: Record<string, string> = {};
  const put = (key: string, value: string | undefined) => {
    const trimmed = value?.trim();
    if (trimmed) ids[key] = trimmed;
  };
  put("sessionId", getHeader("Session-ID")?.split(";")[0]);
  put("ciscoGuid", getHeader("Cisco-Guid"));
  put("ucid", ucidFromUserToUser(getHeader("User-to-User")) ?? metadata?.ucid);
  put("broadworksCorrelation", getHeader("X-BroadWorks-Correlation-Info"));
  put("genesysConversationId", getHeader("X-GenesysConversationID") ?? getHeader("X-Genesys-CallUUID"));
  put("callInfo", getHeader("Call-Info"));
  put("siprecSessionId", metadata?.sessions.find((s) => s.sessionId !== "")?.sessionId);
  return ids;
}

/** The hex UCID of an Avaya `User-to-User` value such as `00FA080001000758A20EFA;encoding=hex`. */
function ucidFromUserToUser(value: string | undefined): string | undefined {
  const first = value?.split(",")[0];
  if (!first) return undefined;
  const [data = "", ...params] = first.split(";").map((p) => p.trim());
  const encoding = params.find((p) => p.toLowerCase().startsWith("encoding="))?.slice("encoding=".length);
  if (encoding !== undefined && encoding.toLowerCase() !== "hex") return undefined;
  return /^[0-9A-F]{2}FA08[0-9A-F]{16}/i.test(data) ? normalizeUcid(data) : undefined;
}

/**
 * True when a request comes from a SIPREC SRC (RFC 7866 §6.1.1): the Contact carries `+sip.src`
 * (also inside the URI's parameters, and PhrSite's `+sip-src`) or the legacy `;src` (BroadWorks,
 * AudioCodes 6.x), or `Require`/`Supported` lists the `siprec` option tag.
 */
export function isSiprecInvite(getHeader: HeaderLookup): boolean {
  const contact = getHeader("Contact") ?? "";
  if (/;\s*(\+sip[.-]src|src)\s*(?=[;>,=\s]|$)/i.test(contact)) return true;
  return [getHeader("Require"), getHeader("Supported")].some((value) =>
    (value ?? "").split(",").some((tag) => tag.trim().toLowerCase() === "siprec"),
  );
}
