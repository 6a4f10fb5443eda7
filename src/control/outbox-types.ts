/**
 * The durable event outbox as the relay sees it (DESIGN.md §6, §8). The spool implements
 * {@link EventOutbox} structurally. This file holds types only.
 */
import type { Clock, Logger } from "../lib/index.ts";
import type { MqttPublisher } from "./mqtt-publisher.ts";

/** One stored event waiting for its PUBACK. */
export interface StoredEvent {
  /** Per-appliance sequence number: strictly increasing, never reused (also across restarts). */
  eventSeq: number;
  /** Event name, e.g. `SESSIONSTARTED`: the topic level of `events/<EVENT>`. */
  name: string;
  /** The whole event JSON as stored (its `eventSeq` field is set when it is published). */
  body: string;
}

/** Where events wait until the broker acknowledges them (the spool's `events` table). */
export interface EventOutbox {
  /** Unacknowledged events, lowest `eventSeq` first, at most `limit`. */
  pendingEvents(limit: number): StoredEvent[];
  /** Deletes an event once the broker acknowledged it; an unknown seq is ignored. */
  ackEvent(eventSeq: number): void;
  /** Events in the outbox (not yet acknowledged). */
  outboxDepth(): number;
}

/** Options of `createOutboxRelay`. */
export interface OutboxRelayOptions {
  /** The stored events. */
  outbox: EventOutbox;
  /** The broker connection; the relay publishes through `publishEventJson`. */
  publisher: MqttPublisher;
  /** Events published and not yet acknowledged, at most. @default 8 */
  window?: number;
  /** Wait before trying again after the broker refused an event for a reason that may pass, ms. @default 5000 */
  retryMs?: number;
  /** How long `close()` waits for PUBACKs of events in flight, ms. @default 2000 */
  closeTimeoutMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
}

/**
 * Relays the outbox to the MQTT broker (DESIGN.md §8: `events/<EVENT>`, QoS 1, deleted on PUBACK):
 * in `eventSeq` order, a small window in flight, each event deleted only when its PUBACK arrives.
 * Delivery is at least once: an event is sent again only if its PUBACK was lost (connection cut
 * after the broker took it, or a crash before the delete), so consumers dedupe by `eventSeq`; at
 * most one window of events can be duplicated that way. An event the broker refuses (PUBACK reason
 * code ≥ 0x80) is kept and retried every `retryMs`, one at a time until the broker accepts one, and
 * the events after it wait; only a refusal that can never pass (0x90 topic name invalid, 0x99
 * payload format invalid) or a stored event that is not a JSON object drops it, logged as an error.
 */
export interface OutboxRelay {
  /** A new event was appended to the outbox: publish it soon. */
  kick(): void;
  /** Events waiting in the outbox, in flight included (asks the outbox). */
  readonly depth: number;
  /** Events published and still awaiting their PUBACK. */
  readonly inFlight: number;
  /** Stops publishing; waits up to `closeTimeoutMs` for PUBACKs of events in flight. Idempotent. */
  close(): Promise<void>;
}
