import { SipHeaderList } from "./headers.ts";
import { SipMessageBase } from "./message.ts";

/** A SIP response (RFC 3261 §7.2): `SIP-Version SP Status-Code SP Reason-Phrase`, headers, body. */
export class SipResponse extends SipMessageBase {
  /** Status code, 100–699. */
  status: number;
  /** Reason phrase as written (may be empty). */
  reason: string;

  /** Creates a response; `headers` and `body` default to empty. */
  constructor(
    status: number,
    reason: string,
    options: { version?: string; headers?: SipHeaderList; body?: Uint8Array } = {},
  ) {
    super(
      options.version ?? "SIP/2.0",
      options.headers ?? new SipHeaderList(),
      options.body ?? new Uint8Array(0),
    );
    this.status = status;
    this.reason = reason;
  }
}
