import { SipRequest } from "./request.ts";
import type { SipMessage } from "./sip-message.ts";

const encoder = new TextEncoder();

/**
 * Serializes a message to bytes: start line, headers in order (`Name: value`, CRLF), blank line,
 * body (RFC 3261 §7). Content-Length always states the real body length: the first Content-Length
 * line is rewritten in place (keeping its spelling, e.g. compact `l`), further ones are dropped, and
 * one is appended when missing (mandatory on streams, RFC 3261 §18.3, §20.14).
 */
export function serializeMessage(msg: SipMessage): Uint8Array {
  let head =
    msg instanceof SipRequest
      ? `${msg.method} ${msg.uri} ${msg.version}\r\n`
      : `${msg.version} ${msg.status} ${msg.reason}\r\n`;
  const headers = msg.headers;
  let wroteLength = false;
  for (let i = 0; i < headers.size; i++) {
    if (headers.keyAt(i) === "content-length") {
      if (!wroteLength) head += `${headers.nameAt(i)}: ${msg.body.length}\r\n`;
      wroteLength = true;
    } else {
      head += `${headers.nameAt(i)}: ${headers.valueAt(i)}\r\n`;
    }
  }
  if (!wroteLength) head += `Content-Length: ${msg.body.length}\r\n`;
  head += "\r\n";
  const out = new Uint8Array(head.length * 3 + msg.body.length);
  const { written } = encoder.encodeInto(head, out);
  out.set(msg.body, written);
  return out.subarray(0, written + msg.body.length);
}
