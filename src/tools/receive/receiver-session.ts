import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import {
  checkRecordInvariants,
  classifySeq,
  type DurableMessage,
  EaspProtocolError,
  type EaspRecord,
  newStreamTrack,
  type OpenMessage,
  RecordFlags,
  RecordKind,
  type StreamDesc,
  type StreamTrack,
} from "../../easp/index.ts";
import { ReceiverError } from "./errors.ts";
import { WavFile } from "./wav-file.ts";

/** A run of GAP records on a stream's timeline (consecutive gaps with one reason are merged). */
export interface GapSpan {
  /** First sample, samples since the call epoch. */
  pos: number;
  /** Length, samples. */
  durationSamples: number;
  /** EASP GAP reason code. */
  reason: number;
}

/** What the session file keeps per stream. */
export interface StreamState {
  /** The stream's description (from `open` or `stream.start`). */
  desc: StreamDesc;
  /** WAV file name, next to the session file. */
  file: string;
  /** `pos` of the first record, or null before any record. */
  firstPos: number | null;
  /** Per-stream invariant state (EASP.md §1, 2 and 4) at the last commit. */
  track: StreamTrack;
  /** WAV data bytes at the last commit. */
  dataBytes: number;
  /** AUDIO and GAP records written. */
  records: number;
  /** Of which GAP records. */
  gapRecords: number;
  /** Records that carried the REPLAY flag (sent from the appliance's spool, late). */
  replayRecords: number;
  /** Gap spans, merged. */
  gaps: GapSpan[];
}

/** The `<sessionId>.json` file: everything committed about a session. */
export interface SessionFile {
  sessionId: string;
  callId: string;
  /** EASP `segment` of the session (0 for a unit's first session). */
  segment: number;
  /** The session this one continues (live-first cut, ack regression), or null. */
  continuationOf: string | null;
  /** Highest seq such that every item ≤ it is on disk (the receiver's `committed`). */
  committed: number;
  /** The latest `open` message (recording, participants, streams). */
  open: OpenMessage;
  /** Durable JSON items (`stream.start`, `stream.end`, `metadata`, `event`), in seq order. */
  items: DurableMessage[];
  /** Per stream id. */
  streams: Record<string, StreamState>;
  /** Totals: records written, payload bytes written, duplicates dropped. */
  counts: { records: number; bytes: number; duplicates: number };
}

/** What one batch of records did, for the receiver's statistics. */
export interface AcceptResult {
  records: number;
  bytes: number;
  duplicates: number;
  /** Records with the REPLAY flag. */
  replayRecords: number;
}

/**
 * One EASP session on the receiver side (EASP.md §5, receiver): checks each durable item against
 * the expected `seq` (duplicates ≤ committed are dropped by seq, whatever their REPLAY bit; a gap
 * is protocol error 4000) and the
 * stream invariants, writes audio to one WAV per stream, and on {@link commit} makes the writes
 * durable (fsync) *before* recording the new `committed` — the ack the caller sends afterwards
 * therefore never covers data that is not on disk.
 */
export class ReceiverSession {
  readonly sessionId: string;
  readonly callId: string;
  readonly #dir: string;
  readonly #file: SessionFile;
  /** Streams declared (in `open` or `stream.start`), by id. */
  readonly #declared = new Map<number, StreamDesc>();
  readonly #wavs = new Map<number, WavFile>();
  /** Next seq expected (items up to it − 1 are written, maybe not yet committed). */
  #expected: number;
  /** Whether anything was accepted (or the `open` changed) since the last commit. */
  #changed = true;
  #closed = false;

