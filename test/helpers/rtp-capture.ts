import { createSocket, type Socket } from "node:dgram";
import { SrtpContext, type SrtpKeyMaterial } from "../../src/srtp/index.ts";

/** What an {@link RtpCapture} received, read as RTP (RFC 3550 §5.1). */
export interface CapturedRtp {
  /** Datagrams received. */
  datagrams: number;
  /** Packets that were RTP (and, with a key, authenticated and decrypted). */
  packets: number;
  /** Datagrams refused: not RTP, or (with a key) failed SRTP authentication or replay checks. */
  refused: number;
  /** The payloads of the RTP packets, concatenated in sequence-number order (duplicates dropped). */
  payload: Uint8Array;
  /** Packets whose sequence number repeated one already received. */
  duplicates: number;
  /** Sequence numbers missing between the lowest and the highest received (losses). */
  missing: number;
  /** Distinct SSRCs and payload types seen. */
  ssrcs: number[];
  payloadTypes: number[];
  /** RTP timestamp step between consecutive packets (in order), distinct values. */
  timestampSteps: number[];
}

/** A UDP socket on 127.0.0.1 that keeps every datagram, for a test playing a remote SRS's media side. */
export interface RtpCapture {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Datagrams received so far. */
  count(): number;
  /**
   * Reads what arrived as RTP; with `srtp`, each datagram is first unprotected as SRTP (RFC 3711 §3.3)
   * with that key material (the sender's key from its SDP `a=crypto`).
   */
  read(srtp?: SrtpKeyMaterial): CapturedRtp;
  close(): Promise<void>;
}

/** Opens an {@link RtpCapture} on a free UDP port of 127.0.0.1 (`port` 0) or on `port`. */
export async function openRtpCapture(port = 0): Promise<RtpCapture> {
  const socket: Socket = createSocket("udp4");
  const datagrams: Uint8Array[] = [];
  socket.on("message", (data: Buffer) => datagrams.push(new Uint8Array(data)));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, "127.0.0.1", () => resolve());
  });
  let closed = false;
  return {
    port: socket.address().port,
    count: () => datagrams.length,
    read: (srtp) => readRtp(datagrams, srtp),
    close: () =>
      closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            closed = true;
            socket.close(() => resolve());
          }),
  };
}

interface RtpPacketView {
  seq: number;
  ssrc: number;
  pt: number;
  timestamp: number;
  payload: Uint8Array;
}

/** Parses an RTP packet's header (version 2, CSRCs, extension, padding) or returns undefined. */
function parseRtp(packet: Uint8Array): RtpPacketView | undefined {
  if (packet.length < 12 || packet[0] === undefined || packet[0] >> 6 !== 2) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const first = view.getUint8(0);
  let offset = 12 + 4 * (first & 0x0f);
  if (first & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + 4 * view.getUint16(offset + 2);
  }
  let end = packet.length;
  if (first & 0x20) end -= view.getUint8(packet.length - 1);
  if (offset > end) return undefined;
  return {
    seq: view.getUint16(2),
    ssrc: view.getUint32(8),
    pt: view.getUint8(1) & 0x7f,
    timestamp: view.getUint32(4),
    payload: packet.subarray(offset, end),
  };
}

function readRtp(datagrams: readonly Uint8Array[], srtp: SrtpKeyMaterial | undefined): CapturedRtp {
  const context = srtp ? new SrtpContext(srtp) : undefined;
  const packets: RtpPacketView[] = [];
  let refused = 0;
  for (const datagram of datagrams) {
    const clear = context ? context.unprotect(datagram) : datagram;
    const packet = clear ? parseRtp(clear) : undefined;
    if (packet) packets.push(packet);
    else refused += 1;
  }
  // Extended sequence numbers (RFC 3550 A.1) so a wrap in the middle keeps the order.
  let cycles = 0;
  let last = -1;
  const extended = packets.map((p) => {
    if (last >= 0 && p.seq < last && last - p.seq > 0x8000) cycles += 0x10000;
    last = p.seq;
    return { ...p, ext: cycles + p.seq };
  });
  const bySeq = new Map<number, (typeof extended)[number]>();
  let duplicates = 0;
  for (const p of extended) {
    if (bySeq.has(p.ext)) duplicates += 1;
    else bySeq.set(p.ext, p);
  }
  const ordered = [...bySeq.values()].sort((a, b) => a.ext - b.ext);
  const first = ordered[0]?.ext ?? 0;
  const lastExt = ordered[ordered.length - 1]?.ext ?? -1;
  const payload = new Uint8Array(ordered.reduce((sum, p) => sum + p.payload.length, 0));
  let at = 0;
  for (const p of ordered) {
    payload.set(p.payload, at);
    at += p.payload.length;
  }
  const steps = new Set<number>();
  for (let i = 1; i < ordered.length; i++) {
    const a = ordered[i - 1];
    const b = ordered[i];
    if (a && b) steps.add((b.timestamp - a.timestamp) >>> 0);
  }
  return {
    datagrams: datagrams.length,
    packets: packets.length,
    refused,
    payload,
    duplicates,
    missing: ordered.length === 0 ? 0 : lastExt - first + 1 - ordered.length,
    ssrcs: [...new Set(packets.map((p) => p.ssrc))],
    payloadTypes: [...new Set(packets.map((p) => p.pt))],
    timestampSteps: [...steps],
  };
}
