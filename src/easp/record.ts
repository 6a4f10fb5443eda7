import { EASP_VERSION, RECORD_FLAGS_DEFINED, RECORD_HEADER_BYTES, RecordKind } from "./constants.ts";
import { EaspProtocolError } from "./errors.ts";

/**
 * The 40-byte header of a binary EASP/1 record (EASP.md §3), network byte order:
 *
 * ```
 *  0      1      2      3      4              8                16               24
 * +------+------+------+------+--------------+----------------+----------------+
 * | ver  | kind | flags| mask/| streamId u32 | seq u64        | pos u64        |
 * |      |      |      |reason|              |                |                |
 * +------+------+------+------+--------------+----------------+----------------+
 *  24               32                 36              40
 * +----------------+------------------+---------------+--------- ... ---------+
 * | captureTime i64| durationSamples  | payloadLen u32| payload (payloadLen B) |
 * |  µs since 1970 |  u32             |               |                        |
 * +----------------+------------------+---------------+--------- ... ---------+
 * ```
 *
 * The 64-bit fields are JavaScript numbers, not bigints: exact up to 2^53 (at one record per
 * 20 ms that is 5.7 million years of seq), and free of allocation on the hot path.
 */
export interface RecordHeader {
  /** {@link RecordKind}: 1 AUDIO, 2 GAP. */
  kind: number;
  /** Bitwise OR of {@link RecordFlags}. */
  flags: number;
  /** AUDIO: bit i set = channel i carries real media; GAP: reason code ({@link EaspGapReason}). */
  maskOrReason: number;
  /** Stream id (u32) declared in `open` or `stream.start`. */
  streamId: number;
  /** Session-wide durable sequence number (u64, contiguous from 1). */
  seq: number;
  /** Position of the first sample, samples since the call epoch at the stream rate (u64). */
  pos: number;
  /** Capture time of the first sample, µs since 1970-01-01T00:00:00Z (i64). */
  captureUs: number;
  /** Sample frames (per channel) covered (u32). */
  durationSamples: number;
  /** Payload length, bytes (u32); 0 for GAP. */
  payloadLen: number;
}

/** A decoded record: its header and its payload (a view into the message, not a copy). */
export interface EaspRecord extends RecordHeader {
  /** Codec bytes, sample-interleaved when the stream has more than one channel. */
  payload: Uint8Array;
}

const TWO_POW_32 = 4_294_967_296;
/** Largest high word of a u64/i64 that keeps the value within ±2^53. */
const MAX_SAFE_HIGH = 0x1f_ffff;

/** Size of an encoded record with `payloadLen` payload bytes, bytes. */
export function encodedRecordLength(payloadLen: number): number {
  return RECORD_HEADER_BYTES + payloadLen;
}

/**
 * Writes a record header at `offset` of `view` (hot path: no allocation). The payload, if any, is
 * written by the caller at `offset + RECORD_HEADER_BYTES`.
 * @throws RangeError if `seq`/`pos` are not non-negative safe integers or `captureUs` is not a safe integer.
 */
export function writeRecordHeader(view: DataView, offset: number, header: RecordHeader): void {
  const { seq, pos, captureUs } = header;
  if (!(Number.isSafeInteger(seq) && seq >= 0 && Number.isSafeInteger(pos) && pos >= 0)) {
    throw new RangeError(`seq ${seq} / pos ${pos} must be non-negative safe integers`);
  }
  if (!Number.isSafeInteger(captureUs)) throw new RangeError(`captureUs ${captureUs} is not a safe integer`);
  view.setUint8(offset, EASP_VERSION);
  view.setUint8(offset + 1, header.kind);
  view.setUint8(offset + 2, header.flags);
  view.setUint8(offset + 3, header.maskOrReason);
  view.setUint32(offset + 4, header.streamId);
  view.setUint32(offset + 8, Math.floor(seq / TWO_POW_32));
  view.setUint32(offset + 12, seq >>> 0);
  view.setUint32(offset + 16, Math.floor(pos / TWO_POW_32));
  view.setUint32(offset + 20, pos >>> 0);
  const captureHigh = Math.floor(captureUs / TWO_POW_32);
  view.setInt32(offset + 24, captureHigh);
  view.setUint32(offset + 28, captureUs - captureHigh * TWO_POW_32);
  view.setUint32(offset + 32, header.durationSamples);
  view.setUint32(offset + 36, header.payloadLen);
}

/**
 * Encodes one record into a new buffer (header + payload). `payloadLen` is taken from `payload`.
 * For batching many records into one message, use {@link writeRecordHeader} on a shared buffer.
 * @throws RangeError as {@link writeRecordHeader}.
 */
