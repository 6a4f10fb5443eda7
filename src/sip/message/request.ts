import { parseDecimal } from "./core-headers.ts";
import { SipHeaderList } from "./headers.ts";
import { SipMessageBase } from "./message.ts";

/** A SIP request (RFC 3261 §7.1): `Method SP Request-URI SP SIP-Version`, headers, body. */
export class SipRequest extends SipMessageBase {
  /** Method as written (case-sensitive, RFC 3261 §7.1), e.g. `INVITE`. */
  method: string;
  /** Request-URI as written, e.g. `sip:srs@10.0.0.5:5060`. */
  uri: string;

  /** Creates a request; `headers` and `body` default to empty. */
  constructor(
    method: string,
    uri: string,
    options: { version?: string; headers?: SipHeaderList; body?: Uint8Array } = {},
  ) {
    super(
      options.version ?? "SIP/2.0",
      options.headers ?? new SipHeaderList(),
      options.body ?? new Uint8Array(0),
    );
    this.method = method;
    this.uri = uri;
  }

  /** The Max-Forwards value (RFC 3261 §20.22), or `undefined` when absent. @throws SipParseError */
  get maxForwards(): number | undefined {
    const raw = this.headers.get("max-forwards");
    return raw === undefined ? undefined : parseDecimal("Max-Forwards", raw);
  }
}
