import { describe, expect, it } from "vitest";
import { formatListenSpec, parseListenSpec, SipTransportError } from "../../../../src/sip/index.ts";

describe("parseListenSpec", () => {
  it.each([
    ["udp:0.0.0.0:5060", { transport: "udp", host: "0.0.0.0", port: 5060 }],
    ["tcp:127.0.0.1:0", { transport: "tcp", host: "127.0.0.1", port: 0 }],
    ["UDP:[::1]:5062", { transport: "udp", host: "::1", port: 5062 }],
    ["tls:0.0.0.0:5061", { transport: "tls", host: "0.0.0.0", port: 5061 }],
  ])("parses %s", (text, spec) => {
    expect(parseListenSpec(text)).toEqual(spec);
  });

  it.each([
    ["udp:0.0.0.0", "transport:host:port"],
    ["sctp:0.0.0.0:5060", 'unsupported transport "sctp"'],
    ["udp::5060", "bad host"],
    ["udp:0.0.0.0:65536", 'bad port "65536"'],
    ["udp:0.0.0.0:sip", 'bad port "sip"'],
  ])("rejects %s with SipTransportError naming the bad part", (text, fragment) => {
    expect(() => parseListenSpec(text)).toThrow(SipTransportError);
    expect(() => parseListenSpec(text)).toThrow(fragment);
  });

  it("formats back, with IPv6 in brackets", () => {
    expect(formatListenSpec({ transport: "udp", host: "::1", port: 5060 })).toBe("udp:[::1]:5060");
  });
});
