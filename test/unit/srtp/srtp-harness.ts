import { createCipheriv, createHmac } from "node:crypto";
import type { SrtpKeyMaterial, SrtpProfile } from "../../../src/srtp/index.ts";
import { deriveSessionKeys } from "../../../src/srtp/key-derivation.ts";

/** Fixed key material so failures are reproducible. */
export function testKey(profile: SrtpProfile, seed = 1, mki?: Uint8Array): SrtpKeyMaterial {
  const key: SrtpKeyMaterial = {
    profile,
    masterKey: Uint8Array.from({ length: 16 }, (_, i) => (i * 7 + seed) & 0xff),
    masterSalt: Uint8Array.from({ length: 14 }, (_, i) => (i * 13 + seed * 3) & 0xff),
  };
  if (mki !== undefined) key.mki = mki;
  return key;
}

/** A 172-byte G.711 RTP packet (12-byte header + 160 bytes payload), or with CSRCs/extension. */
export function rtpPacket(
  seq: number,
  options: { ssrc?: number; payloadBytes?: number; csrcs?: number; extensionWords?: number } = {},
): Uint8Array {
  const csrcs = options.csrcs ?? 0;
  const ext = options.extensionWords;
  const headerBytes = 12 + 4 * csrcs + (ext === undefined ? 0 : 4 + 4 * ext);
  const payloadBytes = options.payloadBytes ?? 160;
  const packet = new Uint8Array(headerBytes + payloadBytes);
  const view = new DataView(packet.buffer);
  view.setUint8(0, 0x80 | (ext === undefined ? 0 : 0x10) | csrcs);
  view.setUint8(1, 8);
  view.setUint16(2, seq & 0xffff);
  view.setUint32(4, (seq * 160) >>> 0);
  view.setUint32(8, options.ssrc ?? 0x11223344);
  for (let c = 0; c < csrcs; c++) view.setUint32(12 + 4 * c, 0xc0000000 + c);
  if (ext !== undefined) {
    const at = 12 + 4 * csrcs;
    view.setUint16(at, 0xbede);
    view.setUint16(at + 2, ext);
    for (let k = 0; k < 4 * ext; k++) view.setUint8(at + 4 + k, 0xe0 + k);
  }
  for (let k = 0; k < payloadBytes; k++) packet[headerBytes + k] = (seq + k) & 0xff;
  return packet;
}

/**
 * An independent SRTP sender for cross-checks: node's own `aes-128-ctr` with the RFC 3711 §4.1.1 IV
 * and `createHmac` over packet || ROC, for a ROC the test states.
 */
export function referenceProtect(
  key: SrtpKeyMaterial,
  rtp: Uint8Array,
  roc: number,
  headerBytes = 12,
): Uint8Array {
  const keys = deriveSessionKeys(key.masterKey, key.masterSalt, false);
  const view = new DataView(rtp.buffer, rtp.byteOffset, rtp.byteLength);
  const iv = new Uint8Array(16);
  iv.set(keys.cipherSalt);
  const ivView = new DataView(iv.buffer);
  ivView.setUint32(4, ivView.getUint32(4) ^ view.getUint32(8));
  ivView.setUint32(8, ivView.getUint32(8) ^ roc);
  ivView.setUint16(12, ivView.getUint16(12) ^ view.getUint16(2));
  const cipher = createCipheriv("aes-128-ctr", keys.cipherKey, iv);
  const payload = cipher.update(rtp.subarray(headerBytes));
  const rocBytes = new Uint8Array(4);
  new DataView(rocBytes.buffer).setUint32(0, roc);
  const authenticated = Buffer.concat([rtp.subarray(0, headerBytes), payload]);
  const tag = createHmac("sha1", keys.authKey).update(authenticated).update(rocBytes).digest();
  const tagLength = key.profile === "AES_CM_128_HMAC_SHA1_32" ? 4 : 10;
  return new Uint8Array(
    Buffer.concat([authenticated, key.mki ?? new Uint8Array(0), tag.subarray(0, tagLength)]),
  );
}

/** Minimal RTCP receiver report (RFC 3550 §6.4.2) with no report blocks, plus SDES-like filler. */
export function rtcpPacket(ssrc = 0x11223344, fillerBytes = 20): Uint8Array {
  const packet = new Uint8Array(8 + fillerBytes);
  const view = new DataView(packet.buffer);
  view.setUint8(0, 0x80);
  view.setUint8(1, 201);
  view.setUint16(2, packet.length / 4 - 1);
  view.setUint32(4, ssrc);
  for (let k = 0; k < fillerBytes; k++) packet[8 + k] = k + 1;
  return packet;
}
