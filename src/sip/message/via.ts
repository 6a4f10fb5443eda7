import { SipParseError } from "./errors.ts";
import { isToken, parseHostPort } from "./grammar.ts";
import { parseParams, type SipParams } from "./header-params.ts";
import { splitHeaderList } from "./headers.ts";

/** One parsed Via value (RFC 3261 §20.42, §18.2.1; RFC 3581 `rport`). */
export interface SipVia {
  /** Protocol name and version, e.g. `SIP/2.0`. */
  protocol: string;
  /** Uppercase transport, e.g. `UDP`, `TCP`, `TLS`, `WS`. */
  transport: string;
  /** The `sent-by` host. */
  host: string;
  /** The `sent-by` port, when written. */
  port?: number;
  /** The `branch` parameter (a transaction id when it starts with `z9hG4bK`, RFC 3261 §8.1.1.7). */
  branch?: string;
  /** The `received` parameter (source address the server saw), when it is an IP address. */
  received?: string;
  /** The `rport` value (RFC 3581), when it has a valid port. */
  rport?: number;
  /** Whether an `rport` parameter is present (with or without a value). */
  hasRport: boolean;
  /** Every parameter (names lowercased, flags as `""`). */
  params: SipParams;
  /** The Via value as written. */
  raw: string;
}

/**
 * Parses one Via value: `SIP / 2.0 / UDP host[:port];params` (LWS allowed around `/` and `:`).
 * @throws SipParseError (SIP_PARSE) on a bad sent-protocol, sent-by or params.
 */
export function parseVia(text: string): SipVia {
  const raw = text.trim();
  const slash1 = raw.indexOf("/");
  const slash2 = raw.indexOf("/", slash1 + 1);
  if (slash1 < 0 || slash2 < 0) throw new SipParseError(`bad Via sent-protocol "${raw}"`);
  const name = raw.slice(0, slash1).trim();
  const version = raw.slice(slash1 + 1, slash2).trim();
  const afterProto = raw.slice(slash2 + 1).replace(/^\s+/, "");
  const transportMatch = /^([^\s;]+)\s+/.exec(afterProto);
  const transport = transportMatch?.[1];
  if (!transportMatch || !transport || !isToken(name) || !isToken(version) || !isToken(transport)) {
    throw new SipParseError(`bad Via sent-protocol "${raw}"`);
  }
  const sentByText = afterProto.slice(transportMatch[0].length);
  const semi = sentByText.indexOf(";");
  const sentBy = parseHostPort((semi < 0 ? sentByText : sentByText.slice(0, semi)).trim());
  const params = parseParams(sentByText, semi < 0 ? sentByText.length : semi);
  const via: SipVia = {
    protocol: `${name}/${version}`,
    transport: transport.toUpperCase(),
    host: sentBy.host,
    hasRport: params.has("rport"),
    params,
    raw,
  };
  if (sentBy.port !== undefined) via.port = sentBy.port;
  const branch = params.get("branch");
  if (branch !== undefined) via.branch = branch;
  // Tolerant: a malformed received/rport (seen from broken NATs) is ignored, not fatal; we stamp
  // our own on receipt (RFC 3261 §18.2.1, RFC 3581 §4).
  const received = params.get("received");
  if (received !== undefined && /^[0-9A-Fa-f:.]+$/.test(received)) via.received = received;
  const rport = params.get("rport");
  if (rport !== undefined && /^\d{1,5}$/.test(rport) && Number(rport) <= 65535) via.rport = Number(rport);
  return via;
}

/**
 * Parses a Via header line into its values (top first).
 * @throws SipParseError (SIP_PARSE) on an empty element (`a,,b`) or a bad value.
 */
export function parseViaList(line: string): SipVia[] {
  return splitHeaderList(line).map((part) => {
    if (part === "") throw new SipParseError("empty Via value");
    return parseVia(part);
  });
}
