/** Fields of one RTP packet to build (RFC 3550 §5.1 fixed header, no CSRC, no extension). */
export interface RtpPacketFields {
  /** Payload type, 0–127. */
  payloadType: number;
  /** Sequence number; only the low 16 bits are written (an extended seq may be passed). */
  seq: number;
  /** RTP timestamp, samples; written modulo 2^32. */
  timestamp: number;
  /** SSRC, unsigned 32-bit. */
  ssrc: number;
  /** Marker bit (talk-spurt start for audio, RFC 3551 §4.1). */
  marker: boolean;
  /** Payload bytes (e.g. G.711, one byte per sample). */
  payload: Uint8Array;
}

/**
 * Builds one RTP packet: the 12-byte fixed header (V=2, P=0, X=0, CC=0) followed by the payload
 * (RFC 3550 §5.1).
 * @throws RangeError for a payload type outside 0–127.
 */
export function buildRtpPacket(fields: RtpPacketFields): Uint8Array {
  const { payloadType } = fields;
  if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127) {
    throw new RangeError(`RTP payload type ${payloadType} is not 0–127`);
  }
  const out = new Uint8Array(12 + fields.payload.byteLength);
  const view = new DataView(out.buffer);
  out[0] = 0x80;
  out[1] = (fields.marker ? 0x80 : 0) | payloadType;
  view.setUint16(2, fields.seq & 0xffff);
  view.setUint32(4, (fields.timestamp % 2 ** 32) >>> 0);
  view.setUint32(8, fields.ssrc >>> 0);
  out.set(fields.payload, 12);
  return out;
}

/** One end of a UDP flow: dotted-quad IPv4 address and port. */
export interface UdpEndpoint {
  /** IPv4 address, e.g. `192.0.2.10`. */
  ip: string;
  /** UDP port, 0–65535. */
  port: number;
}

/** One UDP datagram of a capture. */
export interface PcapPacket {
  /** Capture time, µs since the Unix epoch. */
  timeUs: number;
  /** Sender. */
  src: UdpEndpoint;
  /** Receiver. */
  dst: UdpEndpoint;
  /** UDP payload (e.g. an RTP packet from {@link buildRtpPacket}). */
  payload: Uint8Array;
}

/**
 * Link layer of the capture: `ethernet` (LINKTYPE_ETHERNET 1, with made-up locally administered
 * MAC addresses; every tool reads it) or `raw` (LINKTYPE_RAW 101: the IPv4 header first).
 */
export type PcapLinkType = "ethernet" | "raw";

/** Options of {@link PcapWriter}. */
export interface PcapWriterOptions {
  /** @default "ethernet" */
  linkType?: PcapLinkType;
}

const linkTypes: Record<PcapLinkType, number> = { ethernet: 1, raw: 101 };
const ethernetBytes = 14;
const ipv4Bytes = 20;
const udpBytes = 8;
const recordHeaderBytes = 16;
const snapLen = 65_535;
const maxUdpPayload = 65_535 - ipv4Bytes - udpBytes;

function parseIpv4(ip: string): Uint8Array {
  const parts = ip.split(".");
  const out = new Uint8Array(4);
  for (let i = 0; i < 4 && parts.length === 4; i++) {
    const part = parts[i] ?? "";
    const n = /^\d{1,3}$/.test(part) ? Number(part) : 256;
    if (n > 255) break;
    out[i] = n;
    if (i === 3) return out;
  }
  throw new RangeError(`${JSON.stringify(ip)} is not a dotted-quad IPv4 address`);
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new RangeError(`UDP port ${port} is not 0–65535`);
  return port;
}

