import { describe, expect, it } from "vitest";
import { formatNextHop, nextHopFromUri, SipTransportError } from "../../../../src/sip/index.ts";

describe("nextHopFromUri (RFC 3263 §4 for numeric hosts)", () => {
  it.each([
    ["sip:srs@10.0.0.5", { transport: "udp", address: "10.0.0.5", port: 5060 }],
    ["sip:10.0.0.5:5070;transport=TCP", { transport: "tcp", address: "10.0.0.5", port: 5070 }],
    ["sips:srs@10.0.0.5", { transport: "tls", address: "10.0.0.5", port: 5061 }],
    ["sip:srs@[2001:db8::1]:5062;transport=tls", { transport: "tls", address: "2001:db8::1", port: 5062 }],
  ])("reads %s", (uri, hop) => {
    expect(nextHopFromUri(uri)).toEqual(hop);
  });

  it.each([
    ["sip:srs@rec.example.com", "resolve it first"],
    ["tel:+15551234", "not sip: or sips:"],
    ["sip:10.0.0.5;transport=sctp", 'unsupported transport "sctp"'],
  ])("refuses %s with SipTransportError", (uri, fragment) => {
    expect(() => nextHopFromUri(uri)).toThrow(SipTransportError);
    expect(() => nextHopFromUri(uri)).toThrow(fragment);
  });

  it("formats a hop for logs, with the TLS domain when it differs from the address", () => {
    expect(formatNextHop({ transport: "tls", address: "::1", port: 5061, domain: "srs.example.com" })).toBe(
      "tls:[::1]:5061 (srs.example.com)",
    );
    expect(formatNextHop({ transport: "udp", address: "10.0.0.5", port: 5060 })).toBe("udp:10.0.0.5:5060");
  });
});
