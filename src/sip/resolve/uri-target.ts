import { isIP } from "node:net";
import { parseUri, SipParseError, type SipUri } from "../message/index.ts";
import { SipResolveError } from "./errors.ts";
import type { SipTargetTransport } from "./resolve-types.ts";

/** What RFC 3263 §4.1 reads from a SIP/SIPS URI before any DNS query. */
export interface UriTarget {
  /** `sips:` URI: only TLS targets (RFC 3263 §4.1: discard non-SIPS services). */
  secure: boolean;
  /** TARGET: the `maddr` parameter if present, else the host; lowercased, IPv6 without brackets. */
  name: string;
  /** Whether `name` is a numeric IPv4/IPv6 address. */
  numeric: boolean;
  /** Port written in the URI. */
  port: number | undefined;
  /** Transport forced by the URI's `transport=` parameter (`tcp` in a `sips:` URI means `tls`). */
  transport: SipTargetTransport | undefined;
}

/** Default port of a transport: 5061 for TLS, 5060 otherwise (RFC 3261 §19.1.2, RFC 3263 §4.2). */
export function defaultSipPort(transport: SipTargetTransport): number {
  return transport === "tls" ? 5061 : 5060;
}

/**
 * Reads TARGET, port, `transport=` and the scheme of a SIP/SIPS URI (RFC 3263 §4.1).
 * @throws SipResolveError `SIP_RESOLVE_BAD_URI` for an unparseable or non-SIP URI or `sips:` with
 *   `transport=udp`; `SIP_RESOLVE_UNSUPPORTED_TRANSPORT` for a `transport=` not in `supported`.
 */
export function readUriTarget(uri: string | SipUri, supported: readonly SipTargetTransport[]): UriTarget {
  const parsed = typeof uri === "string" ? parseSipUri(uri) : uri;
  if (parsed.scheme !== "sip" && parsed.scheme !== "sips") {
    throw new SipResolveError("SIP_RESOLVE_BAD_URI", `"${parsed.raw}" is not a sip: or sips: URI`, {
      host: parsed.host,
    });
  }
  const secure = parsed.scheme === "sips";
  const maddr = parsed.params.get("maddr");
  const name = unbracket(maddr ? maddr : parsed.host).toLowerCase();
  const param = parsed.params.get("transport");
  const transport =
    param === undefined ? undefined : paramTransport(param.toLowerCase(), secure, parsed.raw, name);
  if (transport !== undefined && !supported.includes(transport)) {
    throw new SipResolveError(
      "SIP_RESOLVE_UNSUPPORTED_TRANSPORT",
      `"${parsed.raw}" asks for transport ${transport}, not one of ${supported.join(", ")}`,
      { host: name },
    );
  }
  return { secure, name, numeric: isIP(name) !== 0, port: parsed.port, transport };
}

/**
 * The transport to use when DNS does not say (RFC 3263 §4.1: "the client SHOULD use UDP for a SIP
 * URI, and TCP for a SIPS URI"; for SIPS that is TLS over TCP). A client without UDP uses TCP.
 * @throws SipResolveError `SIP_RESOLVE_UNSUPPORTED_TRANSPORT` when none of those is supported.
 */
export function fallbackTransport(
  target: UriTarget,
  supported: readonly SipTargetTransport[],
): SipTargetTransport {
  if (target.transport !== undefined) return target.transport;
  const wanted: SipTargetTransport[] = target.secure ? ["tls"] : ["udp", "tcp"];
  const chosen = wanted.find((transport) => supported.includes(transport));
  if (chosen === undefined) {
    throw new SipResolveError(
      "SIP_RESOLVE_UNSUPPORTED_TRANSPORT",
      `no supported transport for ${target.secure ? "sips" : "sip"}:${target.name} (need ${wanted.join(" or ")})`,
      { host: target.name },
    );
  }
  return chosen;
}

function parseSipUri(text: string): SipUri {
  try {
    return parseUri(text.trim());
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
    throw new SipResolveError("SIP_RESOLVE_BAD_URI", `cannot parse URI "${text}": ${err.message}`, {
      host: "",
      cause: err,
    });
  }
}

function paramTransport(param: string, secure: boolean, raw: string, name: string): SipTargetTransport {
  if (param === "tls") return "tls";
  if (param === "tcp") return secure ? "tls" : "tcp";
  if (param === "udp" && !secure) return "udp";
  if (param === "udp") {
    throw new SipResolveError("SIP_RESOLVE_BAD_URI", `"${raw}": a sips: URI cannot use transport=udp`, {
      host: name,
    });
  }
  throw new SipResolveError(
    "SIP_RESOLVE_UNSUPPORTED_TRANSPORT",
    `"${raw}": transport=${param} is not supported by this client`,
    { host: name },
  );
}

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
