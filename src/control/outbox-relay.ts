import {
  type Clock,
  errorCode,
  errorMessage,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
} from "../lib/index.ts";
import { PublisherClosedError, PublisherOfflineError, PublishRejectedError } from "./errors.ts";
import { isEventName } from "./event-common.ts";
import type { MqttPublisher } from "./mqtt-publisher.ts";
import type { EventOutbox, OutboxRelay, OutboxRelayOptions, StoredEvent } from "./outbox-types.ts";

/**
 * PUBACK reason codes after which the same event can never be accepted (MQTT 5 §3.4.2.1): 0x90
 * Topic Name invalid, 0x99 Payload format invalid. Such an event is dropped (logged as an error)
 * so it cannot block the outbox; every other refusal (0x87 Not authorized, 0x97 Quota exceeded,
 * 0x80 Unspecified error, …) may pass and is retried.
 */
const permanentReasonCodes = new Set([0x90, 0x99]);

/**
 * Starts relaying the outbox to the broker (see {@link OutboxRelay}); what the outbox holds at
 * start (events of a previous run) goes out first.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  return new OutboxRelayImpl(options);
}

class OutboxRelayImpl implements OutboxRelay {
  readonly #outbox: EventOutbox;
  readonly #publisher: MqttPublisher;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #window: number;
  readonly #retryMs: number;
  readonly #closeTimeoutMs: number;
  // Seqs published and awaiting their PUBACK; always the lowest pending seqs (sent in order).
  readonly #inFlight = new Set<number>();
  // Seqs the broker acknowledged whose delete failed: never resent, deleted again on the next pump.
  readonly #deleteLater = new Set<number>();
  #pumpTimer: TimerHandle | undefined;
  #retryTimer: TimerHandle | undefined;
  // A publish failed for a reason that may pass: send nothing new until the window is empty, then
  // start again from the oldest pending event after retryMs (keeps eventSeq order).
  #holding = false;
  // After such a failure, one event at a time until the broker accepts one again, so a broker that
  // starts accepting in the middle of a window cannot take a later event before the refused one.
  #probing = false;
  #closed = false;
  // After close() returned, late settlements are ignored (the outbox may be closed by then).
  #finished = false;
  #closePromise: Promise<void> | undefined;
  #onIdle: (() => void) | undefined;
  readonly #onConnect = (): void => this.#schedule();

  constructor(options: OutboxRelayOptions) {
    this.#outbox = options.outbox;
    this.#publisher = options.publisher;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? silentLogger).child({ component: "outbox" });
    this.#window = Math.max(1, Math.floor(options.window ?? 8));
    this.#retryMs = options.retryMs ?? 5000;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 2000;
    const waiting = this.depth;
    if (waiting > 0) this.#logger.info("events waiting in the outbox", { events: waiting });
    this.#publisher.on("connect", this.#onConnect);
    this.#schedule();
  }

  get depth(): number {
    return this.#outbox.outboxDepth();
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  kick(): void {
    this.#schedule();
  }

  close(): Promise<void> {
    this.#closePromise ??= this.#shutdown();
    return this.#closePromise;
  }

  #schedule(): void {
    if (this.#closed || this.#holding || this.#pumpTimer) return;
    this.#pumpTimer = this.#clock.setTimeout(() => {
      this.#pumpTimer = undefined;
      this.#pump();
    }, 0);
  }

  #pump(): void {
    if (this.#closed || this.#holding || !this.#publisher.connected) return;
    for (const seq of this.#deleteLater) this.#delete(seq);
    const window = this.#probing ? 1 : this.#window;
    if (this.#inFlight.size >= window) return;
    const rows = this.#read(window + this.#deleteLater.size);
    if (!rows) {
      this.#hold();
      return;
    }
    for (const row of rows) {
      if (this.#inFlight.size >= window) break;
      if (this.#inFlight.has(row.eventSeq) || this.#deleteLater.has(row.eventSeq)) continue;
      this.#send(row);
    }
  }

  #send(row: StoredEvent): void {
    const json = withEventSeq(row);
    if (json === undefined || !isEventName(row.name)) {
      this.#logger.error("stored event cannot be published: dropped", {
        code: "CONTROL_BAD_STORED_EVENT",
        eventSeq: row.eventSeq,
        name: row.name,
      });
      this.#delete(row.eventSeq);
      this.#schedule();
      return;
    }
    const seq = row.eventSeq;
    this.#inFlight.add(seq);
    this.#publisher.publishEventJson(row.name, json).then(
      () => this.#settle(seq, undefined),
      (err: unknown) => this.#settle(seq, err),
    );
  }

  #settle(seq: number, err: unknown): void {
    if (this.#finished) return;
    this.#inFlight.delete(seq);
    if (err === undefined) {
      this.#probing = false;
      this.#delete(seq);
      this.#schedule();
    } else if (err instanceof PublishRejectedError && permanentReasonCodes.has(err.reasonCode)) {
      this.#logger.error("broker refuses the event for good: dropped", {
        code: err.code,
        eventSeq: seq,
        reasonCode: err.reasonCode,
      });
      this.#delete(seq);
      this.#schedule();
    } else if (!(err instanceof PublisherClosedError || err instanceof PublisherOfflineError)) {
      // Offline: the next connect schedules a pump from the oldest pending event.
      this.#logger.warn("event not acknowledged: retrying", {
        code: errorCode(err),
        eventSeq: seq,
        error: errorMessage(err),
      });
      this.#probing = true;
      this.#hold();
    }
    if (this.#inFlight.size === 0) {
      this.#onIdle?.();
      if (this.#holding) this.#armRetry();
    }
  }

  #hold(): void {
    this.#holding = true;
    if (this.#inFlight.size === 0) this.#armRetry();
  }

  #armRetry(): void {
    if (this.#closed || this.#retryTimer) return;
    this.#retryTimer = this.#clock.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#holding = false;
      this.#schedule();
    }, this.#retryMs);
  }

  #read(limit: number): StoredEvent[] | undefined {
    try {
      return this.#outbox.pendingEvents(limit);
    } catch (err) {
      this.#logger.error("cannot read the event outbox", { code: errorCode(err), error: errorMessage(err) });
      return undefined;
    }
  }

  #delete(seq: number): void {
    try {
      this.#outbox.ackEvent(seq);
      this.#deleteLater.delete(seq);
    } catch (err) {
      if (!this.#deleteLater.has(seq)) {
        this.#logger.error("cannot delete an acknowledged event", {
          code: errorCode(err),
          eventSeq: seq,
          error: errorMessage(err),
        });
      }
      this.#deleteLater.add(seq);
    }
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    this.#publisher.off("connect", this.#onConnect);
    this.#clock.clearTimer(this.#pumpTimer);
    this.#clock.clearTimer(this.#retryTimer);
    if (this.#inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.#clock.setTimeout(resolve, this.#closeTimeoutMs);
        this.#onIdle = () => {
          this.#clock.clearTimer(timer);
          resolve();
        };
      });
    }
    this.#finished = true;
    this.#logger.info("outbox relay closed", { inFlight: this.#inFlight.size });
  }
}

/** The stored event JSON with its `eventSeq` set, or undefined when it is not a JSON object. */
function withEventSeq(row: StoredEvent): string | undefined {
  let event: unknown;
  try {
    event = JSON.parse(row.body);
  } catch {
    return undefined;
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) return undefined;
  (event as { eventSeq: number }).eventSeq = row.eventSeq;
  return JSON.stringify(event);
}
