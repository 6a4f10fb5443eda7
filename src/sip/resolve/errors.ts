import { SrsError } from "../../lib/index.ts";

/** Stable codes of {@link SipResolveError}. */
export type SipResolveErrorCode =
  | "SIP_RESOLVE_FAILED"
  | "SIP_RESOLVE_BAD_URI"
  | "SIP_RESOLVE_UNSUPPORTED_TRANSPORT";

/**
 * A SIP or SIPS URI could not be turned into targets (RFC 3263 §4), with a stable `code`:
 * - `SIP_RESOLVE_FAILED`: DNS gave no usable address for the host (NXDOMAIN, no NAPTR/SRV/A/AAAA
 *   records, or the server failed; the last DNS error is the `cause`). `host` names the name.
 * - `SIP_RESOLVE_BAD_URI`: not a `sip:`/`sips:` URI, unparseable, or `sips:` with `transport=udp`
 *   (RFC 3261 §26.2.2: SIPS needs TLS over a reliable transport).
 * - `SIP_RESOLVE_UNSUPPORTED_TRANSPORT`: the URI's `transport=` (or the only transport it allows)
 *   is not one of `ResolveOptions.transports`.
 */
export class SipResolveError extends SrsError {
  /** Stable identifier of the failure. */
  readonly code: SipResolveErrorCode;
  /** The host (or `maddr`) being resolved, as in the URI. */
  readonly host: string;

  constructor(code: SipResolveErrorCode, message: string, options: { host: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.host = options.host;
  }
}
