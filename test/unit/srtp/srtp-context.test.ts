import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SrtpContext, SrtpError, type SrtpProfile } from "../../../src/srtp/index.ts";
import { deriveSessionKeys } from "../../../src/srtp/key-derivation.ts";
import { referenceProtect, rtcpPacket, rtpPacket, testKey } from "./srtp-harness.ts";

const profiles: [SrtpProfile, number][] = [
  ["AES_CM_128_HMAC_SHA1_80", 10],
  ["AES_CM_128_HMAC_SHA1_32", 4],
];

/** Sequence numbers 65530…65535, 0…5: one wrap of the 16-bit RTP sequence number. */
const acrossWrap = [
  ...Array.from({ length: 6 }, (_, i) => 65530 + i),
  ...Array.from({ length: 6 }, (_, i) => i),
];

describe.each(profiles)("SrtpContext %s", (profile, tagLength) => {
  it(`appends a ${tagLength}-byte tag, leaves the RTP header untouched and encrypts the payload`, () => {
    const rtp = rtpPacket(1000);
    const srtp = new SrtpContext(testKey(profile)).protect(rtp);
    expect(srtp.byteLength).toBe(172 + tagLength);
    expect(srtp.subarray(0, 12)).toEqual(rtp.subarray(0, 12));
    expect(srtp.subarray(12, 172)).not.toEqual(rtp.subarray(12));
  });

  it("round-trips packets across a sequence number wrap, the ROC stepping from 0 to 1 at 65535→0", () => {
    const key = testKey(profile);
    const sender = new SrtpContext(key);
    const receiver = new SrtpContext(key);
    for (const seq of acrossWrap) {
      const rtp = rtpPacket(seq);
      const srtp = sender.protect(rtp);
      expect(srtp).toEqual(referenceProtect(key, rtp, seq >= 65530 ? 0 : 1));
      expect(receiver.unprotect(srtp)).toEqual(rtp);
    }
    expect(receiver.stats).toEqual({ authFailures: 0, replays: 0, malformed: 0 });
  });

  it("refuses a packet whose payload, header or tag was altered, and counts it", () => {
    const key = testKey(profile);
    const srtp = new SrtpContext(key).protect(rtpPacket(7));
    const receiver = new SrtpContext(key);
    for (const offset of [1, 40, srtp.byteLength - 1]) {
      const tampered = srtp.slice();
      tampered[offset] = tampered[offset]! ^ 0x01;
      expect(receiver.unprotect(tampered)).toBeUndefined();
    }
    expect(receiver.stats.authFailures).toBe(3);
    expect(receiver.unprotect(srtp)).toEqual(rtpPacket(7));
  });

  it("refuses a packet protected with another key", () => {
    const srtp = new SrtpContext(testKey(profile, 2)).protect(rtpPacket(7));
    const receiver = new SrtpContext(testKey(profile, 1));
    expect(receiver.unprotect(srtp)).toBeUndefined();
    expect(receiver.stats.authFailures).toBe(1);
  });

  it("refuses a replayed packet and counts it", () => {
    const key = testKey(profile);
    const sender = new SrtpContext(key);
    const receiver = new SrtpContext(key);
    const first = sender.protect(rtpPacket(100));
    expect(receiver.unprotect(first)).toBeDefined();
    expect(receiver.unprotect(sender.protect(rtpPacket(101)))).toBeDefined();
    expect(receiver.unprotect(first)).toBeUndefined();
    expect(receiver.unprotect(first)).toBeUndefined();
    expect(receiver.stats).toEqual({ authFailures: 0, replays: 2, malformed: 0 });
  });
});

