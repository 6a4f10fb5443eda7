/** Replay window size, packets: the RFC 3711 §3.3.2 minimum (SRTP-WINDOW-SIZE ≥ 64). */
export const REPLAY_WINDOW_SIZE = 64;

const SEQ_SPAN = 0x10000;
const HALF_SEQ_SPAN = 0x8000;

/**
 * Index state of one SSRC in one direction: the highest packet index seen (`2^16 * ROC + s_l`,
 * RFC 3711 §3.3.1) and, for a receiver, the 64-packet replay bitmap behind it (§3.3.2, the
 * RFC 2401 sliding window). Bit k of the bitmap says index `highest - k` was accepted; it is held
 * in two 32-bit words so the per-packet path does no BigInt arithmetic.
 */
export class ReplayWindow {
  /** Highest index accepted so far (up to 2^48, exact in a double). */
  highest: number;
  /** Bitmap for highest − 0 … highest − 31. */
  #low = 1;
  /** Bitmap for highest − 32 … highest − 63. */
  #high = 0;

  /** Starts at the first packet's index (the receiver's s_l = first SEQ and ROC = 0, §3.3.1). */
  constructor(firstIndex: number) {
    this.highest = firstIndex;
  }

  /**
   * Estimates the 48-bit index of an SRTP packet from its sequence number (RFC 3711 Appendix A):
   * `2^16 * v + SEQ` with v the ROC − 1, ROC or ROC + 1 that lands closest to the highest index.
   * A result below zero means "before the first packet" (v = ROC − 1 at ROC 0).
   */
  estimate(seq: number): number {
    const roc = Math.floor(this.highest / SEQ_SPAN);
    const sl = this.highest - roc * SEQ_SPAN;
    let v = roc;
    if (sl < HALF_SEQ_SPAN) {
      if (seq - sl > HALF_SEQ_SPAN) v = roc - 1;
    } else if (sl - HALF_SEQ_SPAN > seq) {
      v = roc + 1;
    }
    return v * SEQ_SPAN + seq;
  }

  /**
   * Whether a packet with this index may be accepted (RFC 3711 §3.3.2): ahead of the window, or
   * inside it and not yet received. Indices 64 or more behind the highest count as received.
   */
  isFresh(index: number): boolean {
    const behind = this.highest - index;
    if (behind < 0) return true;
    if (behind >= REPLAY_WINDOW_SIZE) return false;
    const bit = behind < 32 ? (this.#low >>> behind) & 1 : (this.#high >>> (behind - 32)) & 1;
    return bit === 0;
  }

  /** Records an authenticated packet: moves the window ahead when needed, then marks the index. */
  accept(index: number): void {
    const ahead = index - this.highest;
    if (ahead > 0) {
      this.#shift(ahead);
      this.highest = index;
      this.#low |= 1;
      return;
    }
    const behind = -ahead;
    if (behind < 32) this.#low |= 1 << behind;
    else if (behind < REPLAY_WINDOW_SIZE) this.#high |= 1 << (behind - 32);
  }

  /** Moves the bitmap `n` positions older (n ≥ 1). */
  #shift(n: number): void {
    if (n >= REPLAY_WINDOW_SIZE) {
      this.#low = 0;
      this.#high = 0;
    } else if (n >= 32) {
      this.#high = this.#low << (n - 32);
      this.#low = 0;
    } else {
      this.#high = (this.#high << n) | (this.#low >>> (32 - n));
      this.#low <<= n;
    }
  }
}
