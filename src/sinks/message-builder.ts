import { DEFAULT_MAX_MESSAGE_BYTES, RECORD_HEADER_BYTES, RecordFlags } from "../easp/index.ts";
import { InflightWindow } from "./inflight-window.ts";
import { type ItemOutput, type ItemSource, RESERVE_FULL, RESERVE_PACED } from "./item-source.ts";
import type { ReplayPacer } from "./replay-pacer.ts";
import type { ScratchBuffer } from "./scratch-buffer.ts";
import type { WithheldAudio } from "./withheld-audio.ts";

/**
 * The outgoing side of one connection: binary records coalesced into one WebSocket message
 * (≤ `maxMessageBytes`, EASP.md §3) in the dispatcher's shared buffer, JSON items as text frames
 * in seq order, and the count of what is in flight for the receiver's window. It also decides each
 * record's REPLAY flag (captured longer ago than the threshold when sent) and holds replayed audio
 * back to the replay pace.
 */
export class MessageBuilder implements ItemOutput {
  /** Highest seq handed to the socket. */
  sentSeq = 0;
  /** After {@link reserveRecord} returned {@link RESERVE_PACED}: how long until the pace allows it, ms. */
  pacedForMs = 0;
  replayFlag = 0;
  /** Messages sent and not yet acknowledged. */
  readonly inflight = new InflightWindow();
  readonly #scratch: ScratchBuffer;
  readonly #source: ItemSource;
  readonly #pacer: ReplayPacer;
  readonly #thresholdUs: number;
  readonly #withheld: WithheldAudio;
  #ws: WebSocket | undefined;
  #maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
  /** Records captured before this (µs since the Unix epoch) are replays; set per pump. */
  #replayBeforeUs = 0;
  /** Message under construction: bytes used and audio ms. */
  #length = 0;
  #ms = 0;

  constructor(
    scratch: ScratchBuffer,
    source: ItemSource,
    sentSeq: number,
    pacer: ReplayPacer,
    replayThresholdMs: number,
    withheld: WithheldAudio,
  ) {
    this.#withheld = withheld;
    this.#scratch = scratch;
    this.#source = source;
    this.sentSeq = sentSeq;
    this.#pacer = pacer;
    this.#thresholdUs = replayThresholdMs * 1000;
  }

  get bytes(): Uint8Array {
    return this.#scratch.bytes;
  }

  get view(): DataView {
    return this.#scratch.view;
  }

  /** Starts the output of a new connection after `sentSeq` (what follows is sent again). */
  start(ws: WebSocket, maxMessageBytes: number, sentSeq: number): void {
    this.#ws = ws;
    this.#maxMessageBytes = Math.min(maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES);
    this.sentSeq = sentSeq;
    this.inflight.reset();
    this.#length = 0;
    this.#ms = 0;
  }

  /** Forgets the connection (it closed). */
  stop(): void {
    this.#ws = undefined;
    this.#length = 0;
    this.#ms = 0;
  }

  /** Starts a pump at wall time `nowUs` (µs since the Unix epoch). */
  begin(nowUs: number): void {
    this.#replayBeforeUs = nowUs - this.#thresholdUs;
  }

  /** Whether the receiver's window `{ms, bytes}` is used up, counting the message being built. */
  windowFull(window: { ms: number; bytes: number }): boolean {
    return this.inflight.isFull(window, this.#ms, this.#length);
  }

  reserveRecord(length: number, durationMs: number, captureUs: number): number {
    if (this.#length > 0 && this.#length + length > this.#maxMessageBytes) return RESERVE_FULL;
    const replay = captureUs < this.#replayBeforeUs;
    if (replay && length > RECORD_HEADER_BYTES) {
      this.pacedForMs = this.#pacer.take(durationMs);
      if (this.pacedForMs > 0) return RESERVE_PACED;
    }
    this.replayFlag = replay ? RecordFlags.Replay : 0;
    this.#scratch.ensure(this.#length + length, this.#length);
    const offset = this.#length;
    this.#length += length;
    this.#ms += durationMs;
    return offset;
  }

  withheldReason(seq: number, captureUs: number): number {
    return this.#withheld.reasonFor(seq, captureUs);
  }

  text(json: string): void {
    this.flush();
    this.#ws?.send(json);
    this.sentSeq = this.#source.nextSeq;
    this.inflight.add(this.sentSeq, 0, json.length);
  }

  /** Sends the binary message under construction, if any (the client copies on `send`). */
  flush(): void {
    if (this.#length === 0) return;
    this.#ws?.send(this.#scratch.bytes.subarray(0, this.#length));
    this.sentSeq = this.#source.nextSeq - 1;
    this.inflight.add(this.sentSeq, this.#ms, this.#length);
    this.#length = 0;
    this.#ms = 0;
  }
}
