import { parseCallId, parseCSeq, parseDecimal, type SipCSeq } from "./core-headers.ts";
import type { SipHeaderList } from "./headers.ts";
import { parseNameAddr, type SipNameAddr } from "./name-addr.ts";
import { parseViaList, type SipVia } from "./via.ts";

const utf8 = new TextDecoder("utf-8");

/** Cache of a value parsed from a header, valid while the header text is unchanged. */
interface Parsed<T> {
  raw: string;
  value: T;
}

/**
 * What requests and responses share: version, ordered headers, body, and parsed views of the
 * headers every layer needs (RFC 3261 §7). The parsed getters throw `SipParseError` (SIP_PARSE)
 * when a header is malformed; messages from {@link parseMessage} have been checked already.
 */
export abstract class SipMessageBase {
  /** Protocol version from the start line, e.g. `SIP/2.0`. */
  version: string;
  /** Header fields in order. */
  headers: SipHeaderList;
  /** Body bytes (length = Content-Length). */
  body: Uint8Array;

  // Parsed-header caches keyed by the raw header text.
  #cseq: Parsed<SipCSeq> | undefined;
  #from: Parsed<SipNameAddr> | undefined;
  #to: Parsed<SipNameAddr> | undefined;
  #via: Parsed<SipVia[]> | undefined;

  constructor(version: string, headers: SipHeaderList, body: Uint8Array) {
    this.version = version;
    this.headers = headers;
    this.body = body;
  }

  /** First value of header `name` (case-insensitive; compact forms `i m f t v l c k s e o u r b x y`). */
  header(name: string): string | undefined {
    return this.headers.get(name);
  }

  /** Every value of header `name`: all lines, list headers split at commas outside quotes and `<>`. */
  headerAll(name: string): string[] {
    return this.headers.values(name);
  }

  /** The Call-ID (RFC 3261 §20.8), or `undefined` when absent. */
  get callId(): string | undefined {
    const raw = this.headers.get("call-id");
    return raw === undefined ? undefined : parseCallId(raw);
  }

  /** The parsed CSeq (RFC 3261 §20.16), or `undefined` when absent. @throws SipParseError */
  get cseq(): SipCSeq | undefined {
    const raw = this.headers.get("cseq");
    if (raw === undefined) return undefined;
    if (this.#cseq?.raw !== raw) this.#cseq = { raw, value: parseCSeq(raw) };
    return this.#cseq.value;
  }

  /** The parsed From (RFC 3261 §20.20), or `undefined` when absent. @throws SipParseError */
  get from(): SipNameAddr | undefined {
    const raw = this.headers.get("from");
    if (raw === undefined) return undefined;
    if (this.#from?.raw !== raw) this.#from = { raw, value: parseNameAddr(raw) };
    return this.#from.value;
  }

  /** The parsed To (RFC 3261 §20.39), or `undefined` when absent. @throws SipParseError */
  get to(): SipNameAddr | undefined {
    const raw = this.headers.get("to");
    if (raw === undefined) return undefined;
    if (this.#to?.raw !== raw) this.#to = { raw, value: parseNameAddr(raw) };
    return this.#to.value;
  }

  /** Every Via value, top (most recent hop) first (RFC 3261 §20.42); `[]` when absent. @throws SipParseError */
  get via(): SipVia[] {
    const lines = this.headers.getAll("via");
    const raw = lines.join("\n");
    if (this.#via?.raw !== raw) this.#via = { raw, value: lines.flatMap(parseViaList) };
    return this.#via.value;
  }

  /** The Content-Type media type, lowercased without parameters (e.g. `multipart/mixed`), or `undefined`. */
  get contentType(): string | undefined {
    const raw = this.contentTypeRaw;
    if (raw === undefined) return undefined;
    const semi = raw.indexOf(";");
    return (semi < 0 ? raw : raw.slice(0, semi)).trim().toLowerCase();
  }

  /** The Content-Type header as written, parameters included (e.g. `multipart/mixed;boundary=x`). */
  get contentTypeRaw(): string | undefined {
    return this.headers.get("content-type");
  }

  /** The Content-Length header value, or `undefined` when absent. @throws SipParseError */
  get contentLength(): number | undefined {
    const raw = this.headers.get("content-length");
    return raw === undefined ? undefined : parseDecimal("Content-Length", raw);
  }

  /** The body decoded as UTF-8 (invalid bytes become U+FFFD). */
  get bodyText(): string {
    return utf8.decode(this.body);
  }
}
