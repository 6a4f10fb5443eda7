/**
 * SIP message parser (RFC 3261 §7, §25): datagram mode ({@link parseMessage}) and the head parser
 * shared with the stream framer.
 * @module
 */
import { parseCallId, parseCSeq, parseDecimal } from "./core-headers.ts";
import { SipParseError } from "./errors.ts";
import { isToken } from "./grammar.ts";
import { splitHeaderList } from "./headers.ts";
import { parseNameAddr } from "./name-addr.ts";
import { SipRequest } from "./request.ts";
import { SipResponse } from "./response.ts";
import type { SipMessage } from "./sip-message.ts";
import { parseUri } from "./uri.ts";
import { parseViaList } from "./via.ts";

/** Default upper bound of one message (bytes): the largest UDP payload. */
export const defaultMaxMessageBytes = 65535;

/** Options of {@link parseMessage}. */
export interface ParseOptions {
  /** Largest accepted message in bytes. @default 65535 */
  maxBytes?: number;
}

/** A message whose head is parsed; the body is attached once framing knows its length. */
export interface ParsedHead {
  /** The message with an empty body. */
  message: SipMessage;
  /** The Content-Length value, when present. */
  contentLength: number | undefined;
}

const versionPattern = /^SIP\/\d+\.\d+$/i;
const uriSchemePattern = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;
const singleValueHeaders = new Set(["call-id", "cseq", "from", "to", "max-forwards", "content-type"]);

/** Views `data` as a Node `Buffer` without copying (for fast latin1 decoding). */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Finds the blank line that ends the head (CRLFCRLF, or bare LFLF) in `data[from, to)`.
 * @returns the index of the first body byte, or -1 when the head is not complete yet.
 */
export function findHeadEnd(data: Uint8Array, from: number, to: number): number {
  for (let i = data.indexOf(0x0a, from); i >= 0 && i < to; i = data.indexOf(0x0a, i + 1)) {
    const next = data[i + 1];
    if (i + 1 < to && next === 0x0a) return i + 2;
    if (i + 2 < to && next === 0x0d && data[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/** Index of the first byte at or after `from` that is not CR or LF (RFC 3261 §7.5 leading CRLFs). */
export function skipLineBreaks(data: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i < to && (data[i] === 0x0d || data[i] === 0x0a)) i++;
  return i;
}

/**
 * Parses a SIP message from one datagram (RFC 3261 §18.3): the body is Content-Length bytes
 * (extra bytes are discarded), or the rest of the datagram when Content-Length is absent.
 * Leading CRLFs are skipped.
 * @throws SipParseError (SIP_PARSE, with `offset`) on a message larger than `maxBytes`, a missing
 *   blank line, a bad start line or header, or a Content-Length larger than the datagram.
 */
export function parseMessage(data: Uint8Array, options: ParseOptions = {}): SipMessage {
  const maxBytes = options.maxBytes ?? defaultMaxMessageBytes;
  if (data.length > maxBytes) {
    throw new SipParseError(`message of ${data.length} bytes exceeds ${maxBytes} bytes`, maxBytes);
  }
  const start = skipLineBreaks(data, 0, data.length);
  if (start === data.length) throw new SipParseError("empty message", 0);
  const bodyStart = findHeadEnd(data, start, data.length);
  if (bodyStart < 0) throw new SipParseError("no blank line after the headers", data.length);
  const head = parseHead(asBuffer(data).toString("latin1", start, bodyStart), start);
  const length = head.contentLength ?? data.length - bodyStart;
  if (bodyStart + length > data.length) {
    throw new SipParseError(
      `Content-Length ${length} exceeds the ${data.length - bodyStart} body bytes received`,
      bodyStart,
    );
  }
  head.message.body = data.slice(bodyStart, bodyStart + length);
  return head.message;
}

/**
 * Parses the start line and headers of a message (`text` is latin1-decoded bytes, including the
 * terminating blank line; `base` is its byte offset, for error offsets). Unfolds continuation lines
 * (RFC 3261 §7.3.1), decodes non-ASCII values as UTF-8, and checks the headers the transaction layer
 * relies on (Via, From, To, Call-ID, CSeq, Content-Length, Max-Forwards, Contact).
 * @throws SipParseError (SIP_PARSE) with the offset of the bad line.
 */
export function parseHead(text: string, base: number): ParsedHead {
  const lines: string[] = [];
  const offsets: number[] = [];
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) nl = text.length;
    const end = nl > pos && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
    if (end === pos) break;
    const first = text.charCodeAt(pos);
    if (first === 0x20 || first === 0x09) {
      if (lines.length < 2) throw new SipParseError("line starts with whitespace", base + pos);
      const last = lines.length - 1;
      lines[last] = `${(lines[last] ?? "").trimEnd()} ${text.slice(pos, end).trim()}`;
    } else {
      lines.push(text.slice(pos, end));
      offsets.push(base + pos);
    }
    pos = nl + 1;
  }
  const message = parseStartLine(lines[0] ?? "", base);
  const headers = message.headers;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon).replace(/[ \t]+$/, "");
    if (!isToken(name)) throw new SipParseError(`bad header line "${line}"`, offsets[i] ?? base);
    let value = line.slice(colon + 1).trim();
    if (/[\x80-\xff]/.test(value)) value = Buffer.from(value, "latin1").toString("utf8");
    headers.append(name, value);
  }
  const contentLength = checkHeaders(message, offsets);
  return { message, contentLength };
}

