import type { CallRecord, Spool } from "../../spool/index.ts";
import { SiprecForwardError } from "./errors.ts";
import { forwardStatus } from "./forward-status.ts";
import type { ForwardStatus } from "./forward-types.ts";
import type { CallEntry } from "./sink-forward.ts";

/** Delivered calls whose final forward statuses are still reported from memory. */
const FINISHED_CALLS_KEPT = 200;

/**
 * The calls the forwarder follows: every call the feed announced while it is live, and ended calls
 * while some SIPREC sink is owed their audio; then the final statuses of the last 200 delivered calls.
 */
export class CallEntries {
  readonly #spool: Spool;
  readonly #calls = new Map<string, CallEntry>();
  readonly #finished = new Map<string, ForwardStatus[]>();

  constructor(spool: Spool) {
    this.#spool = spool;
  }

  /** The entry of a followed call. */
  get(callId: string): CallEntry | undefined {
    return this.#calls.get(callId);
  }

  /** Whether the call is followed. */
  has(callId: string): boolean {
    return this.#calls.has(callId);
  }

  /** Final statuses of a recently delivered call. */
  finished(callId: string): ForwardStatus[] | undefined {
    return this.#finished.get(callId);
  }

  /** The entry of a call the feed announced (created on first sight). */
  announced(call: CallRecord): CallEntry {
    let entry = this.#calls.get(call.callId);
    if (!entry) {
      entry = {
        call,
        streams: [],
        endedStreams: new Set(),
        ended: call.state !== "live",
        paused: false,
        forwards: new Map(),
      };
      this.#calls.set(call.callId, entry);
    }
    return entry;
  }

  /**
   * The entry of a call to route: one the feed announced, or an ended call of the spool (followed from now on).
   * @throws SiprecForwardError `SIPREC_FORWARD_UNKNOWN_CALL`.
   */
  routable(callId: string): CallEntry {
    const known = this.#calls.get(callId);
    if (known) return known;
    const call = this.#spool.getCall(callId);
    if (!call || call.state === "live") {
      throw new SiprecForwardError(
        "SIPREC_FORWARD_UNKNOWN_CALL",
        `call ${callId} is not known to the forwarder`,
      );
    }
    return this.follow(this.ended(call));
  }

  /** A new entry of an ended call, with its streams from the spool (not followed until `follow`). */
  ended(call: CallRecord): CallEntry {
    const streams = this.#spool.listStreams(call.callId);
    return {
      call,
      streams,
      endedStreams: new Set(streams.map((s) => s.streamId)),
      ended: true,
      paused: false,
      forwards: new Map(),
    };
  }

  /** Follows an entry. */
  follow(entry: CallEntry): CallEntry {
    this.#finished.delete(entry.call.callId);
    this.#calls.set(entry.call.callId, entry);
    return entry;
  }

  /** Adds the call's streams the spool has and the feed did not announce yet. */
  syncStreams(entry: CallEntry): void {
    for (const stream of this.#spool.listStreams(entry.call.callId)) {
      if (!entry.streams.some((s) => s.streamId === stream.streamId)) entry.streams.push(stream);
      if (stream.endedUs > 0) entry.endedStreams.add(stream.streamId);
    }
  }

  /** Stops following an ended call whose forwards are all done (keeping their final statuses). */
  forgetIfDone(entry: CallEntry): void {
    if (!entry.ended) return;
    for (const forward of entry.forwards.values()) if (!forward.done || forward.sessions().length > 0) return;
    this.#calls.delete(entry.call.callId);
    if (entry.forwards.size === 0) return;
    this.#finished.set(
      entry.call.callId,
      [...entry.forwards.values()].map((f) => forwardStatus(f, this.#spool)),
    );
    if (this.#finished.size > FINISHED_CALLS_KEPT) {
      const oldest = this.#finished.keys().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
  }
}
