import mqtt from "mqtt";

/** An appliance event as received on `<prefix>/v1/<applianceId>/events/<EVENT>`, with its topic. */
export interface ReceivedEvent {
  topic: string;
  event: string;
  eventSeq: number;
  sessionId: string;
  body: Record<string, unknown>;
}

/** A test's MQTT subscriber to one appliance's events; `events` grows as they arrive. */
export interface EventSubscriber {
  readonly events: ReceivedEvent[];
  close(): Promise<void>;
}

/**
 * Subscribes (MQTT 5, QoS 1) to every event of `applianceId` on the broker.
 * @param sessionName a client id for a persistent session (`clean: false`): with a broker that keeps
 *   sessions, events published while the subscriber reconnects after a broker restart are not missed.
 */
export async function subscribeEvents(
  brokerUrl: string,
  applianceId: string,
  sessionName?: string,
): Promise<EventSubscriber> {
  const client = await mqtt.connectAsync(brokerUrl, {
    protocolVersion: 5,
    reconnectPeriod: 200,
    ...(sessionName
      ? { clientId: sessionName, clean: false, properties: { sessionExpiryInterval: 3600 } }
      : {}),
  });
  const events: ReceivedEvent[] = [];
  client.on("message", (topic, payload) =>
    events.push({ topic, ...(JSON.parse(payload.toString()) as Omit<ReceivedEvent, "topic">) }),
  );
  await client.subscribeAsync(`siprec-edge/v1/${applianceId}/events/#`, { qos: 1 });
  return { events, close: () => client.endAsync(true) };
}