/** Adds 16-bit big-endian words of `bytes[from, to)` to a one's-complement sum (RFC 1071). */
function sumWords(bytes: Uint8Array, from: number, to: number, start: number): number {
  let sum = start;
  let i = from;
  for (; i + 1 < to; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  if (i < to) sum += (bytes[i] ?? 0) << 8;
  return sum;
}

function foldChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/**
 * Writes a capture in the classic libpcap format (magic `a1b2c3d4`, version 2.4, µs timestamps,
 * little-endian; the format tcpdump, Wireshark and tshark all read) of IPv4/UDP datagrams: IPv4
 * header (RFC 791) with its checksum, UDP header (RFC 768) with lengths and the checksum over the
 * pseudo-header. Packets are written in the order they are added; add them in time order.
 */
export class PcapWriter {
  readonly #linkType: PcapLinkType;
  readonly #records: Uint8Array[] = [];
  #bytes = 24;
  #ipId = 0;

  constructor(options: PcapWriterOptions = {}) {
    this.#linkType = options.linkType ?? "ethernet";
  }

  /** Packets added so far. */
  get packetCount(): number {
    return this.#records.length;
  }

  /**
   * Appends one datagram.
   * @throws RangeError for an address that is not IPv4, a port outside 0–65535, a negative time, or
   *   a payload too large for one IPv4 datagram (65,507 bytes).
   */
  add(packet: PcapPacket): void {
    const { payload, timeUs } = packet;
    if (payload.byteLength > maxUdpPayload) {
      throw new RangeError(`UDP payload of ${payload.byteLength} bytes does not fit one IPv4 datagram`);
    }
    if (!Number.isFinite(timeUs) || timeUs < 0) throw new RangeError(`capture time ${timeUs} µs is invalid`);
    const link = this.#linkType === "ethernet" ? ethernetBytes : 0;
    const frameBytes = link + ipv4Bytes + udpBytes + payload.byteLength;
    const record = new Uint8Array(recordHeaderBytes + frameBytes);
    const view = new DataView(record.buffer);
    const us = Math.round(timeUs);
    view.setUint32(0, Math.floor(us / 1_000_000), true);
    view.setUint32(4, us % 1_000_000, true);
    view.setUint32(8, frameBytes, true);
    view.setUint32(12, frameBytes, true);
    let at = recordHeaderBytes;
    if (link > 0) {
      record.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00], at);
      at += link;
    }
    this.#writeIpv4(record, view, at, packet);
    this.#writeUdp(record, view, at + ipv4Bytes, packet);
    this.#records.push(record);
    this.#bytes += record.byteLength;
  }

  /** The whole capture file: global header and every packet added. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.#bytes);
    const view = new DataView(out.buffer);
    view.setUint32(0, 0xa1b2c3d4, true);
    view.setUint16(4, 2, true);
    view.setUint16(6, 4, true);
    view.setUint32(16, snapLen, true);
    view.setUint32(20, linkTypes[this.#linkType], true);
    let at = 24;
    for (const record of this.#records) {
      out.set(record, at);
      at += record.byteLength;
    }
    return out;
  }

  #writeIpv4(record: Uint8Array, view: DataView, at: number, packet: PcapPacket): void {
    record[at] = 0x45;
    view.setUint16(at + 2, ipv4Bytes + udpBytes + packet.payload.byteLength);
    view.setUint16(at + 4, this.#ipId);
    this.#ipId = (this.#ipId + 1) & 0xffff;
    view.setUint16(at + 6, 0x4000);
    record[at + 8] = 64;
    record[at + 9] = 17;
    record.set(parseIpv4(packet.src.ip), at + 12);
    record.set(parseIpv4(packet.dst.ip), at + 16);
    view.setUint16(at + 10, foldChecksum(sumWords(record, at, at + ipv4Bytes, 0)));
  }

  #writeUdp(record: Uint8Array, view: DataView, at: number, packet: PcapPacket): void {
    const length = udpBytes + packet.payload.byteLength;
    view.setUint16(at, checkPort(packet.src.port));
    view.setUint16(at + 2, checkPort(packet.dst.port));
    view.setUint16(at + 4, length);
    record.set(packet.payload, at + udpBytes);
    // Pseudo-header (RFC 768): source and destination address, zero, protocol 17, UDP length.
    const addresses = at - 8;
    let sum = sumWords(record, addresses, at, 17 + length);
    sum = sumWords(record, at, at + length, sum);
    const checksum = foldChecksum(sum);
    view.setUint16(at + 6, checksum === 0 ? 0xffff : checksum);
  }
}

/**
 * Builds a whole libpcap capture from datagrams, in the given order (see {@link PcapWriter}).
 * @throws RangeError as {@link PcapWriter.add}.
 */
export function buildPcap(packets: readonly PcapPacket[], options: PcapWriterOptions = {}): Uint8Array {
  const writer = new PcapWriter(options);
  for (const packet of packets) writer.add(packet);
  return writer.toBytes();
}