export function encodeRecord(header: Omit<RecordHeader, "payloadLen">, payload?: Uint8Array): Uint8Array {
  const payloadLen = payload?.byteLength ?? 0;
  const bytes = new Uint8Array(encodedRecordLength(payloadLen));
  writeRecordHeader(new DataView(bytes.buffer), 0, { ...header, payloadLen });
  if (payload) bytes.set(payload, RECORD_HEADER_BYTES);
  return bytes;
}

function readU64(view: DataView, at: number, recordOffset: number): number {
  const high = view.getUint32(at);
  if (high > MAX_SAFE_HIGH) {
    throw new EaspProtocolError("EASP_RECORD_RANGE", `u64 at byte ${at} exceeds 2^53`, recordOffset);
  }
  return high * TWO_POW_32 + view.getUint32(at + 4);
}

function readI64(view: DataView, at: number, recordOffset: number): number {
  const high = view.getInt32(at);
  if (high > MAX_SAFE_HIGH || high < -MAX_SAFE_HIGH - 1) {
    throw new EaspProtocolError("EASP_RECORD_RANGE", `i64 at byte ${at} exceeds ±2^53`, recordOffset);
  }
  return high * TWO_POW_32 + view.getUint32(at + 4);
}

/**
 * Decodes the record that starts at `offset` of `bytes`, checking the layout rules of EASP.md §3
 * (version, kind, reserved flags, GAP without payload, length within the message). The stream
 * invariants (§1 2–4) need the stream's description: see {@link checkRecordInvariants}.
 * @returns the record; its payload is a view into `bytes`.
 * @throws EaspProtocolError `EASP_RECORD_TRUNCATED`, `EASP_RECORD_VERSION`, `EASP_RECORD_KIND`,
 *   `EASP_RECORD_FLAGS`, `EASP_RECORD_GAP_PAYLOAD`, `EASP_RECORD_RANGE` (all close code 4000).
 */
export function decodeRecord(bytes: Uint8Array, offset = 0): EaspRecord {
  if (bytes.byteLength - offset < RECORD_HEADER_BYTES) {
    throw new EaspProtocolError("EASP_RECORD_TRUNCATED", "message ends inside a record header", offset);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_HEADER_BYTES);
  const ver = view.getUint8(0);
  if (ver !== EASP_VERSION) throw new EaspProtocolError("EASP_RECORD_VERSION", `record ver ${ver}`, offset);
  const kind = view.getUint8(1);
  if (kind !== RecordKind.Audio && kind !== RecordKind.Gap) {
    throw new EaspProtocolError("EASP_RECORD_KIND", `unknown record kind ${kind}`, offset);
  }
  const flags = view.getUint8(2);
  if ((flags & ~RECORD_FLAGS_DEFINED) !== 0) {
    throw new EaspProtocolError(
      "EASP_RECORD_FLAGS",
      `reserved flag bits set: 0x${flags.toString(16)}`,
      offset,
    );
  }
  const payloadLen = view.getUint32(36);
  if (kind === RecordKind.Gap && payloadLen !== 0) {
    throw new EaspProtocolError(
      "EASP_RECORD_GAP_PAYLOAD",
      `GAP record with payloadLen ${payloadLen}`,
      offset,
    );
  }
  const payloadStart = offset + RECORD_HEADER_BYTES;
  if (bytes.byteLength - payloadStart < payloadLen) {
    throw new EaspProtocolError(
      "EASP_RECORD_TRUNCATED",
      `payloadLen ${payloadLen} exceeds the message`,
      offset,
    );
  }
  return {
    kind,
    flags,
    maskOrReason: view.getUint8(3),
    streamId: view.getUint32(4),
    seq: readU64(view, 8, offset),
    pos: readU64(view, 16, offset),
    captureUs: readI64(view, 24, offset),
    durationSamples: view.getUint32(32),
    payloadLen,
    payload: bytes.subarray(payloadStart, payloadStart + payloadLen),
  };
}

/**
 * Decodes every record of one binary WebSocket message (one or more complete records back to
 * back; a record never spans messages, EASP.md §3).
 * @throws EaspProtocolError as {@link decodeRecord}; an empty message is `EASP_RECORD_TRUNCATED`.
 */
export function decodeRecords(message: Uint8Array): EaspRecord[] {
  if (message.byteLength === 0)
    throw new EaspProtocolError("EASP_RECORD_TRUNCATED", "empty binary message", 0);
  const records: EaspRecord[] = [];
  let offset = 0;
  while (offset < message.byteLength) {
    const record = decodeRecord(message, offset);
    records.push(record);
    offset += RECORD_HEADER_BYTES + record.payloadLen;
  }
  return records;
}
