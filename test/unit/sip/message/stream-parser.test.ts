import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SipParseError, type SipRequest, SipStreamParser } from "../../../../src/sip/index.ts";

const invite = new Uint8Array(
  readFileSync(join(import.meta.dirname, "../../../fixtures/sip/siprec-invite.sip")),
);
const encoder = new TextEncoder();
const options = encoder.encode(
  [
    "OPTIONS sip:srs@192.0.2.10 SIP/2.0",
    "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-2",
    "From: <sip:src@192.0.2.1>;tag=a",
    "To: <sip:srs@192.0.2.10>",
    "Call-ID: c2",
    "CSeq: 2 OPTIONS",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n"),
);

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

describe("SipStreamParser", () => {
  it("frames a message delivered in 7-byte chunks, body included", () => {
    const parser = new SipStreamParser();
    const out = [];
    for (let i = 0; i < invite.length; i += 7) out.push(...parser.push(invite.subarray(i, i + 7)));
    expect(out).toHaveLength(1);
    expect((out[0] as SipRequest).method).toBe("INVITE");
    expect(out[0]?.body.length).toBe(out[0]?.contentLength);
    expect(parser.buffered).toBe(0);
  });

  it("returns two messages that arrive in one chunk", () => {
    const out = new SipStreamParser().push(concat(invite, options));
    expect(out.map((m) => (m as SipRequest).method)).toEqual(["INVITE", "OPTIONS"]);
  });

  it("keeps the bytes of a second, partial message for the next chunk", () => {
    const parser = new SipStreamParser();
    const first = parser.push(concat(options, invite.subarray(0, 100)));
    expect(first).toHaveLength(1);
    const second = parser.push(invite.subarray(100));
    expect((second[0] as SipRequest).method).toBe("INVITE");
  });

  it("skips CRLF keep-alives between messages and reports each double-CRLF ping (RFC 5626 §4.4.1)", () => {
    let pings = 0;
    const parser = new SipStreamParser({ onPing: () => pings++ });
    expect(parser.push(encoder.encode("\r\n\r\n"))).toEqual([]);
    const out = parser.push(concat(encoder.encode("\r\n\r\n"), options, encoder.encode("\r\n")));
    expect(out).toHaveLength(1);
    expect(pings).toBe(2);
  });

  it("throws SipParseError on garbage, and works again after reset()", () => {
    const parser = new SipStreamParser();
    expect(() => parser.push(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))).toThrow(SipParseError);
    parser.reset();
    expect(parser.push(options)).toHaveLength(1);
  });

  it("requires Content-Length on a stream (RFC 3261 §18.3)", () => {
    const withoutLength = encoder.encode(
      new TextDecoder().decode(options).replace("Content-Length: 0\r\n", ""),
    );
    expect(() => new SipStreamParser().push(withoutLength)).toThrow(/Content-Length is required/);
  });

  it("throws when a head grows past maxBytes without a blank line", () => {
    const parser = new SipStreamParser({ maxBytes: 64 });
    expect(() => parser.push(encoder.encode(`OPTIONS sip:a@b SIP/2.0\r\nX: ${"a".repeat(100)}`))).toThrow(
      SipParseError,
    );
  });

  it("delivers the messages before a bad one when read with next()", () => {
    const parser = new SipStreamParser();
    parser.append(concat(options, encoder.encode("garbage\r\n\r\n")));
    expect((parser.next() as SipRequest).method).toBe("OPTIONS");
    expect(() => parser.next()).toThrow(SipParseError);
  });
});
