import { decodeG711Into, transcodeG711 } from "../media/index.ts";
import type { AudioCodec } from "../spool/index.ts";

/*
 * G.711 lookup tables (ITU-T G.711), built once from media's codec helpers by running every byte
 * value through them. A table lookup per sample keeps the sink's hot path free of allocation.
 */

/** Every G.711 byte value, 0…255. */
const allBytes = Uint8Array.from({ length: 256 }, (_, byte) => byte);
const decodeTables = new Map<AudioCodec, Int16Array>();
const transcodeTables = new Map<string, Uint8Array>();

/** 256-entry table: G.711 byte → 16-bit linear sample, for `codec` (PCMU μ-law or PCMA A-law). */
export function g711DecodeTable(codec: AudioCodec): Int16Array {
  let table = decodeTables.get(codec);
  if (!table) {
    table = new Int16Array(256);
    decodeG711Into(codec, allBytes, table);
    decodeTables.set(codec, table);
  }
  return table;
}

/** 256-entry table: G.711 byte of `from` → G.711 byte of `to` (identity when equal). */
export function g711TranscodeTable(from: AudioCodec, to: AudioCodec): Uint8Array {
  const key = `${from}>${to}`;
  let table = transcodeTables.get(key);
  if (!table) {
    table = transcodeG711(from, to, allBytes);
    transcodeTables.set(key, table);
  }
  return table;
}
