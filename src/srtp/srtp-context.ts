import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { AesCmCipher } from "./aes-cm.ts";
import { SrtpError } from "./errors.ts";
import { deriveSessionKeys } from "./key-derivation.ts";
import { assertKeyMaterial, SRTCP_AUTH_TAG_LENGTH, srtpAuthTagLength } from "./profiles.ts";
import { ReplayWindow } from "./replay-window.ts";
import type { SrtpKeyMaterial, SrtpProfile, SrtpStats } from "./srtp-types.ts";

const RTP_FIXED_HEADER = 12;
const RTCP_ENCRYPTED_START = 8;
const SRTCP_INDEX_BYTES = 4;
const SRTCP_INDEX_MASK = 0x7fffffff;
const SRTCP_E_FLAG = 0x80000000;

/**
 * One SRTP cryptographic context (RFC 3711 §3.2) for the AES_CM_128_HMAC_SHA1_80/_32 suites: the
 * session keys derived once from the master key, and per-SSRC index state. Build one per direction
 * and m-line: a sending context protects our packets, a receiving context (with the peer's key)
 * unprotects theirs; both may carry several SSRCs.
 *
 * SRTP packet (RFC 3711 §3.1): the RTP header stays in the clear, the payload (with any RTP padding)
 * is encrypted with AES-CM, and the tag is HMAC-SHA1 over header || encrypted payload || ROC,
 * truncated to 80 or 32 bits:
 *
 * ```text
 * | RTP header | encrypted payload | MKI (optional) | authentication tag |
 * |<--------- authenticated ------>|
 * ```
 *
 * SRTCP packet (RFC 3711 §3.4): everything after the first 8 octets is encrypted, then
 * `E (1 bit) || SRTCP index (31 bits)`, the optional MKI and an 80-bit tag over all but MKI and tag.
 *
 * Not implemented: key derivation rates other than 0 (SDES `KDR`, refused when parsing), re-keying
 * and the 2^48/2^31 packet limits (RFC 3711 §9.2), which a call never approaches.
 */
export class SrtpContext {
  /** Crypto suite of this context. */
  readonly profile: SrtpProfile;
  /** Packets refused by `unprotect` and `unprotectRtcp` so far. */
  readonly stats: SrtpStats = { authFailures: 0, replays: 0, malformed: 0 };
  /** SRTP authentication tag size, bytes (10 or 4). */
  readonly #tagLength: number;
  /** MKI field written to and expected in each packet, if any. */
  readonly #mki: Uint8Array | undefined;
  readonly #rtpCipher: AesCmCipher;
  /** SRTP session authentication key, as a KeyObject (saves a key import per createHmac). */
  readonly #rtpAuthKey: KeyObject;
  readonly #rtcpCipher: AesCmCipher;
  readonly #rtcpAuthKey: KeyObject;
  /** Sender: highest index sent per SSRC (the ROC, §3.3.1). */
  readonly #sent = new Map<number, ReplayWindow>();
  /** Receiver: index estimate and replay window per SSRC. */
  readonly #received = new Map<number, ReplayWindow>();
  /** Sender: next SRTCP index per SSRC. */
  readonly #rtcpSent = new Map<number, number>();
  /** Receiver: SRTCP replay window per SSRC (§3.4, separate from SRTP's). */
  readonly #rtcpReceived = new Map<number, ReplayWindow>();
  /** ROC in network order, appended to the authenticated portion (§4.2). */
  readonly #rocBytes = new Uint8Array(4);

  /**
   * Derives the SRTP and SRTCP session keys (RFC 3711 §4.3) from the master key and salt.
   * @throws SrtpError `SRTP_BAD_KEY` when the key material has the wrong sizes.
   */
  constructor(key: SrtpKeyMaterial) {
    assertKeyMaterial(key);
    this.profile = key.profile;
    this.#tagLength = srtpAuthTagLength(key.profile);
    this.#mki = key.mki === undefined ? undefined : new Uint8Array(key.mki);
    const rtp = deriveSessionKeys(key.masterKey, key.masterSalt, false);
    const rtcp = deriveSessionKeys(key.masterKey, key.masterSalt, true);
    this.#rtpCipher = new AesCmCipher(rtp.cipherKey, rtp.cipherSalt);
    this.#rtpAuthKey = createSecretKey(rtp.authKey);
    this.#rtcpCipher = new AesCmCipher(rtcp.cipherKey, rtcp.cipherSalt);
    this.#rtcpAuthKey = createSecretKey(rtcp.authKey);
  }