  private constructor(dir: string, file: SessionFile) {
    this.#dir = dir;
    this.#file = file;
    this.sessionId = file.sessionId;
    this.callId = file.callId;
    this.#expected = file.committed + 1;
    for (const desc of file.open.streams) this.#declared.set(desc.streamId, desc);
    for (const [id, state] of Object.entries(file.streams)) {
      this.#declared.set(Number(id), state.desc);
      this.#wavs.set(
        Number(id),
        WavFile.reopen(join(dir, state.file), wavFormat(state.desc), state.dataBytes),
      );
    }
  }

  /**
   * Opens a session: resumes it from `<outDir>/<callId>/<sessionId>.json` when that exists
   * (cutting its WAV files back to the committed size), else starts it empty.
   * @throws ReceiverError `RECEIVER_BAD_ID` for ids that are not safe file names,
   *   `RECEIVER_STATE` for a session file or WAV that cannot be used.
   */
  static open(outDir: string, open: OpenMessage): ReceiverSession {
    for (const id of [open.callId, open.sessionId]) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) {
        throw new ReceiverError("RECEIVER_BAD_ID", `${JSON.stringify(id)} is not a safe file name`);
      }
    }
    const dir = join(outDir, open.callId);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${open.sessionId}.json`);
    let file: SessionFile;
    if (existsSync(path)) {
      try {
        file = JSON.parse(readFileSync(path, "utf8")) as SessionFile;
      } catch (err) {
        throw new ReceiverError("RECEIVER_STATE", `unreadable session file ${path}`, { cause: err });
      }
      file.open = open;
      file.segment ??= open.segment;
      file.continuationOf ??= open.continuationOf;
      for (const state of Object.values(file.streams)) state.replayRecords ??= 0;
    } else {
      file = {
        sessionId: open.sessionId,
        callId: open.callId,
        segment: open.segment,
        continuationOf: open.continuationOf,
        committed: 0,
        open,
        items: [],
        streams: {},
        counts: { records: 0, bytes: 0, duplicates: 0 },
      };
    }
    return new ReceiverSession(dir, file);
  }

  /** Highest seq committed (on disk, safe to acknowledge). */
  get committed(): number {
    return this.#file.committed;
  }

  /**
   * Takes a durable JSON item.
   * @returns false if it was a duplicate (dropped).
   * @throws EaspProtocolError `EASP_SEQ_GAP`, `EASP_UNKNOWN_STREAM`.
   */
  acceptItem(item: DurableMessage): boolean {
    if (!this.#admit(item.seq)) {
      this.#file.counts.duplicates += 1;
      return false;
    }
    this.#changed = true;
    if (item.type === "stream.start") {
      const { type: _type, v: _v, seq: _seq, ...desc } = item;
      if (!this.#file.streams[desc.streamId]) this.#declared.set(desc.streamId, desc);
      this.#stream(desc.streamId);
    } else if (item.type === "stream.end") {
      this.#stream(item.streamId);
    }
    this.#file.items.push(item);
    this.#expected += 1;
    return true;
  }

  /**
   * Takes the records of one binary message, writing their audio (GAP records as codec silence,
   * so the WAV keeps the timeline).
   * @throws EaspProtocolError for a seq gap or a broken stream invariant (nothing of that record is written).
   */
  acceptRecords(records: EaspRecord[]): AcceptResult {
    const result: AcceptResult = { records: 0, bytes: 0, duplicates: 0, replayRecords: 0 };
    for (const record of records) {
      if (!this.#admit(record.seq)) {
        result.duplicates += 1;
        continue;
      }
      const { state, wav } = this.#stream(record.streamId);
      const jump = record.pos - state.track.nextPos;
      const reanchored = state.track.started && (record.flags & RecordFlags.Discontinuity) !== 0;
      checkRecordInvariants(record, state.desc, state.track);
      if (reanchored && jump > 0) wav.appendSilence(jump);
      if (state.firstPos === null) state.firstPos = record.pos;
      if (record.kind === RecordKind.Audio) {
        wav.append(state.desc.codec === "L16" ? swapBytePairs(record.payload) : record.payload);
        result.bytes += record.payloadLen;
      } else {
        wav.appendSilence(record.durationSamples);
        addGap(state.gaps, record.pos, record.durationSamples, record.maskOrReason);
        state.gapRecords += 1;
      }
      if ((record.flags & RecordFlags.Replay) !== 0) {
        state.replayRecords += 1;
        result.replayRecords += 1;
      }
      state.records += 1;
      result.records += 1;
      this.#expected += 1;
    }
    if (result.records > 0) this.#changed = true;
    this.#file.counts.records += result.records;
    this.#file.counts.bytes += result.bytes;
    this.#file.counts.duplicates += result.duplicates;
    return result;
  }

  /**
   * Makes everything accepted so far durable: WAV headers patched and fsynced, then the session
   * file rewritten atomically with the new `committed`.
   * @returns the committed seq.
   */
  commit(): number {
    if (this.#closed || !this.#changed) return this.#file.committed;
    this.#changed = false;
    for (const [id, wav] of this.#wavs) {
      wav.sync();
      const state = this.#file.streams[id];
      if (state) state.dataBytes = wav.dataBytes;
    }
    this.#file.committed = this.#expected - 1;
    writeFileAtomic(join(this.#dir, `${this.sessionId}.json`), `${JSON.stringify(this.#file, null, 2)}\n`);
    return this.#file.committed;
  }

  /** Commits and closes the WAV files. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.commit();
    this.#closed = true;
    for (const wav of this.#wavs.values()) wav.close();
  }

  /** Applies EASP.md §5's rule to a durable item's seq: true = process it, false = duplicate (drop it). */
  #admit(seq: number): boolean {
    const verdict = classifySeq(seq, this.#expected);
    if (verdict === "gap")
      throw new EaspProtocolError("EASP_SEQ_GAP", `seq ${seq}, expected ${this.#expected}`);
    return verdict === "next";
  }

  /** The state and WAV of a declared stream, creating its WAV on first use. */
  #stream(streamId: number): { state: StreamState; wav: WavFile } {
    let state = this.#file.streams[streamId];
    let wav = this.#wavs.get(streamId);
    if (!state || !wav) {
      const desc = this.#declared.get(streamId);
      if (!desc) throw new EaspProtocolError("EASP_UNKNOWN_STREAM", `stream ${streamId} was not declared`);
      const file = `${this.sessionId}-${streamId}.wav`;
      wav = WavFile.create(join(this.#dir, file), wavFormat(desc));
      state = {
        desc,
        file,
        firstPos: null,
        track: newStreamTrack(),
        dataBytes: 0,
        records: 0,
        gapRecords: 0,
        replayRecords: 0,
        gaps: [],
      };
      this.#file.streams[streamId] = state;
      this.#wavs.set(streamId, wav);
    }
    return { state, wav };
  }
}

function wavFormat(desc: StreamDesc): { codec: StreamDesc["codec"]; channels: number; rate: number } {
  return { codec: desc.codec, channels: desc.channels, rate: desc.rate };
}

/** L16 arrives big-endian (RFC 3551 §4.5.11); WAV PCM is little-endian. */
function swapBytePairs(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.byteLength);
  for (let i = 0; i + 1 < payload.byteLength; i += 2) {
    out[i] = payload[i + 1] ?? 0;
    out[i + 1] = payload[i] ?? 0;
  }
  return out;
}

function addGap(gaps: GapSpan[], pos: number, durationSamples: number, reason: number): void {
  const last = gaps[gaps.length - 1];
  if (last && last.reason === reason && last.pos + last.durationSamples === pos)
    last.durationSamples += durationSamples;
  else gaps.push({ pos, durationSamples, reason });
}

/** Writes a file so that a crash leaves either the old or the new content (write, fsync, rename). */
function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