describe("SrtpContext receiver window", () => {
  const key = testKey("AES_CM_128_HMAC_SHA1_80");

  function protectAll(seqs: number[]): Map<number, Uint8Array> {
    const sender = new SrtpContext(key);
    return new Map(seqs.map((seq) => [seq, sender.protect(rtpPacket(seq))]));
  }

  it("accepts packets out of order within the 64-packet window, each once", () => {
    const packets = protectAll(Array.from({ length: 70 }, (_, i) => 500 + i));
    const receiver = new SrtpContext(key);
    const order = [500, 569, 507, 506, 530, 507, 508, 520, 569, 568];
    const accepted = order.map((seq) => receiver.unprotect(packets.get(seq)!) !== undefined);
    expect(accepted).toEqual([true, true, true, true, true, false, true, true, false, true]);
    expect(receiver.stats.replays).toBe(2);
  });

  it("refuses a packet 64 or more behind the highest as too old", () => {
    const packets = protectAll(Array.from({ length: 70 }, (_, i) => 500 + i));
    const receiver = new SrtpContext(key);
    receiver.unprotect(packets.get(569)!);
    expect(receiver.unprotect(packets.get(505)!)).toBeUndefined();
    expect(receiver.unprotect(packets.get(506)!)).toEqual(rtpPacket(506));
    expect(receiver.stats.replays).toBe(1);
  });

  it("decrypts a late packet from before the wrap after the first packets of the next cycle", () => {
    const packets = protectAll(acrossWrap);
    const receiver = new SrtpContext(key);
    for (const seq of [65530, 65531, 65532, 65533, 0, 1, 65535, 2, 65534, 3]) {
      expect(receiver.unprotect(packets.get(seq)!)).toEqual(rtpPacket(seq));
    }
  });

  it("keeps the ROC across a burst loss that spans the wrap", () => {
    const packets = protectAll([65000, 1000, 1001]);
    const receiver = new SrtpContext(key);
    expect(receiver.unprotect(packets.get(65000)!)).toBeDefined();
    expect(receiver.unprotect(packets.get(1000)!)).toEqual(rtpPacket(1000));
    expect(receiver.unprotect(packets.get(1001)!)).toEqual(rtpPacket(1001));
  });

  it("keeps separate index state for each SSRC", () => {
    const sender = new SrtpContext(key);
    const receiver = new SrtpContext(key);
    const a = sender.protect(rtpPacket(9, { ssrc: 1 }));
    const b = sender.protect(rtpPacket(9, { ssrc: 2 }));
    expect(receiver.unprotect(a)).toEqual(rtpPacket(9, { ssrc: 1 }));
    expect(receiver.unprotect(b)).toEqual(rtpPacket(9, { ssrc: 2 }));
  });

  it("counts a datagram too short for a header and tag as malformed", () => {
    const receiver = new SrtpContext(key);
    expect(receiver.unprotect(new Uint8Array(21))).toBeUndefined();
    expect(receiver.unprotect(new Uint8Array(40))).toBeUndefined();
    expect(receiver.stats).toEqual({ authFailures: 0, replays: 0, malformed: 2 });
  });
});

describe("SrtpContext packet shapes", () => {
  const key = testKey("AES_CM_128_HMAC_SHA1_80");

  it("leaves CSRCs and the header extension in the clear and round-trips them", () => {
    const rtp = rtpPacket(3, { csrcs: 2, extensionWords: 2 });
    const headerBytes = 12 + 8 + 12;
    const srtp = new SrtpContext(key).protect(rtp);
    expect(srtp.subarray(0, headerBytes)).toEqual(rtp.subarray(0, headerBytes));
    expect(srtp).toEqual(referenceProtect(key, rtp, 0, headerBytes));
    expect(new SrtpContext(key).unprotect(srtp)).toEqual(rtp);
  });

  it("protects a packet with an empty payload (only the header is authenticated)", () => {
    const rtp = rtpPacket(3, { payloadBytes: 0 });
    expect(new SrtpContext(key).unprotect(new SrtpContext(key).protect(rtp))).toEqual(rtp);
  });

  it("does not modify the packets it is given", () => {
    const rtp = rtpPacket(3);
    const srtp = new SrtpContext(key).protect(rtp);
    const copy = srtp.slice();
    new SrtpContext(key).unprotect(srtp);
    expect(rtp).toEqual(rtpPacket(3));
    expect(srtp).toEqual(copy);
  });

  it("leaves Buffers untouched too (Buffer#slice shares memory, so copies must not use it)", () => {
    const bufferKey = {
      ...key,
      masterKey: Buffer.from(key.masterKey),
      masterSalt: Buffer.from(key.masterSalt),
      mki: Buffer.of(9),
    };
    const sender = new SrtpContext(bufferKey);
    const receiver = new SrtpContext(bufferKey);
    const srtp = Buffer.from(sender.protect(Buffer.from(rtpPacket(3))));
    const srtcp = Buffer.from(sender.protectRtcp(Buffer.from(rtcpPacket())));
    const before = [Buffer.from(srtp), Buffer.from(srtcp)];
    expect(receiver.unprotect(srtp)).toEqual(rtpPacket(3));
    expect(receiver.unprotectRtcp(srtcp)).toEqual(rtcpPacket());
    expect([srtp, srtcp]).toEqual(before);
    expect(bufferKey.masterKey).toEqual(Buffer.from(key.masterKey));
    expect(bufferKey.masterSalt).toEqual(Buffer.from(key.masterSalt));
  });

  it("writes the MKI between payload and tag and refuses packets with another MKI", () => {
    const withMki = testKey("AES_CM_128_HMAC_SHA1_32", 1, Uint8Array.of(0, 0, 0, 1));
    const rtp = rtpPacket(3);
    const srtp = new SrtpContext(withMki).protect(rtp);
    expect(srtp.byteLength).toBe(172 + 4 + 4);
    expect(srtp.subarray(172, 176)).toEqual(Uint8Array.of(0, 0, 0, 1));
    expect(srtp).toEqual(referenceProtect(withMki, rtp, 0));
    expect(new SrtpContext(withMki).unprotect(srtp)).toEqual(rtp);
    const other = new SrtpContext({ ...withMki, mki: Uint8Array.of(0, 0, 0, 2) });
    expect(other.unprotect(srtp)).toBeUndefined();
    expect(other.stats.authFailures).toBe(1);
  });

  it("refuses to protect bytes that are not RTP", () => {
    const context = new SrtpContext(key);
    const notRtp = rtpPacket(1);
    notRtp[0] = 0x40;
    expect(() => context.protect(notRtp)).toThrow(expect.objectContaining({ code: "SRTP_BAD_PACKET" }));
    expect(() => context.protect(new Uint8Array(8))).toThrow(SrtpError);
  });

  it.each([
    ["a 15-byte master key", { masterKey: new Uint8Array(15) }],
    ["a 16-byte master salt", { masterSalt: new Uint8Array(16) }],
    ["an empty MKI", { mki: new Uint8Array(0) }],
    ["an unknown profile", { profile: "AEAD_AES_128_GCM" }],
  ])("refuses %s with SRTP_BAD_KEY", (_name, change) => {
    const bad = { ...key, ...change } as typeof key;
    expect(() => new SrtpContext(bad)).toThrow(expect.objectContaining({ code: "SRTP_BAD_KEY" }));
  });
});