function parseStartLine(line: string, base: number): SipMessage {
  const sp1 = line.indexOf(" ");
  const sp2 = line.indexOf(" ", sp1 + 1);
  if (line.startsWith("SIP/")) {
    const version = line.slice(0, sp1);
    const code = sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2);
    if (sp1 < 0 || !versionPattern.test(version) || !/^[1-6]\d\d$/.test(code)) {
      throw new SipParseError(`bad status line "${line}"`, base);
    }
    return new SipResponse(Number(code), sp2 < 0 ? "" : decodeUtf8(line.slice(sp2 + 1)), { version });
  }
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (sp1 < 0 || sp2 < 0 || !isToken(method)) throw new SipParseError(`bad request line "${line}"`, base);
  if (!uriSchemePattern.test(uri)) throw new SipParseError(`bad Request-URI "${uri}"`, base + sp1 + 1);
  if (!versionPattern.test(version)) throw new SipParseError(`bad SIP version "${version}"`, base + sp2 + 1);
  try {
    parseUri(uri);
  } catch (err) {
    throw new SipParseError(`bad Request-URI "${uri}"`, base + sp1 + 1, { cause: err });
  }
  return new SipRequest(method, uri, { version });
}

function decodeUtf8(latin1: string): string {
  return /[\x80-\xff]/.test(latin1) ? Buffer.from(latin1, "latin1").toString("utf8") : latin1;
}

/** Checks the core headers; returns the Content-Length. Offsets are those of the header lines. */
function checkHeaders(message: SipMessage, offsets: number[]): number | undefined {
  const headers = message.headers;
  const seen = new Set<string>();
  let contentLength: number | undefined;
  for (let i = 0; i < headers.size; i++) {
    const key = headers.keyAt(i);
    const value = headers.valueAt(i);
    const offset = offsets[i + 1] ?? 0;
    try {
      if (singleValueHeaders.has(key)) {
        if (seen.has(key)) throw new SipParseError(`more than one ${headers.nameAt(i)} header`);
        seen.add(key);
      }
      const length = checkHeader(message, key, value);
      if (length !== undefined) {
        if (contentLength !== undefined && contentLength !== length) {
          throw new SipParseError("conflicting Content-Length headers");
        }
        contentLength = length;
      }
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      throw new SipParseError(`${headers.nameAt(i)}: ${err.message}`, offset, {
        cause: err,
        partial: message,
      });
    }
  }
  return contentLength;
}

function checkHeader(message: SipMessage, key: string, value: string): number | undefined {
  switch (key) {
    case "via":
      parseViaList(value);
      break;
    case "from":
    case "to":
      parseNameAddr(value);
      break;
    case "call-id":
      parseCallId(value);
      break;
    case "cseq": {
      const cseq = parseCSeq(value);
      if (message instanceof SipRequest && cseq.method !== message.method) {
        throw new SipParseError(`method ${cseq.method} does not match request method ${message.method}`);
      }
      break;
    }
    case "max-forwards":
      parseDecimal("Max-Forwards", value);
      break;
    case "contact":
      for (const part of splitHeaderList(value)) {
        if (part === "") throw new SipParseError("empty Contact value");
        if (part !== "*") parseNameAddr(part);
      }
      break;
    case "content-length":
      return parseDecimal("Content-Length", value);
  }
  return undefined;
}
