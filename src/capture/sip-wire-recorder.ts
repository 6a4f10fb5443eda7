import { type Clock, systemClock } from "../lib/index.ts";
import type { CaptureStore } from "./capture-store.ts";
import type { SipWireMessage } from "./capture-types.ts";
import { sipCallIdOf } from "./sip-call-id.ts";
import type { SipMessageRing } from "./sip-message-ring.ts";

/** Options of {@link SipWireRecorder}; either part may be absent (capture off, ring of size 0). */
export interface SipWireRecorderOptions {
  /** Where every message goes. */
  ring?: SipMessageRing;
  /** Whose open capture of the message's Call-ID gets it too. */
  store?: CaptureStore;
  /** @default systemClock */
  clock?: Clock;
}

/**
 * Takes every SIP message the stack receives or sends (its wire tap) and keeps it in the ring of
 * recent messages and, when a call's capture with that Call-ID is open, in that capture.
 * Unparseable messages (no Call-ID) go to the ring only.
 */
export class SipWireRecorder {
  readonly #ring: SipMessageRing | undefined;
  readonly #store: CaptureStore | undefined;
  readonly #clock: Clock;

  constructor(options: SipWireRecorderOptions) {
    this.#ring = options.ring;
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
  }

  /** Records one message, timestamped now. */
  record(message: SipWireMessage): void {
    if (!this.#ring && !this.#store) return;
    const timeUs = this.#clock.wallUs();
    const sipCallId = sipCallIdOf(message.bytes);
    this.#ring?.push(message, sipCallId, timeUs);
    if (sipCallId !== "") this.#store?.find(sipCallId)?.sip(message, timeUs);
  }
}
