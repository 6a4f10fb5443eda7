import { RtpPacket } from "rtp.js/packets";
import { describe, expect, it } from "vitest";
import { buildRtpPacket } from "../../../src/media/index.ts";

describe("buildRtpPacket", () => {
  it("writes the RFC 3550 fixed header that rtp.js parses back field by field", () => {
    const payload = Uint8Array.from([1, 2, 3, 4, 5]);
    const bytes = buildRtpPacket({
      payloadType: 8,
      seq: 0x1_0005,
      timestamp: 2 ** 32 + 160,
      ssrc: 0xdeadbeef,
      marker: true,
      payload,
    });
    const packet = new RtpPacket(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    expect(packet.getPayloadType()).toBe(8);
    expect(packet.getSequenceNumber()).toBe(5);
    expect(packet.getTimestamp()).toBe(160);
    expect(packet.getSsrc()).toBe(0xdeadbeef);
    expect(packet.getMarker()).toBe(true);
    expect(new Uint8Array(packet.getPayload().buffer, packet.getPayload().byteOffset, 5)).toEqual(payload);
  });

  it("refuses a payload type above 127", () => {
    expect(() =>
      buildRtpPacket({
        payloadType: 128,
        seq: 0,
        timestamp: 0,
        ssrc: 0,
        marker: false,
        payload: new Uint8Array(),
      }),
    ).toThrow(RangeError);
  });
});