describe.each(profiles)("SrtpContext SRTCP %s", (profile) => {
  const key = testKey(profile);

  it("appends E=1, the SRTCP index and an 80-bit tag, and round-trips", () => {
    const sender = new SrtpContext(key);
    const receiver = new SrtpContext(key);
    const rtcp = rtcpPacket();
    for (let index = 0; index < 3; index++) {
      const srtcp = sender.protectRtcp(rtcp);
      expect(srtcp.byteLength).toBe(rtcp.byteLength + 4 + 10);
      expect(srtcp.subarray(0, 8)).toEqual(rtcp.subarray(0, 8));
      expect(srtcp.subarray(8, rtcp.byteLength)).not.toEqual(rtcp.subarray(8));
      expect(new DataView(srtcp.buffer).getUint32(rtcp.byteLength)).toBe((0x80000000 | index) >>> 0);
      expect(receiver.unprotectRtcp(srtcp)).toEqual(rtcp);
    }
  });

  it("refuses a replayed or altered SRTCP packet", () => {
    const sender = new SrtpContext(key);
    const receiver = new SrtpContext(key);
    const srtcp = sender.protectRtcp(rtcpPacket());
    expect(receiver.unprotectRtcp(srtcp)).toBeDefined();
    expect(receiver.unprotectRtcp(srtcp)).toBeUndefined();
    const next = sender.protectRtcp(rtcpPacket());
    next[10] = next[10]! ^ 0x80;
    expect(receiver.unprotectRtcp(next)).toBeUndefined();
    expect(receiver.stats).toEqual({ authFailures: 1, replays: 1, malformed: 0 });
  });

  it("accepts an unencrypted SRTCP packet (E=0) whose tag is right", () => {
    const rtcp = rtcpPacket();
    const trailer = Uint8Array.of(0, 0, 0, 5);
    const authenticated = Buffer.concat([rtcp, trailer]);
    const { authKey } = deriveSessionKeys(key.masterKey, key.masterSalt, true);
    const tag = createHmac("sha1", authKey).update(authenticated).digest().subarray(0, 10);
    const srtcp = new Uint8Array(Buffer.concat([authenticated, tag]));
    expect(new SrtpContext(key).unprotectRtcp(srtcp)).toEqual(rtcp);
  });

  it("refuses SRTCP protected with the SRTP keys of another context", () => {
    const srtcp = new SrtpContext(testKey(profile, 9)).protectRtcp(rtcpPacket());
    const receiver = new SrtpContext(key);
    expect(receiver.unprotectRtcp(srtcp)).toBeUndefined();
    expect(receiver.unprotectRtcp(new Uint8Array(12))).toBeUndefined();
    expect(receiver.stats).toEqual({ authFailures: 1, replays: 0, malformed: 1 });
  });

  it("refuses to protect bytes that are not RTCP", () => {
    expect(() => new SrtpContext(key).protectRtcp(new Uint8Array(7))).toThrow(
      expect.objectContaining({ code: "SRTP_BAD_PACKET" }),
    );
  });
});
