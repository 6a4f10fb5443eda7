import { randomBytes } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";

/** A command's reply as the appliance publishes it, with the Correlation Data it carried. */
export interface CommandReplyMessage {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string; field?: string; known?: string[] };
  /** Correlation Data of the reply (must equal the request's). */
  correlation: Buffer | undefined;
}

/** A test's MQTT 5 requester for one appliance's commands (DESIGN.md §8). */
export interface CommandClient {
  /**
   * Publishes `cmd/<name>` with a Response Topic and fresh Correlation Data and waits for the reply.
   * @param options.expiryS MQTT 5 Message Expiry Interval, s.
   */
  send(
    name: string,
    params: unknown,
    options?: { expiryS?: number; timeoutMs?: number },
  ): Promise<CommandReplyMessage & { sentCorrelation: Buffer }>;
  close(): Promise<void>;
}

/** Connects a command requester to the broker for appliance `applianceId` (topic prefix `siprec-edge`). */
export async function connectCommandClient(brokerUrl: string, applianceId: string): Promise<CommandClient> {
  const client: MqttClient = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, reconnectPeriod: 200 });
  const base = `siprec-edge/v1/${applianceId}`;
  const replyTopic = `${base}/reply/test-${randomBytes(4).toString("hex")}`;
  const waiting = new Map<string, (reply: CommandReplyMessage) => void>();
  client.on("message", (_topic, payload, packet) => {
    const correlation = packet.properties?.correlationData;
    const key = correlation ? Buffer.from(correlation).toString("hex") : "";
    const settle = waiting.get(key);
    if (!settle) return;
    waiting.delete(key);
    settle({ ...(JSON.parse(payload.toString()) as Omit<CommandReplyMessage, "correlation">), correlation });
  });
  await client.subscribeAsync(replyTopic, { qos: 1 });
  return {
    async send(name, params, options = {}) {
      const sentCorrelation = randomBytes(8);
      const reply = new Promise<CommandReplyMessage>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(sentCorrelation.toString("hex"));
          reject(new Error(`no reply to ${name} within ${options.timeoutMs ?? 10_000} ms`));
        }, options.timeoutMs ?? 10_000);
        waiting.set(sentCorrelation.toString("hex"), (r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
      await client.publishAsync(`${base}/cmd/${name}`, JSON.stringify(params), {
        qos: 1,
        properties: {
          responseTopic: replyTopic,
          correlationData: sentCorrelation,
          ...(options.expiryS !== undefined ? { messageExpiryInterval: options.expiryS } : {}),
        },
      });
      return { ...(await reply), sentCorrelation };
    },
    close: () => client.endAsync(true),
  };
}

/** Reads the retained `status` of an appliance with a fresh subscriber; resolves with each message as it comes. */
export async function watchStatus(
  brokerUrl: string,
  applianceId: string,
): Promise<{ messages: Array<Record<string, unknown>>; close(): Promise<void> }> {
  const client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, reconnectPeriod: 200 });
  const messages: Array<Record<string, unknown>> = [];
  client.on("message", (_topic, payload, packet) =>
    messages.push({
      ...(JSON.parse(payload.toString()) as Record<string, unknown>),
      retained: packet.retain,
    }),
  );
  await client.subscribeAsync(`siprec-edge/v1/${applianceId}/status`, { qos: 1 });
  return { messages, close: () => client.endAsync(true) };
}
