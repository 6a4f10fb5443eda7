import {
  encodeRecord,
  type OpenMessage,
  RecordFlags,
  RecordKind,
  type StreamDesc,
} from "../../src/easp/index.ts";
import { concatBytes, testPayload, until } from "./recorded-call.ts";

/** Capture time of pos 0 in the records a {@link EaspTestSession} sends, µs since the Unix epoch. */
const epochUs = 1_735_689_600_000_000;

/**
 * One EASP/1 session to a receiver, written by hand for tests (EASP.md §4–5): `open`, durable items
 * in seq order (AUDIO records carry {@link testPayload}`(streamId, frame)` at pos = frame × 160), `sync`,
 * `close`. It checks nothing: the receiver is what is under test.
 */
export class EaspTestSession {
  /** `opened.nextSeq`: the receiver's committed seq + 1 for this session. */
  readonly nextSeq: number;
  readonly #ws: WebSocket;
  readonly #received: Array<Record<string, unknown>>;
  #seq: number;

  private constructor(ws: WebSocket, received: Array<Record<string, unknown>>, nextSeq: number) {
    this.#ws = ws;
    this.#received = received;
    this.nextSeq = nextSeq;
    this.#seq = nextSeq;
  }

  /**
   * Connects to `ws://127.0.0.1:<port>/stream` with the `easp.v1` subprotocol, sends `open` and waits
   * for `opened`; the next item gets the receiver's `nextSeq`.
   * @throws Error when the connection fails or closes before `opened`.
   */
  static async open(port: number, open: OpenMessage): Promise<EaspTestSession> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/stream`, { protocols: ["easp.v1"] });
    const received: Array<Record<string, unknown>> = [];
    ws.onmessage = (event) => received.push(JSON.parse(String(event.data)));
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("connection refused"));
    });
    ws.send(JSON.stringify(open));
    const opened = await next(received, "opened");
    return new EaspTestSession(ws, received, Number(opened.nextSeq));
  }

  /** Sends AUDIO records of stream `streamId` for `frames` in one binary message. */
  audio(streamId: number, frames: number[], flags = 0): void {
    const records = frames.map((frame) =>
      encodeRecord(
        {
          kind: RecordKind.Audio,
          flags,
          maskOrReason: 1,
          streamId,
          seq: this.#seq++,
          pos: frame * 160,
          captureUs: epochUs + frame * 20_000,
          durationSamples: 160,
        },
        testPayload(streamId, frame),
      ),
    );
    this.#ws.send(concatBytes(records));
  }

  /** Sends a GAP record of `frames` × 20 ms from frame `frame`, with an EASP GAP reason code. */
  gap(streamId: number, frame: number, frames: number, reason: number): void {
    this.#ws.send(
      encodeRecord({
        kind: RecordKind.Gap,
        flags: 0,
        maskOrReason: reason,
        streamId,
        seq: this.#seq++,
        pos: frame * 160,
        captureUs: epochUs + frame * 20_000,
        durationSamples: frames * 160,
      }),
    );
  }

  /** Sends an AUDIO record again with an old `seq` (a resend after a lost ack), flagged REPLAY. */
  resendAudio(streamId: number, seq: number, frame: number): void {
    this.#ws.send(
      encodeRecord(
        {
          kind: RecordKind.Audio,
          flags: RecordFlags.Replay,
          maskOrReason: 1,
          streamId,
          seq,
          pos: frame * 160,
          captureUs: epochUs + frame * 20_000,
          durationSamples: 160,
        },
        testPayload(streamId, frame),
      ),
    );
  }

  /** Sends `sync` and resolves with the seq of the `ack` that answers it. */
  async sync(): Promise<number> {
    this.#ws.send(JSON.stringify({ type: "sync", v: 1 }));
    let ack = await next(this.#received, "ack");
    while (Number(ack.seq) < this.#seq - 1) ack = await next(this.#received, "ack");
    return Number(ack.seq);
  }

  /** Sends `stream.end` (ending at frame `endFrame`) and `close`, waits for `closed`, disconnects. */
  async end(streamId: number, endFrame: number, reason: string): Promise<void> {
    const seq = this.#seq++;
    this.#ws.send(
      JSON.stringify({
        type: "stream.end",
        v: 1,
        seq,
        streamId,
        endPos: endFrame * 160,
        endCaptureTime: epochUs + endFrame * 20_000,
        reason,
      }),
    );
    this.#ws.send(JSON.stringify({ type: "close", v: 1, reason: "end", finalSeq: seq }));
    await next(this.#received, "closed");
    this.#ws.close(1000);
  }

  /** Drops the connection without closing the session. */
  disconnect(): void {
    this.#ws.close(1000);
  }
}

/** Removes and returns the first received message of `type`, waiting for it. */
async function next(
  received: Array<Record<string, unknown>>,
  type: string,
): Promise<Record<string, unknown>> {
  await until(() => received.some((m) => m.type === type), `a ${type} message`);
  const index = received.findIndex((m) => m.type === type);
  return received.splice(index, 1)[0] as Record<string, unknown>;
}

/** A mono 8 kHz stream description with label `label`. */
export function testStreamDesc(
  streamId: number,
  label: string,
  codec: StreamDesc["codec"] = "PCMU",
): StreamDesc {
  return {
    streamId,
    label,
    codec,
    rate: 8000,
    channels: 1,
    channelMap: [{ channel: 0, participantId: `p${label}`, siprecStreamId: `s${label}`, label }],
    firstPos: 0,
    clock: "arrival",
    recordMs: 20,
  };
}

/** An `open` for call `callId`, new unless `nextSeq` > 1, optionally a continuation segment. */
export function testOpenMessage(
  callId: string,
  sessionId: string,
  streams: StreamDesc[],
  options: { segment?: number; continuationOf?: string | null; nextSeq?: number } = {},
): OpenMessage {
  const nextSeq = options.nextSeq ?? 1;
  return {
    type: "open",
    v: 1,
    sessionId,
    resume: nextSeq > 1,
    nextSeq,
    callId,
    segment: options.segment ?? 0,
    continuationOf: options.continuationOf ?? null,
    callEpoch: "2025-01-01T00:00:00.000000Z",
    mode: "per-participant",
    recording: {
      siprecSessionId: "c2Vzc2lvbi0x",
      sipCallId: "7-1234@127.0.0.1",
      src: "127.0.0.1:5060",
      startTime: "2025-01-01T00:00:00.000000Z",
    },
    participants: [],
    streams,
    appliance: { id: "edge-test", version: "0", clock: { sync: "none" } },
    capabilities: { maxMessageBytes: 65536, replay: true },
  };
}
