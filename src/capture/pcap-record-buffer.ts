import { asIpv6Bytes, ipAddressBytes } from "./ip-address.ts";

/** LINKTYPE_RAW (101): each record starts with an IPv4 or IPv6 header, told apart by its version nibble. */
export const linkTypeRaw = 101;
/** Size of the libpcap global header, bytes. */
export const pcapGlobalHeaderBytes = 24;
/** Size of a libpcap record header, bytes. */
export const pcapRecordHeaderBytes = 16;
/** Snapshot length announced in the global header, bytes (every record is captured whole). */
const snapLen = 65_535;
const ipv4HeaderBytes = 20;
const ipv6HeaderBytes = 40;
const udpHeaderBytes = 8;
/** Largest UDP payload in one IPv4 datagram (65,535 − 20 − 8), bytes; longer payloads are cut. */
export const maxUdpPayloadIpv4 = 65_535 - ipv4HeaderBytes - udpHeaderBytes;
/** Largest UDP payload in one IPv6 datagram without jumbograms (65,535 − 8), bytes. */
export const maxUdpPayloadIpv6 = 65_535 - udpHeaderBytes;

/**
 * The libpcap global header (classic format, magic `a1b2c3d4` little-endian, version 2.4, µs
 * timestamps, LINKTYPE_RAW): what every capture file starts with.
 */
export function pcapGlobalHeader(): Uint8Array {
  const out = new Uint8Array(pcapGlobalHeaderBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, snapLen, true);
  view.setUint32(20, linkTypeRaw, true);
  return out;
}

/** Folds a 32-bit-or-more one's-complement sum to 16 bits and complements it (RFC 1071). */
function checksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** Adds the 16-bit big-endian words of `bytes[from, to)` to `start` (an odd last byte is padded with 0). */
function sumWords(bytes: Uint8Array, from: number, to: number, start: number): number {
  let sum = start;
  let i = from;
  for (; i + 1 < to; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < to) sum += (bytes[i] as number) << 8;
  return sum;
}

/**
 * A growable buffer of libpcap records, each one UDP datagram (RFC 768) in an IPv4 (RFC 791) or
 * IPv6 (RFC 8200) header, as LINKTYPE_RAW frames. It holds records only (no global header); the
 * owner drains it with {@link PcapRecordBuffer.take} and {@link PcapRecordBuffer.clear}.
 *
 * Per datagram it copies the payload once into the buffer and writes 44 (IPv4) or 64 (IPv6) bytes
 * of headers; it allocates nothing while the buffer has room and the two addresses are the same
 * as in the previous record (each side keeps its last address text and bytes). Checksums: the IPv4
 * header checksum is computed; the IPv4 UDP checksum is 0 ("not computed", allowed by RFC 768); the
 * IPv6 UDP checksum, mandatory there (RFC 8200 §8.1), is computed over the pseudo-header and payload.
 * A datagram whose two addresses are of different families is written as IPv6 with the IPv4 one
 * mapped (`::ffff:a.b.c.d`).
 */
export class PcapRecordBuffer {
  #buf: Uint8Array;
  #view: DataView;
  #used = 0;
  readonly #maxBytes: number;
  #ipId = 0;
  // Last source/destination address text and its bytes (4 or 16).
  #srcText = "";
  #srcBytes: Uint8Array = new Uint8Array(4);
  #dstText = "";
  #dstBytes: Uint8Array = new Uint8Array(4);

  /**
   * @param initialBytes starting capacity, bytes.
   * @param maxBytes capacity it grows to at most, bytes; {@link PcapRecordBuffer.fits} tells the owner
   *   to drain it before a record that would not fit (a record larger than this still grows it).
   */
  constructor(initialBytes = 16_384, maxBytes = 1_048_576) {
    this.#buf = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#buf.buffer);
    this.#maxBytes = Math.max(initialBytes, maxBytes);
  }

  /** Bytes of records held. */
  get length(): number {
    return this.#used;
  }

  /** Whether a datagram with `payloadBytes` of payload fits without passing the maximum capacity. */
  fits(payloadBytes: number): boolean {
    return (
      this.#used + pcapRecordHeaderBytes + ipv6HeaderBytes + udpHeaderBytes + payloadBytes <= this.#maxBytes
    );
  }

  /** The records held, as a view valid until the next append or {@link PcapRecordBuffer.clear}. */
  take(): Uint8Array {
    return this.#buf.subarray(0, this.#used);
  }

