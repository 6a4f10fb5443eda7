import { describe, expect, it } from "vitest";
import {
  decodeRecord,
  decodeRecords,
  EaspGapReason,
  EaspProtocolError,
  encodeRecord,
  RECORD_HEADER_BYTES,
  RecordFlags,
  RecordKind,
  writeRecordHeader,
} from "../../../src/easp/index.ts";

const audio = {
  kind: RecordKind.Audio,
  flags: RecordFlags.Replay | RecordFlags.Marker,
  maskOrReason: 0b11,
  streamId: 0x01020304,
  seq: 2 ** 40 + 5,
  pos: 2 ** 33 + 160,
  captureUs: 1_735_689_600_123_456,
  durationSamples: 160,
};

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

describe("EASP/1 binary records", () => {
  it("puts every header field at its EASP.md §3 offset, big-endian", () => {
    const payload = Uint8Array.from({ length: 320 }, (_, i) => i & 0xff);
    const bytes = encodeRecord(audio, payload);
    const view = new DataView(bytes.buffer);
    expect(bytes.byteLength).toBe(RECORD_HEADER_BYTES + 320);
    expect(view.getUint8(0)).toBe(1);
    expect(view.getUint8(1)).toBe(RecordKind.Audio);
    expect(view.getUint8(2)).toBe(RecordFlags.Replay | RecordFlags.Marker);
    expect(view.getUint8(3)).toBe(0b11);
    expect(hex(bytes.subarray(4, 8))).toBe("01020304");
    expect(view.getBigUint64(8)).toBe(BigInt(audio.seq));
    expect(view.getBigUint64(16)).toBe(BigInt(audio.pos));
    expect(view.getBigInt64(24)).toBe(BigInt(audio.captureUs));
    expect(view.getUint32(32)).toBe(160);
    expect(view.getUint32(36)).toBe(320);
    expect(bytes.subarray(40)).toEqual(payload);
  });

  it("decodes what it encodes, payload as a view into the message", () => {
    const payload = new Uint8Array(160).fill(0x7f);
    const bytes = encodeRecord(audio, payload);
    const record = decodeRecord(bytes);
    expect({ ...record, payload: undefined }).toEqual({ ...audio, payloadLen: 160, payload: undefined });
    expect(record.payload).toEqual(payload);
    expect(record.payload.buffer).toBe(bytes.buffer);
  });

  it("keeps negative capture times (before 1970) exact", () => {
    const record = decodeRecord(encodeRecord({ ...audio, captureUs: -1_234_567_890_123 }));
    expect(record.captureUs).toBe(-1_234_567_890_123);
  });

  it("encodes a GAP record with its reason in byte 3 and no payload", () => {
    const bytes = encodeRecord({
      ...audio,
      kind: RecordKind.Gap,
      flags: 0,
      maskOrReason: EaspGapReason.PacketLoss,
    });
    expect(bytes.byteLength).toBe(RECORD_HEADER_BYTES);
    const record = decodeRecord(bytes);
    expect(record.kind).toBe(RecordKind.Gap);
    expect(record.maskOrReason).toBe(EaspGapReason.PacketLoss);
    expect(record.payloadLen).toBe(0);
  });

  it("decodes several records carried back to back in one message", () => {
    const message = new Uint8Array(3 * (RECORD_HEADER_BYTES + 160));
    const view = new DataView(message.buffer);
    for (let i = 0; i < 3; i++) {
      const at = i * (RECORD_HEADER_BYTES + 160);
      writeRecordHeader(view, at, { ...audio, seq: 10 + i, pos: i * 160, payloadLen: 160 });
      message.fill(i, at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + 160);
    }
    const records = decodeRecords(message);
    expect(records.map((r) => [r.seq, r.pos, r.payload[0]])).toEqual([
      [10, 0, 0],
      [11, 160, 1],
      [12, 320, 2],
    ]);
  });

  it("refuses to write seq, pos or captureTime that a u64/i64 number cannot hold exactly", () => {
    const view = new DataView(new ArrayBuffer(RECORD_HEADER_BYTES));
    expect(() => writeRecordHeader(view, 0, { ...audio, seq: -1, payloadLen: 0 })).toThrow(RangeError);
    expect(() => writeRecordHeader(view, 0, { ...audio, pos: 2 ** 53, payloadLen: 0 })).toThrow(RangeError);
    expect(() => writeRecordHeader(view, 0, { ...audio, captureUs: 0.5, payloadLen: 0 })).toThrow(RangeError);
  });

  const valid = (): Uint8Array => encodeRecord(audio, new Uint8Array(160));
  const withByte = (at: number, value: number): Uint8Array => {
    const bytes = valid();
    bytes[at] = value;
    return bytes;
  };
  const gapWithPayload = (): Uint8Array => {
    const bytes = valid();
    bytes[1] = RecordKind.Gap;
    return bytes;
  };

  it.each([
    { name: "a header cut short", bytes: valid().subarray(0, 39), code: "EASP_RECORD_TRUNCATED" },
    { name: "a payload cut short", bytes: valid().subarray(0, 100), code: "EASP_RECORD_TRUNCATED" },
    { name: "an empty message", bytes: new Uint8Array(0), code: "EASP_RECORD_TRUNCATED" },
    { name: "version 2", bytes: withByte(0, 2), code: "EASP_RECORD_VERSION" },
    { name: "an unknown kind", bytes: withByte(1, 3), code: "EASP_RECORD_KIND" },
    { name: "a reserved flag bit", bytes: withByte(2, 0x20), code: "EASP_RECORD_FLAGS" },
    { name: "a GAP with a payload", bytes: gapWithPayload(), code: "EASP_RECORD_GAP_PAYLOAD" },
    { name: "a seq beyond 2^53", bytes: withByte(8, 0x01), code: "EASP_RECORD_RANGE" },
  ])("rejects $name with $code (close code 4000)", ({ bytes, code }) => {
    let caught: unknown;
    try {
      decodeRecords(bytes);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EaspProtocolError);
    expect((caught as EaspProtocolError).code).toBe(code);
    expect((caught as EaspProtocolError).closeCode).toBe(4000);
  });

  it("reports the offset of the bad record inside a multi-record message", () => {
    const good = valid();
    const message = new Uint8Array(good.byteLength * 2);
    message.set(good, 0);
    message.set(good, good.byteLength);
    message[good.byteLength] = 9;
    expect(() => decodeRecords(message)).toThrow(
      expect.objectContaining({ code: "EASP_RECORD_VERSION", offset: good.byteLength }),
    );
  });
});
