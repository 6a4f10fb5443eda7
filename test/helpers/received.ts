import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** One stream as `siprec-edge receive` wrote it: the WAV's audio bytes and what the session declared. */
export interface ReceivedStream {
  callId: string;
  sessionId: string;
  /** EASP stream id. */
  streamId: number;
  /** The stream's label (the m-line's `a=label`, or a join of labels for interleaved streams). */
  label: string;
  /** `PCMU`, `PCMA` or `L16`. */
  format: string;
  channels: number;
  /** The WAV `data` chunk: G.711 bytes, or 16-bit little-endian PCM. */
  data: Uint8Array;
  /** GAP records written. */
  gapRecords: number;
}

interface SessionFileJson {
  sessionId: string;
  callId: string;
  streams: Record<
    string,
    {
      desc: { streamId: number; label: string; codec: string; channels: number };
      file: string;
      gapRecords: number;
    }
  >;
}

/** Returns the bytes of a RIFF/WAVE file's `data` chunk. */
export function wavData(wav: Uint8Array): Uint8Array {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  let offset = 12;
  while (offset + 8 <= wav.byteLength) {
    const id = String.fromCharCode(...wav.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, true);
    if (id === "data") return wav.subarray(offset + 8, offset + 8 + size);
    offset += 8 + size + (size % 2);
  }
  throw new Error("no data chunk in WAV file");
}

/** Reads every stream the reference receiver wrote under `outDir` (`<callId>/<sessionId>.json` + WAVs). */
export async function readReceivedStreams(outDir: string): Promise<ReceivedStream[]> {
  const out: ReceivedStream[] = [];
  for (const callId of await readdir(outDir)) {
    const callDir = join(outDir, callId);
    for (const name of (await readdir(callDir)).filter((n) => n.endsWith(".json"))) {
      const session = JSON.parse(await readFile(join(callDir, name), "utf8")) as SessionFileJson;
      for (const stream of Object.values(session.streams)) {
        out.push({
          callId: session.callId,
          sessionId: session.sessionId,
          streamId: stream.desc.streamId,
          label: stream.desc.label,
          format: stream.desc.codec,
          channels: stream.desc.channels,
          data: wavData(new Uint8Array(await readFile(join(callDir, stream.file)))),
          gapRecords: stream.gapRecords,
        });
      }
    }
  }
  return out;
}