  /**
   * Turns an RTP packet into an SRTP packet (RFC 3711 §3.3, sender side): the index is
   * `2^16 * ROC + SEQ` with the ROC of this SSRC incremented each time SEQ wraps (§3.3.1).
   * `rtp` is not modified.
   * @returns a new buffer: header, encrypted payload, MKI, tag (10 or 4 bytes longer than `rtp`
   *   plus the MKI).
   * @throws SrtpError `SRTP_BAD_PACKET` when `rtp` is not an RTP packet (version 2, whole header).
   */
  protect(rtp: Uint8Array): Uint8Array {
    const length = rtp.byteLength;
    const payloadStart = rtpPayloadStart(rtp, length);
    if (payloadStart < 0) throw new SrtpError("SRTP_BAD_PACKET", `not an RTP packet (${length} bytes)`);
    const ssrc = readUint32(rtp, 8);
    const seq = (rtp[2]! << 8) | rtp[3]!;
    let state = this.#sent.get(ssrc);
    if (state === undefined) {
      state = new ReplayWindow(seq);
      this.#sent.set(ssrc, state);
    }
    const index = state.estimate(seq);
    if (index > state.highest) state.highest = index;
    const roc = Math.floor(index / 0x10000) >>> 0;
    const mkiLength = this.#mki?.byteLength ?? 0;
    const out = new Uint8Array(length + mkiLength + this.#tagLength);
    out.set(rtp);
    this.#rtpCipher.xor(out, payloadStart, length, ssrc, roc, seq);
    if (this.#mki !== undefined) out.set(this.#mki, length);
    const tag = this.#rtpTag(out, length, roc);
    copyTag(tag, out, length + mkiLength, this.#tagLength);
    return out;
  }

  /**
   * Turns an SRTP packet back into RTP (RFC 3711 §3.3, receiver side): estimates the index
   * (§3.3.1, Appendix A), refuses replays with a 64-packet window per SSRC (§3.3.2), checks the tag
   * in constant time, decrypts, then updates ROC, s_l and the window. `srtp` is not modified.
   * @returns a new buffer holding the RTP packet, or undefined when the packet is refused; the
   *   reason is counted in {@link SrtpContext.stats} (`authFailures`, `replays`, `malformed`).
   */
  unprotect(srtp: Uint8Array): Uint8Array | undefined {
    const mkiLength = this.#mki?.byteLength ?? 0;
    const authEnd = srtp.byteLength - mkiLength - this.#tagLength;
    const payloadStart = rtpPayloadStart(srtp, authEnd);
    if (payloadStart < 0) {
      this.stats.malformed++;
      return undefined;
    }
    const ssrc = readUint32(srtp, 8);
    const seq = (srtp[2]! << 8) | srtp[3]!;
    const state = this.#received.get(ssrc);
    const index = state === undefined ? seq : state.estimate(seq);
    if (state !== undefined && !state.isFresh(index)) {
      this.stats.replays++;
      return undefined;
    }
    const roc = Math.floor(index / 0x10000) >>> 0;
    const tag = this.#rtpTag(srtp, authEnd, roc);
    if (!this.#mkiMatches(srtp, authEnd) || !tagMatches(tag, srtp, authEnd + mkiLength, this.#tagLength)) {
      this.stats.authFailures++;
      return undefined;
    }
    const out = new Uint8Array(srtp.subarray(0, authEnd));
    this.#rtpCipher.xor(out, payloadStart, authEnd, ssrc, roc, seq);
    if (state === undefined) this.#received.set(ssrc, new ReplayWindow(index));
    else state.accept(index);
    return out;
  }

  /**
   * Turns a (compound) RTCP packet into SRTCP (RFC 3711 §3.4): encrypts from the ninth octet on,
   * appends E = 1 and this SSRC's SRTCP index (from 0, incremented modulo 2^31), the MKI and an
   * 80-bit tag. `rtcp` is not modified.
   * @throws SrtpError `SRTP_BAD_PACKET` when `rtcp` is shorter than 8 bytes or not version 2.
   */
  protectRtcp(rtcp: Uint8Array): Uint8Array {
    const length = rtcp.byteLength;
    if (length < RTCP_ENCRYPTED_START || rtcp[0]! >> 6 !== 2) {
      throw new SrtpError("SRTP_BAD_PACKET", `not an RTCP packet (${length} bytes)`);
    }
    const ssrc = readUint32(rtcp, 4);
    const index = this.#rtcpSent.get(ssrc) ?? 0;
    this.#rtcpSent.set(ssrc, (index + 1) & SRTCP_INDEX_MASK);
    const mkiLength = this.#mki?.byteLength ?? 0;
    const authEnd = length + SRTCP_INDEX_BYTES;
    const out = new Uint8Array(authEnd + mkiLength + SRTCP_AUTH_TAG_LENGTH);
    out.set(rtcp);
    this.#rtcpCipher.xor(out, RTCP_ENCRYPTED_START, length, ssrc, index >>> 16, index & 0xffff);
    writeUint32(out, length, (SRTCP_E_FLAG | index) >>> 0);
    if (this.#mki !== undefined) out.set(this.#mki, authEnd);
    const tag = createHmac("sha1", this.#rtcpAuthKey).update(out.subarray(0, authEnd)).digest();
    copyTag(tag, out, authEnd + mkiLength, SRTCP_AUTH_TAG_LENGTH);
    return out;
  }

  /**
   * Turns an SRTCP packet back into RTCP (RFC 3711 §3.4): checks the 80-bit tag in constant time,
   * refuses replays with a 64-packet window on the SRTCP index per SSRC, decrypts when E = 1.
   * `srtcp` is not modified.
   * @returns a new buffer holding the RTCP packet, or undefined when refused (counted in `stats`).
   */
  unprotectRtcp(srtcp: Uint8Array): Uint8Array | undefined {
    const mkiLength = this.#mki?.byteLength ?? 0;
    const authEnd = srtcp.byteLength - mkiLength - SRTCP_AUTH_TAG_LENGTH;
    const end = authEnd - SRTCP_INDEX_BYTES;
    if (end < RTCP_ENCRYPTED_START || srtcp[0]! >> 6 !== 2) {
      this.stats.malformed++;
      return undefined;
    }
    const ssrc = readUint32(srtcp, 4);
    const word = readUint32(srtcp, end);
    const index = word & SRTCP_INDEX_MASK;
    const state = this.#rtcpReceived.get(ssrc);
    if (state !== undefined && !state.isFresh(index)) {
      this.stats.replays++;
      return undefined;
    }
    const tag = createHmac("sha1", this.#rtcpAuthKey).update(srtcp.subarray(0, authEnd)).digest();
    if (
      !this.#mkiMatches(srtcp, authEnd) ||
      !tagMatches(tag, srtcp, authEnd + mkiLength, SRTCP_AUTH_TAG_LENGTH)
    ) {
      this.stats.authFailures++;
      return undefined;
    }
    const out = new Uint8Array(srtcp.subarray(0, end));
    if ((word & SRTCP_E_FLAG) !== 0) {
      this.#rtcpCipher.xor(out, RTCP_ENCRYPTED_START, end, ssrc, index >>> 16, index & 0xffff);
    }
    if (state === undefined) this.#rtcpReceived.set(ssrc, new ReplayWindow(index));
    else state.accept(index);
    return out;
  }

  /** HMAC-SHA1 over `packet[0, end) || ROC` with the SRTP session authentication key (§4.2.1). */
  #rtpTag(packet: Uint8Array, end: number, roc: number): Uint8Array {
    writeUint32(this.#rocBytes, 0, roc);
    return createHmac("sha1", this.#rtpAuthKey)
      .update(packet.subarray(0, end))
      .update(this.#rocBytes)
      .digest();
  }

  /** Whether the packet carries our MKI at `offset` (always true without an MKI). */
  #mkiMatches(packet: Uint8Array, offset: number): boolean {
    const mki = this.#mki;
    if (mki === undefined) return true;
    let diff = 0;
    for (let k = 0; k < mki.byteLength; k++) diff |= mki[k]! ^ packet[offset + k]!;
    return diff === 0;
  }
}

/**
 * Offset of the RTP payload (after CSRCs and header extension, RFC 3550 §5.1, §5.3.1) in
 * `packet[0, end)`, or -1 when those bytes are not an RTP version 2 packet.
 */
function rtpPayloadStart(packet: Uint8Array, end: number): number {
  if (end < RTP_FIXED_HEADER) return -1;
  const b0 = packet[0]!;
  if (b0 >> 6 !== 2) return -1;
  let start = RTP_FIXED_HEADER + 4 * (b0 & 0x0f);
  if ((b0 & 0x10) !== 0) {
    if (start + 4 > end) return -1;
    start += 4 + 4 * ((packet[start + 2]! << 8) | packet[start + 3]!);
  }
  return start <= end ? start : -1;
}

/** Compares the first `length` bytes of `tag` with `packet[offset…]` in constant time. */
function tagMatches(tag: Uint8Array, packet: Uint8Array, offset: number, length: number): boolean {
  let diff = 0;
  for (let k = 0; k < length; k++) diff |= tag[k]! ^ packet[offset + k]!;
  return diff === 0;
}

function copyTag(tag: Uint8Array, out: Uint8Array, offset: number, length: number): void {
  for (let k = 0; k < length; k++) out[offset + k] = tag[k]!;
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>>
    0
  );
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}
