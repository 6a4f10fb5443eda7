/** RFC 4733 §3.2 event codes 0–15 as digits. */
const DIGITS = "0123456789*#ABCD";

/**
 * Follows RFC 4733 telephone-event packets of one stream and tells when an event is complete, once
 * per event: on its first packet with the E (end) bit, or when a packet of a newer event arrives
 * while the previous one never showed its end. The three retransmitted end packets (§2.5.1.4) and
 * late updates of an event already reported are ignored, recognised by the event's RTP timestamp.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R| volume    |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
export class DtmfTracker {
  /** Digit of the completed event (valid after `push`/`takePending` returned true). */
  digit = "";
  /** Extended RTP timestamp of the completed event's start. */
  startTs = 0;
  /** Duration of the completed event, samples. */
  durationSamples = 0;

  /** Whether an event is in progress (seen, not yet reported). */
  #active = false;
  #activeDigit = "";
  #activeTs = 0;
  #activeDuration = 0;
  /** Start timestamp of the last event reported (its retransmissions are ignored). */
  #reportedTs = Number.NaN;

  /**
   * Takes one telephone-event payload with its extended RTP timestamp.
   * @returns true when an event is complete: read `digit`, `startTs` and `durationSamples`.
   */
  push(extTs: number, payload: Uint8Array): boolean {
    if (payload.length < 4 || extTs === this.#reportedTs) return false;
    const code = payload[0] ?? 255;
    const digit = code < DIGITS.length ? DIGITS.charAt(code) : "";
    const ended = ((payload[1] ?? 0) & 0x80) !== 0;
    const duration = ((payload[2] ?? 0) << 8) | (payload[3] ?? 0);
    let completed = false;
    if (this.#active && extTs !== this.#activeTs) completed = this.takePending();
    if (digit === "") return completed;
    if (!this.#active) {
      this.#active = true;
      this.#activeDigit = digit;
      this.#activeTs = extTs;
      this.#activeDuration = 0;
    }
    if (duration > this.#activeDuration) this.#activeDuration = duration;
    if (!ended) return completed;
    if (completed) {
      // Two events complete at once (the previous one lost its end): report the older now and
      // leave this one active; the next packet of it (a retransmitted end) reports it.
      return true;
    }
    return this.takePending();
  }

  /**
   * Completes the event in progress, if any (flush on BYE, or a newer event started).
   * @returns true when there was one: read `digit`, `startTs` and `durationSamples`.
   */
  takePending(): boolean {
    if (!this.#active) return false;
    this.#active = false;
    this.digit = this.#activeDigit;
    this.startTs = this.#activeTs;
    this.durationSamples = this.#activeDuration;
    this.#reportedTs = this.#activeTs;
    return true;
  }
}
