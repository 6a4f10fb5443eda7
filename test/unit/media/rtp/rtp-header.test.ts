import { RtpPacket } from "rtp.js/packets";
import { describe, expect, it } from "vitest";
import { RtpHeader, RtpHeaderResult, readRtpHeader } from "../../../../src/media/rtp/rtp-header.ts";
import { buildRtp, type TestPacket } from "../rtp-harness.ts";

const viewOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function read(bytes: Uint8Array): { result: RtpHeaderResult; header: RtpHeader } {
  const header = new RtpHeader();
  return { result: readRtpHeader(viewOf(bytes), header), header };
}

describe("RTP header reader", () => {
  it.each<[string, TestPacket]>([
    ["plain", { seq: 1, ts: 160, pt: 0 }],
    ["marker, high seq and timestamp", { seq: 65535, ts: 0xfffffff0, pt: 8, marker: true, ssrc: 0xffffffff }],
    ["CSRCs", { seq: 7, ts: 1, csrcs: [1, 2, 3] }],
    ["header extension", { seq: 7, ts: 1, extensionWords: 3 }],
    ["padding", { seq: 7, ts: 1, padding: 4 }],
    ["everything", { seq: 9, ts: 2, csrcs: [5], extensionWords: 1, padding: 1, marker: true }],
  ])("reads the same fields and payload as rtp.js's RtpPacket (%s)", (_name, packet) => {
    const bytes = buildRtp({ ...packet, payload: Uint8Array.from({ length: 33 }, (_, i) => i + 1) });
    const reference = new RtpPacket(viewOf(bytes));
    const { result, header } = read(bytes);
    expect(result).toBe(RtpHeaderResult.Rtp);
    expect(header).toMatchObject({
      payloadType: reference.getPayloadType(),
      marker: reference.getMarker(),
      sequenceNumber: reference.getSequenceNumber(),
      timestamp: reference.getTimestamp(),
      ssrc: reference.getSsrc(),
    });
    const payload = reference.getPayload();
    expect(header.payloadStart).toBe(payload.byteOffset - bytes.byteOffset);
    expect(header.payloadEnd - header.payloadStart).toBe(payload.byteLength);
  });

  it("reads a packet serialized by rtp.js with one-byte extensions and CSRCs", () => {
    const packet = new RtpPacket();
    packet.setPayloadType(8);
    packet.setSequenceNumber(4242);
    packet.setTimestamp(123456);
    packet.setSsrc(0xdeadbeef);
    packet.setCsrcs([11, 22]);
    packet.enableOneByteExtensions();
    packet.setExtension(1, new DataView(new Uint8Array([9, 9, 9]).buffer));
    packet.setPayload(new DataView(new Uint8Array([1, 2, 3, 4, 5]).buffer));
    packet.serialize();
    const view = packet.getView();
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const { result, header } = read(bytes);
    expect(result).toBe(RtpHeaderResult.Rtp);
    expect(header).toMatchObject({
      payloadType: 8,
      sequenceNumber: 4242,
      timestamp: 123456,
      ssrc: 0xdeadbeef,
    });
    expect([...bytes.subarray(header.payloadStart, header.payloadEnd)]).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([192, 200, 201, 204, 223])("recognises RTCP packet type %i on the RTP port", (type) => {
    const bytes = new Uint8Array(28);
    bytes.set([0x80, type, 0, 6]);
    expect(read(bytes).result).toBe(RtpHeaderResult.Rtcp);
  });

  it.each<[string, Uint8Array]>([
    ["empty", new Uint8Array(0)],
    ["shorter than the fixed header", new Uint8Array([0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])],
    ["version 1", Uint8Array.of(0x40, ...new Uint8Array(20))],
    ["version 0 (STUN-like)", Uint8Array.of(0x00, 0x01, ...new Uint8Array(30))],
    ["CSRC count beyond the datagram", Uint8Array.of(0x8f, 0, ...new Uint8Array(14))],
    ["extension header cut off", Uint8Array.of(0x90, 0, ...new Uint8Array(12))],
    ["padding count 0", Uint8Array.of(0xa0, 0, ...new Uint8Array(12))],
    ["padding longer than the packet", Uint8Array.of(0xa0, 0, ...new Uint8Array(11), 99)],
  ])("rejects a malformed datagram (%s)", (_name, bytes) => {
    expect(read(bytes).result).toBe(RtpHeaderResult.Malformed);
  });
});