  /** Forgets the records held (keeps the capacity). */
  clear(): void {
    this.#used = 0;
  }

  /**
   * Appends one UDP datagram received or sent at `timeUs` (µs since the Unix epoch). Payloads over
   * 65,507 bytes (IPv4) / 65,527 bytes (IPv6) are cut to that length.
   * @throws RangeError for an address that is not IPv4 or IPv6 text (the record is not written).
   */
  appendUdp(
    timeUs: number,
    srcAddress: string,
    srcPort: number,
    dstAddress: string,
    dstPort: number,
    payload: Uint8Array,
  ): void {
    if (srcAddress !== this.#srcText) {
      this.#srcBytes = ipAddressBytes(srcAddress);
      this.#srcText = srcAddress;
    }
    if (dstAddress !== this.#dstText) {
      this.#dstBytes = ipAddressBytes(dstAddress);
      this.#dstText = dstAddress;
    }
    let src = this.#srcBytes;
    let dst = this.#dstBytes;
    const v6 = src.length === 16 || dst.length === 16;
    if (v6 && src.length !== dst.length) {
      src = asIpv6Bytes(src);
      dst = asIpv6Bytes(dst);
    }
    const length = Math.min(payload.length, v6 ? maxUdpPayloadIpv6 : maxUdpPayloadIpv4);
    const ipBytes = v6 ? ipv6HeaderBytes : ipv4HeaderBytes;
    const frameBytes = ipBytes + udpHeaderBytes + length;
    this.#reserve(pcapRecordHeaderBytes + frameBytes);
    const view = this.#view;
    const at = this.#used;
    const seconds = Math.floor(timeUs / 1_000_000);
    view.setUint32(at, seconds, true);
    view.setUint32(at + 4, timeUs - seconds * 1_000_000, true);
    view.setUint32(at + 8, frameBytes, true);
    view.setUint32(at + 12, frameBytes, true);
    const ip = at + pcapRecordHeaderBytes;
    const udp = ip + ipBytes;
    if (v6) this.#ipv6(ip, src, dst, udpHeaderBytes + length);
    else this.#ipv4(ip, src, dst, frameBytes);
    view.setUint16(udp, srcPort);
    view.setUint16(udp + 2, dstPort);
    view.setUint16(udp + 4, udpHeaderBytes + length);
    view.setUint16(udp + 6, 0);
    this.#buf.set(length === payload.length ? payload : payload.subarray(0, length), udp + udpHeaderBytes);
    if (v6) {
      // Pseudo-header (RFC 8200 §8.1): both addresses, upper-layer length, next header 17.
      let sum = sumWords(this.#buf, ip + 8, ip + 40, 17 + udpHeaderBytes + length);
      sum = sumWords(this.#buf, udp, udp + udpHeaderBytes + length, sum);
      const c = checksum(sum);
      view.setUint16(udp + 6, c === 0 ? 0xffff : c);
    }
    this.#used = udp + udpHeaderBytes + length;
  }

  #ipv4(at: number, src: Uint8Array, dst: Uint8Array, totalLength: number): void {
    const buf = this.#buf;
    const view = this.#view;
    view.setUint32(at, 0x45000000 | totalLength);
    view.setUint32(at + 4, (this.#ipId << 16) | 0x4000);
    this.#ipId = (this.#ipId + 1) & 0xffff;
    view.setUint32(at + 8, 0x40110000);
    buf[at + 12] = src[0] as number;
    buf[at + 13] = src[1] as number;
    buf[at + 14] = src[2] as number;
    buf[at + 15] = src[3] as number;
    buf[at + 16] = dst[0] as number;
    buf[at + 17] = dst[1] as number;
    buf[at + 18] = dst[2] as number;
    buf[at + 19] = dst[3] as number;
    view.setUint16(at + 10, checksum(sumWords(buf, at, at + ipv4HeaderBytes, 0)));
  }

  #ipv6(at: number, src: Uint8Array, dst: Uint8Array, payloadLength: number): void {
    const view = this.#view;
    view.setUint32(at, 0x60000000);
    view.setUint32(at + 4, (payloadLength << 16) | (17 << 8) | 64);
    this.#buf.set(src, at + 8);
    this.#buf.set(dst, at + 24);
  }

  #reserve(bytes: number): void {
    const need = this.#used + bytes;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.#used));
    this.#buf = grown;
    this.#view = new DataView(grown.buffer);
  }
}
