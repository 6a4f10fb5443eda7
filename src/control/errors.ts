import { SrsError } from "../lib/index.ts";

/** Thrown when a topic prefix or appliance id cannot form a valid MQTT topic (MQTT 5 §4.7: no `+`, `#` or NUL; the appliance id is one level). */
export class TopicError extends SrsError {
  readonly code = "CONTROL_BAD_TOPIC";
}

/** Rejects an event that was still queued, or was published, after the publisher was closed. */
export class PublisherClosedError extends SrsError {
  readonly code = "CONTROL_CLOSED";
}

/**
 * Rejects an event published while the broker is not connected, or whose connection ended without
 * its PUBACK and will not be resent. Nothing is kept: the outbox relay retries after the reconnect.
 */
export class PublisherOfflineError extends SrsError {
  readonly code = "CONTROL_OFFLINE";
}

/**
 * Rejects an event the broker refused: the PUBACK carried an MQTT 5 reason code ≥ 0x80
 * (MQTT 5 §3.4.2.1, e.g. 0x87 Not authorized by the broker's ACL). The publisher does not retry
 * it; the outbox relay decides from the code ({@link PublishRejectedError.reasonCode}).
 */
export class PublishRejectedError extends SrsError {
  readonly code = "CONTROL_PUBLISH_REJECTED";

  constructor(
    message: string,
    /** MQTT 5 PUBACK reason code (MQTT 5 §3.4.2.1). */
    readonly reasonCode: number,
  ) {
    super(message);
  }
}

/** Thrown by `createMqttPublisher` for a broker URL that is not `mqtt:`, `mqtts:`, `ws:` or `wss:`. */
export class MqttUrlError extends SrsError {
  readonly code = "CONTROL_BAD_MQTT_URL";
}
