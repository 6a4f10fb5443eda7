import { describe, expect, it } from "vitest";
import {
  SipMessageRing,
  type SipWireMessage,
  SipWireRecorder,
  sipCallIdOf,
} from "../../../src/capture/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

function message(text: string, direction: "in" | "out" = "in", transport = "udp"): SipWireMessage {
  return {
    direction,
    transport,
    local: { address: "10.0.0.1", port: 5060 },
    remote: { address: "2001:db8::5", port: 5070 },
    bytes: encode(text),
  };
}

describe("sipCallIdOf", () => {
  it("reads the Call-ID in long or compact form, any case, with bare-LF line ends", () => {
    expect(sipCallIdOf(encode("INVITE sip:a SIP/2.0\r\nCall-ID: abc@h\r\n\r\n"))).toBe("abc@h");
    expect(sipCallIdOf(encode("BYE sip:a SIP/2.0\ni:  x1 \n\n"))).toBe("x1");
    expect(sipCallIdOf(encode("SIP/2.0 200 OK\r\ncall-id:Q\r\n\r\nCall-ID: body\r\n"))).toBe("Q");
  });

  it("finds none in garbage or a header named only in the body", () => {
    expect(sipCallIdOf(encode("HELLO"))).toBe("");
    expect(sipCallIdOf(encode("OPTIONS sip:a SIP/2.0\r\n\r\nCall-ID: body\r\n"))).toBe("");
  });
});

describe("SipMessageRing", () => {
  it("keeps the last N messages, oldest first, as copies", () => {
    const ring = new SipMessageRing(2);
    const first = message("ONE");
    ring.push(first, "", 1);
    first.bytes.fill(0x21);
    ring.push(message("TWO"), "", 2);
    expect(ring.messages().map((m) => new TextDecoder().decode(m.bytes))).toEqual(["ONE", "TWO"]);
    ring.push(message("THREE"), "", 3);
    expect(ring.messages().map((m) => m.timeUs)).toEqual([2, 3]);
    expect(ring.size).toBe(2);
  });

  it("renders each message under a line with time, direction, transport and source → destination", () => {
    const ring = new SipMessageRing(5);
    ring.push(message("INVITE sip:srs SIP/2.0\r\n\r\n"), "c", 1_700_000_000_123_456);
    ring.push(message("SIP/2.0 100 Trying\r\n\r\n", "out", "tls"), "c", 1_700_000_000_200_000);
    expect(ring.render()).toBe(
      "=== 2023-11-14T22:13:20.123456Z IN UDP [2001:db8::5]:5070 -> 10.0.0.1:5060 (26 bytes)\n" +
        "INVITE sip:srs SIP/2.0\r\n\r\n\n\n" +
        "=== 2023-11-14T22:13:20.200000Z OUT TLS 10.0.0.1:5060 -> [2001:db8::5]:5070 (22 bytes)\n" +
        "SIP/2.0 100 Trying\r\n\r\n\n",
    );
  });

  it("keeps nothing with a capacity of 0", () => {
    const ring = new SipMessageRing(0);
    ring.push(message("X"), "", 1);
    expect(ring.render()).toBe("");
  });
});

describe("SipWireRecorder", () => {
  it("puts every message in the ring with its Call-ID, an unparseable one too", () => {
    const ring = new SipMessageRing(5);
    const recorder = new SipWireRecorder({ ring, clock: new ManualClock() });
    recorder.record(message("OPTIONS sip:a SIP/2.0\r\nCall-ID: k\r\n\r\n"));
    recorder.record(message("\x00\x01garbage"));
    expect(ring.messages().map((m) => m.sipCallId)).toEqual(["k", ""]);
    expect(ring.messagesOf("k")).toHaveLength(1);
  });
});
