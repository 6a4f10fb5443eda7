import { readFileSync } from "node:fs";

/** One record of a LINKTYPE_RAW capture with a UDP datagram, decoded for assertions. */
export interface ReadRecord {
  timeUs: number;
  ipVersion: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** IPv4 total length or IPv6 payload length field. */
  ipLength: number;
  udpLength: number;
  udpChecksum: number;
  payload: Uint8Array;
  /** The whole IP packet. */
  frame: Uint8Array;
}

/** A capture file read back: global header fields and records; `trailing` bytes after the last whole record. */
export interface ReadCapture {
  magic: number;
  version: [number, number];
  snapLen: number;
  linkType: number;
  records: ReadRecord[];
  trailing: number;
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(":");
}

/** Reads a classic little-endian libpcap file of raw IPv4/IPv6 UDP records (what the capture writer writes). */
export function readCapture(pathOrBytes: string | Uint8Array): ReadCapture {
  const bytes = typeof pathOrBytes === "string" ? new Uint8Array(readFileSync(pathOrBytes)) : pathOrBytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ReadCapture = {
    magic: view.getUint32(0, true),
    version: [view.getUint16(4, true), view.getUint16(6, true)],
    snapLen: view.getUint32(16, true),
    linkType: view.getUint32(20, true),
    records: [],
    trailing: 0,
  };
  let at = 24;
  while (at + 16 <= bytes.length) {
    const incl = view.getUint32(at + 8, true);
    if (at + 16 + incl > bytes.length) break;
    const frame = bytes.subarray(at + 16, at + 16 + incl);
    const v = (frame[0] ?? 0) >> 4;
    const ipBytes = v === 4 ? 20 : 40;
    const fv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const udp = ipBytes;
    out.records.push({
      timeUs: view.getUint32(at, true) * 1_000_000 + view.getUint32(at + 4, true),
      ipVersion: v,
      src: ipText(v === 4 ? frame.subarray(12, 16) : frame.subarray(8, 24)),
      dst: ipText(v === 4 ? frame.subarray(16, 20) : frame.subarray(24, 40)),
      ipLength: fv.getUint16(v === 4 ? 2 : 4),
      srcPort: fv.getUint16(udp),
      dstPort: fv.getUint16(udp + 2),
      udpLength: fv.getUint16(udp + 4),
      udpChecksum: fv.getUint16(udp + 6),
      payload: frame.subarray(udp + 8),
      frame,
    });
    at += 16 + incl;
  }
  out.trailing = bytes.length - at;
  return out;
}

/** The records' payloads as latin1 text (SIP messages). */
export function payloadText(record: ReadRecord): string {
  return Buffer.from(record.payload).toString("latin1");
}
