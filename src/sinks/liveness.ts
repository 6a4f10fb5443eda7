import { PING_INTERVAL_MS } from "../easp/index.ts";

/** What the keep-alive check asks a unit to do now. */
export type LivenessAction = "ping" | "sync" | "dead" | "none";

/**
 * Keep-alive of one connection (EASP.md §5): `ping` every 5 s and dead after two unanswered;
 * `sync` when items are in flight and no `ack` came for 3 × `ackIntervalMs`. Any message from the
 * receiver counts as an answer.
 */
export class Liveness {
  #ackIntervalMs = 500;
  #lastAckAt = 0;
  #lastPingAt = 0;
  #lastSyncAt = 0;
  /** Pings sent since the receiver last said anything. */
  #unanswered = 0;

  /** A connection was opened at `now` (ms) with the receiver's ack interval. */
  start(now: number, ackIntervalMs: number): void {
    this.#ackIntervalMs = ackIntervalMs;
    this.#lastAckAt = now;
    this.#lastPingAt = now;
    this.#lastSyncAt = now;
    this.#unanswered = 0;
  }

  /** The receiver sent a message. */
  heard(): void {
    this.#unanswered = 0;
  }

  /** The receiver acknowledged something at `now`. */
  acked(now: number): void {
    this.#lastAckAt = now;
  }

  /** Decides, at `now`, whether to ping, sync or give the connection up. */
  check(now: number, waitingForAck: boolean): LivenessAction {
    if (now - this.#lastPingAt >= PING_INTERVAL_MS) {
      if (this.#unanswered >= 2) return "dead";
      this.#lastPingAt = now;
      this.#unanswered += 1;
      return "ping";
    }
    const silentFor = now - this.#lastAckAt;
    if (
      waitingForAck &&
      silentFor > 3 * this.#ackIntervalMs &&
      now - this.#lastSyncAt > this.#ackIntervalMs
    ) {
      this.#lastSyncAt = now;
      return "sync";
    }
    return "none";
  }
}
