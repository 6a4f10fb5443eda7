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
