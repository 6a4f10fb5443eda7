import type { IPublishPacket, MqttClient } from "mqtt";
import { type Clock, errorMessage, InvalidStateError, type Logger } from "../lib/index.ts";
import { replyOf } from "./command-reply.ts";
import type { CommandHandler, CommandReply } from "./command-types.ts";
import { CommandError } from "./errors.ts";
import type { Topics } from "./topics.ts";

/** A command as received on `cmd/<name>`, waiting for its handler or being run. */
interface ReceivedCommand {
  /** The last topic level. */
  name: string;
  payload: Buffer;
  /** Where the reply goes (MQTT 5 §3.3.2.3.5), or undefined when no reply is possible. */
  responseTopic: string | undefined;
  /** Echoed byte for byte in the reply (MQTT 5 §3.3.2.3.6). */
  correlationData: Buffer | undefined;
  /** Reception + Message Expiry Interval, ms since the Unix epoch. */
  deadlineMs: number | undefined;
}

/** What the command channel needs from its publisher. */
export interface CommandChannelOptions {
  client: MqttClient;
  topics: Topics;
  clock: Clock;
  logger: Logger;
  /** Commands kept while no handler is set; later ones are refused with `UNAVAILABLE`. */
  maxWaiting: number;
}

const jsonContentType = "application/json";

/**
 * Serves `cmd/<name>` requests on the publisher's MQTT client (DESIGN.md §8): request/response with
 * MQTT 5 Response Topic + Correlation Data (MQTT 5 §4.10), deadline from the Message Expiry
 * Interval (MQTT 5 §3.3.2.3.3). Commands that arrive before a handler is set wait in a bounded
 * buffer, their deadline counting from reception.
 */
export class MqttCommandChannel {
  readonly #client: MqttClient;
  readonly #topics: Topics;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #maxWaiting: number;
  readonly #prefix: string;
  readonly #waiting: ReceivedCommand[] = [];
  #handler: CommandHandler | undefined;
  #closed = false;

  constructor(options: CommandChannelOptions) {
    this.#client = options.client;
    this.#topics = options.topics;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#maxWaiting = options.maxWaiting;
    this.#prefix = `${options.topics.base}/cmd/`;
  }

  /** Commands received and waiting for {@link MqttCommandChannel.serve}. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether a handler is set. */
  get serving(): boolean {
    return this.#handler !== undefined;
  }

  /**
   * Sets the handler and hands it the commands that were waiting, in arrival order.
   * @throws InvalidStateError `INVALID_STATE` when a handler is already set.
   */
  serve(handler: CommandHandler): void {
    if (this.#handler) throw new InvalidStateError("MQTT commands are already being served");
    this.#handler = handler;
    for (const command of this.#waiting.splice(0)) void this.#run(command, handler);
  }

  /**
   * Subscribes (QoS 1) to `cmd/+` on the current connection. Retained messages are never sent
   * (Retain Handling 2, MQTT 5 §3.8.3.1): a retained command would run again on every connect.
   */
  subscribe(): void {
    const filter = this.#topics.commandsFilter;
    this.#client.subscribe(filter, { qos: 1, rh: 2 }, (err, granted) => {
      const refused = granted?.find((g) => g.qos >= 0x80);
      if (err || refused) {
        this.#logger.error("cannot subscribe to commands", {
          filter,
          error: err ? errorMessage(err) : `reason code 0x${refused?.qos.toString(16)}`,
        });
      } else {
        this.#logger.info("serving MQTT commands", { filter });
      }
    });
  }

  /** Takes one PUBLISH from the client; ignores topics other than `cmd/<name>`. */
  receive(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (!topic.startsWith(this.#prefix)) return;
    const command = this.#received(topic.slice(this.#prefix.length), payload, packet);
    if (this.#closed) {
      this.#reply(
        command,
        replyOf(new CommandError("UNAVAILABLE", "the appliance is stopping; send it again later")),
      );
    } else if (this.#handler) {
      void this.#run(command, this.#handler);
    } else if (this.#waiting.length < this.#maxWaiting) {
      this.#waiting.push(command);
    } else {
      const message = `the appliance is starting and ${this.#maxWaiting} commands already wait; send it again later`;
      this.#reply(command, replyOf(new CommandError("UNAVAILABLE", message)));
    }
  }

  /** Refuses the commands still waiting and any later one with `UNAVAILABLE`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const refusal = replyOf(
      new CommandError("UNAVAILABLE", "the appliance stopped before running the command"),
    );
    for (const command of this.#waiting.splice(0)) this.#reply(command, refusal);
  }

  #received(name: string, payload: Buffer, packet: IPublishPacket): ReceivedCommand {
    const properties = packet.properties ?? {};
    let responseTopic = properties.responseTopic || undefined;
    if (responseTopic !== undefined && /[+#]/.test(responseTopic)) {
      this.#logger.warn("command Response Topic has a wildcard: no reply is possible", {
        command: name,
        responseTopic,
      });
      responseTopic = undefined;
    }
    const expiryS = properties.messageExpiryInterval;
    return {
      name,
      payload,
      responseTopic,
      correlationData: properties.correlationData,
      deadlineMs: expiryS === undefined ? undefined : this.#clock.wallUs() / 1000 + expiryS * 1000,
    };
  }

  async #run(command: ReceivedCommand, handler: CommandHandler): Promise<void> {
    let reply: CommandReply;
    try {
      const params = parsePayload(command);
      reply = await handler(command.name, params, {
        via: "mqtt",
        ...(command.deadlineMs === undefined ? {} : { deadlineMs: command.deadlineMs }),
      });
    } catch (err) {
      reply = replyOf(err);
    }
    this.#logger.info("MQTT command", {
      command: command.name,
      ok: reply.ok,
      ...(reply.ok ? {} : { code: reply.error.code, error: reply.error.message }),
    });
    this.#reply(command, reply);
  }

  #reply(command: ReceivedCommand, reply: CommandReply): void {
    const topic = command.responseTopic;
    if (topic === undefined) {
      this.#logger.info("command without a usable Response Topic: no reply sent", { command: command.name });
      return;
    }
    const properties: { contentType: string; correlationData?: Buffer } = { contentType: jsonContentType };
    if (command.correlationData !== undefined) properties.correlationData = command.correlationData;
    this.#client.publish(topic, JSON.stringify(reply), { qos: 1, retain: false, properties }, (err) => {
      if (err) {
        this.#logger.warn("command reply not delivered", {
          command: command.name,
          topic,
          error: errorMessage(err),
        });
      }
    });
  }
}

/**
 * The parameters of a command payload: JSON, `{}` for an empty payload.
 * @throws CommandError `INVALID_ARGUMENT` with field `(body)` when the payload is not JSON.
 */
function parsePayload(command: ReceivedCommand): unknown {
  if (command.payload.length === 0) return {};
  try {
    return JSON.parse(command.payload.toString("utf8"));
  } catch (err) {
    throw new CommandError(
      "INVALID_ARGUMENT",
      `${command.name}: the payload is not JSON (${errorMessage(err)}); send a JSON object such as {}`,
      { field: "(body)", cause: err },
    );
  }
}
