import type { SinkFeed, StreamEndReason } from "../../src/sinks/index.ts";
import {
  type AudioCodec,
  type CallRecord,
  FrameKind,
  type FrameRecord,
  type ParticipantRole,
  type Spool,
  type StreamRecord,
} from "../../src/spool/index.ts";

/** One stream of a test call. */
export interface TestStreamSpec {
  role: ParticipantRole;
  label: string;
  codec?: AudioCodec;
}

/**
 * A call recorded the way the SRS records it: call and streams stored in the spool, every frame
 * appended to the spool and then handed to the sink feed, streams and call ended in order.
 */
export class RecordedCall {
  readonly call: CallRecord;
  readonly streams: StreamRecord[] = [];
  readonly #spool: Spool;
  readonly #feed: SinkFeed;
  /** Next pos per stream, samples. */
  readonly #nextPos: number[] = [];

  constructor(spool: Spool, feed: SinkFeed, specs: TestStreamSpec[], epochUs = Date.UTC(2025, 0, 1) * 1000) {
    this.#spool = spool;
    this.#feed = feed;
    const callId = `call-${crypto.randomUUID()}`;
    this.call = {
      callId,
      sipCallId: `${callId}@sbc.example`,
      siprecSessionId: "c2lwcmVjLXNlc3Npb24=",
      correlation: {},
      source: "192.0.2.10:5060",
      startedUs: epochUs - 50_000,
      epochUs,
      endedUs: 0,
      state: "live",
      reason: "",
      metadataXml: "",
      participants: specs.map((s, i) => ({
        participantId: `p${i}`,
        aor: `sip:${s.role}${i}@example.com`,
        name: "",
        role: s.role,
      })),
    };
    spool.createCall(this.call);
    feed.callStarted(this.call);
    specs.forEach((spec, i) => {
      const stream = spool.createStream({
        callId,
        label: spec.label,
        siprecStreamId: `s${i}`,
        participantId: `p${i}`,
        role: spec.role,
        mlineIndex: i,
        codec: spec.codec ?? "PCMU",
        rate: 8000,
        payloadType: spec.codec === "PCMA" ? 8 : 0,
        startedUs: epochUs,
      });
      this.streams.push(stream);
      this.#nextPos.push(0);
      feed.streamStarted(this.call, stream);
    });
  }

  /** Moves a stream's next frame to `pos` (a stream that starts later than the call epoch). */
  startAt(index: number, pos: number): void {
    this.#nextPos[index] = pos;
  }

  /** Appends one AUDIO frame (one sample per byte) to stream `index` and feeds it to the sinks. */
  audio(index: number, payload: Uint8Array): FrameRecord {
    return this.#append(index, FrameKind.Audio, 0, payload.byteLength, payload);
  }

  /** Appends one GAP frame of `samples` with `reason`. */
  gap(index: number, samples: number, reason: number): FrameRecord {
    return this.#append(index, FrameKind.Gap, reason, samples, new Uint8Array(0));
  }

  /** Ends stream `index`. */
  endStream(index: number, reason: StreamEndReason = "bye"): void {
    const stream = this.streams[index] as StreamRecord;
    this.#spool.endStream(stream.streamId, this.call.epochUs + 60_000_000);
    this.#feed.streamEnded(stream, reason);
  }

  /** Ends every stream that is still open, then the call (BYE). */
  end(): void {
    this.streams.forEach((_, i) => {
      this.endStream(i);
    });
    this.call.state = "completed";
    this.call.reason = "bye";
    this.#spool.endCall(this.call.callId, "completed", "bye", this.call.epochUs + 60_000_000);
    this.#feed.callEnded(this.call);
  }

  #append(
    index: number,
    kind: FrameKind,
    gapReason: number,
    samples: number,
    payload: Uint8Array,
  ): FrameRecord {
    const stream = this.streams[index] as StreamRecord;
    const pos = this.#nextPos[index] ?? 0;
    const input = {
      kind,
      flags: 0,
      gapReason,
      rtpSeq: Math.floor(pos / 160),
      pos,
      captureUs: this.call.epochUs + Math.round((pos * 1e6) / 8000),
      durationSamples: samples,
      payload,
    };
    const idx = this.#spool.appendFrame(stream.streamId, input);
    this.#nextPos[index] = pos + samples;
    const frame: FrameRecord = { ...input, streamId: stream.streamId, idx };
    this.#feed.frame(frame);
    return frame;
  }
}

/** Deterministic pseudo-random G.711 bytes for frame `frame` of stream `stream` (160 = 20 ms). */
export function testPayload(stream: number, frame: number, length = 160): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = (stream * 7919 + frame * 104_729 + 1) >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** Joins byte arrays. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** Lets the event loop run (sockets, timers, the dispatcher's per-turn flush). */
export function nextTurn(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `predicate()` holds, polling every 10 ms; rejects after `timeoutMs` with `what`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await nextTurn(10);
  }
}
