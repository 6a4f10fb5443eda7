import { randomHex } from "../../lib/index.ts";
import { SipParseError } from "../message/errors.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipMessage } from "../message/sip-message.ts";

/** The RFC 3261 branch magic cookie (§8.1.1.7): branches starting with it identify transactions. */
export const branchMagicCookie = "z9hG4bK";

/** A server transaction key, or why none could be built. */
export type TxKeyResult = { ok: true; key: string } | { ok: false; reason: string };

/**
 * Builds the server transaction key of a request (RFC 3261 §17.2.3): top Via branch + sent-by +
 * method, where ACK uses `INVITE` (it matches the INVITE transaction) and `method` overrides the
 * method (CANCEL looks up its INVITE this way). Requests whose branch lacks the magic cookie
 * (RFC 2543 peers) are keyed by Call-ID, CSeq number, From tag, Request-URI and top Via.
 *
 * Fails (with a reason phrase for a stateless 400) when Via, Call-ID, CSeq, From or To is missing
 * or malformed (RFC 3261 §8.1.1 mandatory headers).
 */
export function serverTxKey(request: SipRequest, method?: string): TxKeyResult {
  try {
    const top = request.via[0];
    if (!top) return { ok: false, reason: "Missing Via Header" };
    const callId = request.callId;
    if (callId === undefined) return { ok: false, reason: "Missing Call-ID Header" };
    const cseq = request.cseq;
    if (!cseq) return { ok: false, reason: "Missing CSeq Header" };
    const from = request.from;
    if (!from) return { ok: false, reason: "Missing From Header" };
    if (!request.to) return { ok: false, reason: "Missing To Header" };
    const txMethod = method ?? (request.method === "ACK" ? "INVITE" : request.method);
    const sentBy = `${top.host.toLowerCase()}:${top.port ?? ""}`;
    if (top.branch?.startsWith(branchMagicCookie))
      return { ok: true, key: `${top.branch}|${sentBy}|${txMethod}` };
    const key = `2543|${callId}|${cseq.seq}|${from.tag ?? ""}|${request.uri}|${sentBy}|${top.branch ?? ""}|${txMethod}`;
    return { ok: true, key };
  } catch (err) {
    if (err instanceof SipParseError) return { ok: false, reason: "Malformed Transaction Header" };
    throw err;
  }
}

/**
 * Builds a client transaction key (RFC 3261 §17.1.3): the branch of the top Via plus the CSeq method
 * (a CANCEL shares its INVITE's branch but is its own transaction). `undefined` when the message has
 * no branch or CSeq (it then matches no client transaction).
 */
export function clientTxKey(message: SipMessage): string | undefined {
  try {
    const branch = message.via[0]?.branch;
    const method = message.cseq?.method;
    if (branch === undefined || method === undefined) return undefined;
    return `${branch}|${method}`;
  } catch (err) {
    if (err instanceof SipParseError) return undefined;
    throw err;
  }
}

/** A new RFC 3261 branch (§8.1.1.7): the magic cookie plus 80 random bits, unique per transaction. */
export function newBranch(): string {
  return `${branchMagicCookie}${randomHex(10)}`;
}
